//! `hdx provider`: a provider registers itself; the registry authority
//! verifies, suspends and reinstates; anyone lists.

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx::codes::{ProviderKind, ProviderStatus};
use hdx::export::rfc3339;
use hdx::ix;
use hdx::program::state::Provider;
use serde_json::{json, Value};

use super::{hex, parse_hash, parse_kind, parse_pubkey, parse_status, table, Ctx, Output, TxOpts};

#[derive(Subcommand, Debug)]
pub enum ProviderCmd {
    /// Register the keypair as a provider (pending until the registry authority verifies it)
    Register {
        /// hospital, clinic, laboratory, pharmacy, imaging, insurer, researcher or other
        #[arg(long, value_parser = parse_kind)]
        kind: ProviderKind,
        /// SHA-256 of (salt || credential identifier), computed off-chain: 64 hex digits
        #[arg(long, value_name = "HEX", value_parser = parse_hash)]
        credential_commitment: [u8; 32],
    },
    /// Verify a provider (registry authority)
    Verify {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Suspend a provider (registry authority)
    Suspend {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Reinstate a suspended provider (registry authority)
    Reinstate {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Show one provider [default: the keypair's]
    Show {
        #[arg(value_parser = parse_pubkey)]
        provider: Option<Pubkey>,
    },
    /// List registered providers
    List {
        /// pending, verified or suspended
        #[arg(long, value_parser = parse_status)]
        status: Option<ProviderStatus>,
    },
}

fn provider_json(p: &Provider) -> Value {
    json!({
        "provider": p.signer.to_string(),
        "status": p.status.name(),
        "kind": p.kind.name(),
        "credential_commitment": hex(&p.credential_commitment),
        "registered_at": rfc3339(p.registered_at),
        "status_changed_at": rfc3339(p.status_changed_at),
    })
}

fn row(p: &Provider) -> Vec<String> {
    vec![
        p.signer.to_string(),
        p.status.name().into(),
        p.kind.name().into(),
        rfc3339(p.registered_at),
    ]
}

const HEADERS: [&str; 4] = ["provider", "status", "kind", "registered"];

pub fn run(ctx: &Ctx, cmd: ProviderCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    match cmd {
        ProviderCmd::Register {
            kind,
            credential_commitment,
        } => {
            let me = ctx.pubkey()?;
            let sig = ctx.send(
                &client,
                &[ix::register_provider(me, kind, credential_commitment)],
            )?;
            Ok(Output::new(
                json!({ "provider": me.to_string(), "status": "pending", "signature": sig.to_string() }),
                format!("Registered provider {me} (pending verification)\nsignature: {sig}"),
            ))
        }
        ProviderCmd::Verify { provider, tx } => tx.submit(
            ctx,
            &client,
            ix::verify_provider(tx.authority(ctx)?, &provider),
            &format!("Verified provider {provider}"),
        ),
        ProviderCmd::Suspend { provider, tx } => tx.submit(
            ctx,
            &client,
            ix::suspend_provider(tx.authority(ctx)?, &provider),
            &format!("Suspended provider {provider}"),
        ),
        ProviderCmd::Reinstate { provider, tx } => tx.submit(
            ctx,
            &client,
            ix::reinstate_provider(tx.authority(ctx)?, &provider),
            &format!("Reinstated provider {provider}"),
        ),
        ProviderCmd::Show { provider } => {
            let key = match provider {
                Some(k) => k,
                None => ctx.pubkey()?,
            };
            let p = client.provider(&key)?;
            Ok(Output::new(provider_json(&p), table(&HEADERS, &[row(&p)])))
        }
        ProviderCmd::List { status } => {
            let all = client.providers(status)?;
            let text = if all.is_empty() {
                "no providers".to_string()
            } else {
                table(&HEADERS, &all.iter().map(row).collect::<Vec<_>>())
            };
            Ok(Output::new(
                Value::Array(all.iter().map(provider_json).collect()),
                text,
            ))
        }
    }
}
