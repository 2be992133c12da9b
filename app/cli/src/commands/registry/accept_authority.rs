//! `hdx registry accept-authority`: step 2 of the hand-over.

use hdx_sdk::ix;

use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Accept the registry authority (step 2 of 2; signed by the proposed authority)
#[derive(clap::Args, Debug)]
pub struct AcceptAuthority {
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for AcceptAuthority {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let new = self.tx.authority(s)?;
        self.tx.submit(
            s,
            ix::accept_registry_authority(new),
            &format!("{new} is now the registry authority"),
        )
    }
}
