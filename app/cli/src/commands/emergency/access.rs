//! `hdx emergency access`: an emergency read inside the provider's window.

use anchor_lang::prelude::Pubkey;
use serde_json::json;

use super::open_window;
use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::output::hex;
use crate::commands::session::InFlight;
use crate::commands::{Output, Run, Session};

/// (provider) Read a record inside your open window; exit 3 when denied (logged)
#[derive(clap::Args, Debug)]
pub struct Access {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The record's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    record: u32,
    /// The window [default: your open window for this patient]
    #[arg(long, value_parser = parse_u32, allow_hyphen_values = true)]
    window: Option<u32>,
}

impl Run for Access {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let provider = s.my_provider()?;
        let patient = self.patient;
        s.require_record(&patient, self.record)?;
        let window = match self.window {
            Some(w) => w,
            None => open_window(client, &provider.id, &patient, s.now()?)?,
        };
        let signer = s.payer()?;
        let _flight = InFlight::begin();
        let g = client.emergency_access(signer, &provider.id, &patient, self.record, window)?;
        let locator = String::from_utf8_lossy(&g.locator).to_string();
        Ok(Output::new(
            json!({
                "outcome": "Granted",
                "emergency": true,
                "window": window,
                "sequence": g.sequence,
                "record": g.record_index,
                "locator": locator,
                "content_hash": hex(&g.content_hash),
            }),
            format!(
                "Granted in emergency window {window} (log entry {})\nlocator:      {locator}\ncontent hash: {}",
                g.sequence,
                hex(&g.content_hash)
            ),
        ))
    }
}
