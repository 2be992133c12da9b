//! `hdx emergency open`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::EmergencyReason;
use hdx_sdk::export::rfc3339;

use super::window_json;
use crate::commands::args::{parse_pubkey, parse_reason, parse_window_secs};
use crate::commands::session::InFlight;
use crate::commands::{Output, Run, Session};

/// (provider, emergency role) Open an emergency window for a patient
#[derive(clap::Args, Debug)]
pub struct Open {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// patient-cannot-consent, life-threatening or urgent-treatment
    #[arg(long, value_parser = parse_reason)]
    reason: EmergencyReason,
    /// How long, at most the registry's maximum (1h by default)
    #[arg(long, default_value = "1h", value_parser = parse_window_secs, allow_hyphen_values = true)]
    duration: u32,
}

impl Run for Open {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let now = s.now()?;
        let provider = s.my_provider()?;
        let patient = self.patient;
        client.patient(&patient)?;
        let max = client.registry()?.emergency.max_secs;
        anyhow::ensure!(
            self.duration <= max,
            "the window would last {} s; the registry allows at most {max} s",
            self.duration
        );
        let signer = s.payer()?;
        let index = {
            let _flight = InFlight::begin();
            client.open_emergency(signer, &provider.id, &patient, self.reason, self.duration)?
        };
        let w = client.emergency_window(&patient, index)?;
        Ok(Output::new(
            window_json(&w, now),
            format!(
                "Opened emergency window {index} for patient {patient} ({}) until {}",
                self.reason.name(),
                rfc3339(w.expires_at)
            ),
        ))
    }
}
