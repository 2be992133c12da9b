//! `hdx registry`: the registry authority's commands.

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::{ix, pda};
use serde_json::json;

use super::{parse_pubkey, Ctx, Output, TxOpts};
use hdx_sdk::export::rfc3339;

#[derive(Subcommand, Debug)]
pub enum RegistryCmd {
    /// Initialise the registry (signed by the program's upgrade authority)
    Init {
        /// The registry authority (in production a multisig address) [default: the keypair]
        #[arg(long = "registry-authority", value_name = "PUBKEY", value_parser = parse_pubkey)]
        registry_authority: Option<Pubkey>,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Show the registry: authority, pending authority, paused
    Show,
    /// Propose a new registry authority (step 1 of 2)
    ProposeAuthority {
        #[arg(value_parser = parse_pubkey)]
        new_authority: Pubkey,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Accept the registry authority (step 2 of 2; signed by the proposed authority)
    AcceptAuthority {
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Refuse access and write until unpaused (revocation still works)
    Pause {
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Lift a pause
    Unpause {
        #[command(flatten)]
        tx: TxOpts,
    },
    /// Set the emergency policy: the longest window and the cooldown after one
    EmergencyPolicy {
        /// Longest emergency window (1s to 7d)
        #[arg(long, value_parser = super::emergency::parse_window_secs)]
        max_window: u32,
        /// After a window ends, how long before the same provider may open another for the same patient (at most 30d; 0 = none)
        #[arg(long, value_parser = parse_cooldown)]
        cooldown: u32,
        #[command(flatten)]
        tx: TxOpts,
    },
}

fn parse_cooldown(s: &str) -> Result<u32, String> {
    if s == "0" {
        return Ok(0);
    }
    super::emergency::parse_window_secs(s)
}

impl RegistryCmd {
    /// Whether it sends a transaction (and so may create an embedded ledger).
    pub fn sends(&self) -> bool {
        !matches!(self, RegistryCmd::Show)
    }
}

pub fn run(ctx: &Ctx, cmd: RegistryCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    match cmd {
        RegistryCmd::Init {
            registry_authority,
            tx,
        } => {
            let upgrade_authority = tx.authority(ctx)?;
            let authority = registry_authority.unwrap_or(upgrade_authority);
            if let Some(existing) =
                client.fetch::<hdx_sdk::program::state::Registry>(&pda::registry().0)?
            {
                anyhow::bail!(
                    "the registry already exists (its authority is {})",
                    existing.authority
                );
            }
            let ix = ix::initialize_registry(upgrade_authority, upgrade_authority, authority);
            tx.submit(
                ctx,
                &client,
                ix,
                &format!("Registry initialised; authority {authority}"),
            )
        }
        RegistryCmd::Show => {
            let r = client.registry()?;
            let pending = (r.pending_authority != Pubkey::default()).then_some(r.pending_authority);
            Ok(Output::new(
                json!({
                    "address": pda::registry().0.to_string(),
                    "authority": r.authority.to_string(),
                    "pending_authority": pending.map(|k| k.to_string()),
                    "paused": r.paused,
                    "providers": r.provider_count,
                    "created_at": rfc3339(r.created_at),
                    "emergency_max_secs": r.emergency.max_secs,
                    "emergency_cooldown_secs": r.emergency.cooldown_secs,
                }),
                format!(
                    "Registry {}\nauthority:         {}\npending authority: {}\npaused:            {}\nproviders:         {}\ncreated:           {}\nemergency windows: at most {} s, cooldown {} s",
                    pda::registry().0,
                    r.authority,
                    pending.map_or("none".to_string(), |k| k.to_string()),
                    if r.paused { "yes" } else { "no" },
                    r.provider_count,
                    rfc3339(r.created_at),
                    r.emergency.max_secs,
                    r.emergency.cooldown_secs
                ),
            ))
        }
        RegistryCmd::EmergencyPolicy {
            max_window,
            cooldown,
            tx,
        } => tx.submit(
            ctx,
            &client,
            ix::set_emergency_policy(tx.authority(ctx)?, max_window, cooldown),
            &format!("Emergency policy: windows of at most {max_window} s, cooldown {cooldown} s"),
        ),
        RegistryCmd::ProposeAuthority { new_authority, tx } => {
            let ix = ix::propose_registry_authority(tx.authority(ctx)?, new_authority);
            tx.submit(
                ctx,
                &client,
                ix,
                &format!("Proposed {new_authority} as registry authority; it must accept"),
            )
        }
        RegistryCmd::AcceptAuthority { tx } => {
            let new = tx.authority(ctx)?;
            tx.submit(
                ctx,
                &client,
                ix::accept_registry_authority(new),
                &format!("{new} is now the registry authority"),
            )
        }
        RegistryCmd::Pause { tx } => tx.submit(
            ctx,
            &client,
            ix::set_paused(tx.authority(ctx)?, true),
            "Paused: access and write are refused; revocation still works",
        ),
        RegistryCmd::Unpause { tx } => tx.submit(
            ctx,
            &client,
            ix::set_paused(tx.authority(ctx)?, false),
            "Unpaused",
        ),
    }
}
