//! `hdx consent update`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use serde_json::json;

use super::{consent_json, TermsArgs};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Change a live consent's terms; flags not given keep their current value
#[derive(clap::Args, Debug)]
pub struct Update {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
    #[command(flatten)]
    terms: TermsArgs,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Update {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let now = s.now()?;
        let p = s.my_patient(self.patient)?;
        let provider = s.provider_named(&self.provider)?;
        let current = client
            .consent(&p.id, &provider.id)?
            .ok_or_else(|| anyhow::anyhow!("you have no live consent for {}", provider.id))?;
        let terms = self.terms.resolve(Some(&current), now)?;
        let sig = s.send(&[ix::update_consent(p.authority, &p.id, &provider.id, terms)])?;
        let c = client
            .consent(&p.id, &provider.id)?
            .ok_or_else(|| anyhow::anyhow!("the consent disappeared"))?;
        let mut j = consent_json(&c, now);
        j["signature"] = json!(sig.to_string());
        Ok(Output::new(
            j,
            format!(
                "Updated consent for {}: until {}\nsignature: {sig}",
                provider.id,
                rfc3339(c.terms.expires_at)
            ),
        ))
    }
}
