//! `hdx registry unpause`.

use hdx_sdk::ix;

use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Lift a pause
#[derive(clap::Args, Debug)]
pub struct Unpause {
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for Unpause {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        self.tx
            .submit(s, ix::set_paused(self.tx.authority(s)?, false), "Unpaused")
    }
}
