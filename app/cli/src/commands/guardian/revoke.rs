//! `hdx guardian revoke`: any single guardian revokes a consent at once.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Revoke a patient's consent at once (any single guardian)
#[derive(clap::Args, Debug)]
pub struct Revoke {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
}

impl Run for Revoke {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let patient = self.patient;
        let provider = s.provider_named(&self.provider)?;
        let authority = s.client()?.patient(&patient)?.authority;
        let sig = s.send(&[ix::guardian_revoke_consent(
            s.pubkey()?,
            &patient,
            &provider.id,
            authority,
        )])?;
        Ok(Output::new(
            json!({ "patient": patient.to_string(), "provider": provider.id.to_string(), "signature": sig.to_string() }),
            format!(
                "Revoked the consent for {} of patient {patient}\nsignature: {sig}",
                provider.id
            ),
        ))
    }
}
