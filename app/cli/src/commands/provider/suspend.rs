//! `hdx provider suspend` (registry authority).

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;

use crate::commands::args::parse_pubkey;
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Suspend a provider (registry authority)
#[derive(clap::Args, Debug)]
pub struct Suspend {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for Suspend {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let id = s.provider_named(&self.provider)?.id;
        self.tx.submit(
            s,
            ix::suspend_provider(self.tx.authority(s)?, &id),
            &format!(" its access and emergency access end at once:Suspended provider {id}"),
        )
    }
}
