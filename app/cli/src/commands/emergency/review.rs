//! `hdx emergency review`: the registry authority's verdict on an ended window.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::Verdict;
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;

use crate::commands::args::{parse_pubkey, parse_u32, parse_verdict};
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// (registry authority) Record a verdict on an ended window
#[derive(clap::Args, Debug)]
pub struct Review {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The window's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    window: u32,
    /// justified or not-justified
    #[arg(long, value_parser = parse_verdict)]
    verdict: Verdict,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for Review {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (patient, window, verdict) = (self.patient, self.window, self.verdict);
        let w = s.client()?.emergency_window(&patient, window)?;
        anyhow::ensure!(
            !w.is_open(s.now()?),
            "emergency window {window} of patient {patient} is open until {}: review it after it ends",
            rfc3339(w.ends_at())
        );
        self.tx.submit(
            s,
            ix::review_emergency(self.tx.authority(s)?, &patient, window, verdict),
            &format!(
                "Reviewed emergency window {window} of patient {patient}: {}",
                verdict.name()
            ),
        )
    }
}
