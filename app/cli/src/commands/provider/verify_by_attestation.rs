//! `hdx provider verify-by-attestation` (anyone).

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Verify a provider through its licence attestation under the registry's
/// credential policy (anyone may send it); PROVIDER is its id or current key
#[derive(clap::Args, Debug)]
pub struct VerifyByAttestation {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
}

impl Run for VerifyByAttestation {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let id = s.provider_named(&self.provider)?.id;
        let policy = s.client()?.registry()?.credential_policy;
        anyhow::ensure!(
            policy.is_set(),
            "the registry has no credential policy: only the registry authority verifies providers"
        );
        let me = s.pubkey()?;
        let sig = s.send(&[ix::verify_provider_by_attestation(me, &id, &policy)])?;
        let p = s.client()?.provider(&id)?;
        let until = if p.attestation_expiry == 0 {
            "no expiry".to_string()
        } else {
            format!("until {}", hdx_sdk::export::rfc3339(p.attestation_expiry))
        };
        Ok(Output::new(
            json!({
                "provider": id.to_string(),
                "attestation": p.attestation.to_string(),
                "expires_at": (p.attestation_expiry != 0).then(|| hdx_sdk::export::rfc3339(p.attestation_expiry)),
                "signature": sig.to_string(),
            }),
            format!(
                "Verified provider {id} by its attestation {} ({until})\nsignature: {sig}",
                p.attestation
            ),
        ))
    }
}
