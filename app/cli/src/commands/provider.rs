//! `hdx provider`: a provider registers itself; the registry authority
//! verifies, suspends and reinstates; anyone lists.

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::codes::{ProviderKind, ProviderStatus};
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use hdx_sdk::program::state::Provider;
use serde_json::{json, Value};

use super::{
    hex, parse_hash, parse_kind, parse_pubkey, parse_status, provider_named, signer_arg, table,
    Ctx, Output, TxOpts,
};

#[derive(Subcommand, Debug)]
pub enum ProviderCmd {
    /// Register the keypair as a provider: its key becomes the provider's id
    /// and first signing key (pending until the registry authority verifies it)
    Register {
        /// hospital, clinic, laboratory, pharmacy, imaging, insurer, researcher or other
        #[arg(long, value_parser = parse_kind)]
        kind: ProviderKind,
        /// SHA-256 of (salt || credential identifier), computed off-chain: 64 hex digits
        #[arg(long, value_name = "HEX", value_parser = parse_hash)]
        credential_commitment: [u8; 32],
    },
    /// Hand the provider's signing to a new key (the new key co-signs; the
    /// current one is powerless from the next transaction on; consents stay)
    RotateKey {
        /// The new key's signer: a keypair file (or prompt://, usb://...)
        #[arg(long, value_name = "KEYPAIR")]
        new_key: String,
    },
    /// Verify a provider (registry authority); PROVIDER is its id or current key
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
    /// Set a provider's roles (registry authority): --emergency on|off
    Roles {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        /// May open emergency windows
        #[arg(long, value_parser = parse_on_off, value_name = "on|off", action = clap::ArgAction::Set)]
        emergency: bool,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Show one provider, by id or current key [default: the keypair's]
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

impl ProviderCmd {
    /// Whether it sends a transaction (and so may create an embedded ledger).
    pub fn sends(&self) -> bool {
        !matches!(self, ProviderCmd::Show { .. } | ProviderCmd::List { .. })
    }
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{s:?}: say on or off")),
    }
}

fn provider_json(p: &Provider) -> Value {
    json!({
        "provider": p.id.to_string(),
        "number": p.number,
        "signer": p.signer.to_string(),
        "status": p.status.name(),
        "kind": p.kind.name(),
        "credential_commitment": hex(&p.credential_commitment),
        "registered_at": rfc3339(p.registered_at),
        "status_changed_at": rfc3339(p.status_changed_at),
        "roles": if p.has_role(hdx_sdk::codes::ROLE_EMERGENCY) { vec!["emergency"] } else { vec![] },
    })
}

fn row(p: &Provider) -> Vec<String> {
    vec![
        p.number.to_string(),
        p.id.to_string(),
        p.status.name().into(),
        p.kind.name().into(),
        rfc3339(p.registered_at),
        if p.signer == p.id {
            "-".into()
        } else {
            p.signer.to_string()
        },
    ]
}

const HEADERS: [&str; 6] = [
    "number",
    "provider",
    "status",
    "kind",
    "registered",
    "rotated key",
];

pub fn run(ctx: &Ctx, cmd: ProviderCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    match cmd {
        ProviderCmd::Register {
            kind,
            credential_commitment,
        } => {
            let me = ctx.pubkey()?;
            anyhow::ensure!(
                client
                    .fetch::<Provider>(&hdx_sdk::pda::provider(&me).0)?
                    .is_none(),
                "{me} is already registered as a provider"
            );
            let sig = ctx.send(
                &client,
                &[ix::register_provider(me, kind, credential_commitment)],
            )?;
            let number = client.provider(&me)?.number;
            Ok(Output::new(
                json!({ "provider": me.to_string(), "number": number, "status": "pending", "signature": sig.to_string() }),
                format!(
                    "Registered provider {me}, number {number} (pending verification)\nsignature: {sig}"
                ),
            ))
        }
        ProviderCmd::RotateKey { new_key } => {
            let p = ctx.my_provider(&client)?;
            let new = signer_arg(&new_key, "new key")?;
            let key = new.pubkey();
            anyhow::ensure!(key != p.signer, "{key} is already the provider's key");
            let sig = ctx.send_with(
                &client,
                &[ix::rotate_provider_key(p.signer, key, &p.id)],
                &[new.as_ref()],
            )?;
            Ok(Output::new(
                json!({ "provider": p.id.to_string(), "previous": p.signer.to_string(), "signer": key.to_string(), "signature": sig.to_string() }),
                format!(
                    "Provider {} now signs with {key} ({} no longer can)\nsignature: {sig}",
                    p.id, p.signer
                ),
            ))
        }
        ProviderCmd::Verify { provider, tx } => {
            let id = provider_named(&client, &provider)?.id;
            tx.submit(
                ctx,
                &client,
                ix::verify_provider(tx.authority(ctx)?, &id),
                &format!("Verified provider {id}"),
            )
        }
        ProviderCmd::Suspend { provider, tx } => {
            let id = provider_named(&client, &provider)?.id;
            tx.submit(
                ctx,
                &client,
                ix::suspend_provider(tx.authority(ctx)?, &id),
                &format!("Suspended provider {id}"),
            )
        }
        ProviderCmd::Reinstate { provider, tx } => {
            let id = provider_named(&client, &provider)?.id;
            tx.submit(
                ctx,
                &client,
                ix::reinstate_provider(tx.authority(ctx)?, &id),
                &format!("Reinstated provider {id}"),
            )
        }
        ProviderCmd::Roles {
            provider,
            emergency,
            tx,
        } => {
            let id = provider_named(&client, &provider)?.id;
            let roles = if emergency {
                hdx_sdk::codes::ROLE_EMERGENCY
            } else {
                0
            };
            tx.submit(
                ctx,
                &client,
                ix::set_provider_roles(tx.authority(ctx)?, &id, roles),
                &format!(
                    "Provider {id}: emergency role {}",
                    if emergency { "given" } else { "removed" }
                ),
            )
        }
        ProviderCmd::Show { provider } => {
            let p = match provider {
                Some(k) => provider_named(&client, &k)?,
                None => ctx.my_provider(&client)?,
            };
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
