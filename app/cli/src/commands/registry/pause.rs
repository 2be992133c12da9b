//! `hdx registry pause`.

use hdx_sdk::ix;

use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Refuse access and write until unpaused (revocation still works)
#[derive(clap::Args, Debug)]
pub struct Pause {
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for Pause {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        self.tx.submit(
            s,
            ix::set_paused(self.tx.authority(s)?, true),
            "Paused: access and write are refused; revocation still works",
        )
    }
}
