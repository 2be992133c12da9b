//! `hdx registry emergency-policy`: the longest window and the cooldown.

use hdx_sdk::ix;

use crate::commands::args::{parse_cooldown, parse_window_secs};
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Set the emergency policy: the longest window and the cooldown after one
#[derive(clap::Args, Debug)]
pub struct EmergencyPolicy {
    /// Longest emergency window (1s to 7d)
    #[arg(long, value_parser = parse_window_secs, allow_hyphen_values = true)]
    max_window: u32,
    /// After a window ends, how long before the same provider may open another for the same patient (at most 30d; 0 = none)
    #[arg(long, value_parser = parse_cooldown, allow_hyphen_values = true)]
    cooldown: u32,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for EmergencyPolicy {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (max_window, cooldown) = (self.max_window, self.cooldown);
        self.tx.submit(
            s,
            ix::set_emergency_policy(self.tx.authority(s)?, max_window, cooldown),
            &format!("Emergency policy: windows of at most {max_window} s, cooldown {cooldown} s"),
        )
    }
}
