//! `hdx patient emergency-policy`: what the patient allows in an emergency.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use super::{excluded_names, preference_words, PreferenceArgs};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// What the patient allows in an emergency: opt out altogether, or exclude
/// categories (emergency access is allowed by default; changes apply from
/// the next transaction)
#[derive(clap::Args, Debug)]
pub struct EmergencyPolicy {
    #[command(flatten)]
    preferences: PreferenceArgs,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for EmergencyPolicy {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = s.my_patient(self.patient)?;
        let new = self.preferences.resolve(p.emergency)?;
        let sig = s.send(&[ix::set_emergency_preferences(
            s.pubkey()?,
            &p.id,
            new.opt_out,
            new.excluded,
        )])?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "opt_out": new.opt_out, "excluded": excluded_names(&new), "signature": sig.to_string() }),
            format!(
                "Emergency access for patient {}: {}\nsignature: {sig}",
                p.id,
                preference_words(&new)
            ),
        ))
    }
}
