//! `hdx registry init`: the program's upgrade authority creates the registry.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::{ix, pda};

use crate::commands::args::parse_pubkey;
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Initialise the registry (signed by the program's upgrade authority)
#[derive(clap::Args, Debug)]
pub struct Init {
    /// The registry authority (in production a multisig address) [default: the keypair]
    #[arg(long = "registry-authority", value_name = "PUBKEY", value_parser = parse_pubkey)]
    registry_authority: Option<Pubkey>,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for Init {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let upgrade_authority = self.tx.authority(s)?;
        let authority = self.registry_authority.unwrap_or(upgrade_authority);
        if let Some(existing) = s
            .client()?
            .fetch::<hdx_sdk::program::state::Registry>(&pda::registry().0)?
        {
            anyhow::bail!(
                "the registry already exists (its authority is {})",
                existing.authority
            );
        }
        self.tx.submit(
            s,
            ix::initialize_registry(upgrade_authority, upgrade_authority, authority),
            &format!("Registry initialised; authority {authority}"),
        )
    }
}
