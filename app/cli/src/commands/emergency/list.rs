//! `hdx emergency list`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::client::WindowFilter;
use serde_json::Value;

use super::{window_json, window_row};
use crate::commands::args::parse_pubkey;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};

/// List emergency windows (one getProgramAccounts)
#[derive(clap::Args, Debug)]
pub struct List {
    /// Only this patient's windows: the patient's id
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
    /// Only this provider's windows: its id
    #[arg(long, value_parser = parse_pubkey)]
    provider: Option<Pubkey>,
    /// Only windows without a verdict
    #[arg(long)]
    unreviewed: bool,
}

impl Run for List {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let now = s.now()?;
        let windows = s.client()?.emergency_windows(WindowFilter {
            patient: self.patient,
            provider: self.provider,
            unreviewed: self.unreviewed,
        })?;
        let text = if windows.is_empty() {
            "no emergency windows".to_string()
        } else {
            table(
                &[
                    "patient",
                    "window",
                    "provider",
                    "reason",
                    "opened",
                    "state",
                    "reads",
                    "verdict",
                    "acknowledged",
                ],
                &windows
                    .iter()
                    .map(|w| window_row(w, now))
                    .collect::<Vec<_>>(),
            )
        };
        Ok(Output::new(
            Value::Array(windows.iter().map(|w| window_json(w, now)).collect()),
            text,
        ))
    }
}
