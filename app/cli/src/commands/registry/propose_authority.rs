//! `hdx registry propose-authority`: step 1 of the hand-over.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;

use crate::commands::args::parse_pubkey;
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Propose a new registry authority (step 1 of 2)
#[derive(clap::Args, Debug)]
pub struct ProposeAuthority {
    /// The proposed registry authority (in production a multisig address); it must accept
    #[arg(value_parser = parse_pubkey)]
    new_authority: Pubkey,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for ProposeAuthority {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let new = self.new_authority;
        self.tx.submit(
            s,
            ix::propose_registry_authority(self.tx.authority(s)?, new),
            &format!("Proposed {new} as registry authority; it must accept"),
        )
    }
}
