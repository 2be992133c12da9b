//! `hdx consent grant`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::ProviderStatus;
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use serde_json::json;

use super::{consent_json, TermsArgs};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Grant a provider access (you are the patient's authority)
#[derive(clap::Args, Debug)]
pub struct Grant {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
    #[command(flatten)]
    terms: TermsArgs,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Grant {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let now = s.now()?;
        let terms = self.terms.resolve(None, now)?;
        let p = s.my_patient(self.patient)?;
        let provider = s.provider_named(&self.provider)?;
        anyhow::ensure!(
            client.consent(&p.id, &provider.id)?.is_none(),
            "you already have a live consent for {}: use `hdx consent update`",
            provider.id
        );
        let sig = s.send(&[ix::grant_consent(p.authority, &p.id, &provider.id, terms)])?;
        let c = client
            .consent(&p.id, &provider.id)?
            .ok_or_else(|| anyhow::anyhow!("the consent did not land"))?;
        let mut j = consent_json(&c, now);
        j["signature"] = json!(sig.to_string());
        // Valid, but unusable until the registry authority verifies the provider.
        if provider.status != ProviderStatus::Verified {
            let warning = format!(
                "{} is {} (not verified): the consent is in place, but the provider cannot use it until the registry authority verifies it",
                provider.id,
                provider.status.name()
            );
            eprintln!("warning: {warning}");
            j["warning"] = json!(warning);
        }
        Ok(Output::new(
            j,
            format!(
                "Granted {} until {}\nsignature: {sig}",
                provider.id,
                rfc3339(c.terms.expires_at)
            ),
        ))
    }
}
