//! `hdx access`: a provider's system asks the gate for a record's pointer.
//! A logged denial exits with code 3 (see `main`).

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::Purpose;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_purpose, parse_u32};
use crate::commands::output::hex;
use crate::commands::session::InFlight;
use crate::commands::{Output, Run, Session};

/// (provider) Obtain a record's pointer for a purpose; exit 3 when denied
#[derive(clap::Args, Debug)]
pub struct Access {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The record's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    record: u32,
    /// Purpose of use, by name or HL7 code (treatment or TREAT, ...)
    #[arg(long, value_parser = parse_purpose)]
    purpose: Purpose,
}

impl Run for Access {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        // Refuse what cannot be a real attempt before paying for a transaction.
        let provider = s.my_provider()?;
        s.require_record(&self.patient, self.record)?;
        let signer = s.payer()?;
        let _flight = InFlight::begin();
        let g = s.client()?.access_record(
            signer,
            &provider.id,
            &self.patient,
            self.record,
            self.purpose,
        )?;
        let locator = String::from_utf8_lossy(&g.locator).to_string();
        Ok(Output::new(
            json!({
                "outcome": "Granted",
                "sequence": g.sequence,
                "record": g.record_index,
                "locator": locator,
                "content_hash": hex(&g.content_hash),
            }),
            format!(
                "Granted (log entry {})\nlocator:      {locator}\ncontent hash: {}",
                g.sequence,
                hex(&g.content_hash)
            ),
        ))
    }
}
