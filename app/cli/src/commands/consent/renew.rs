//! `hdx consent renew`: anyone extends a consent by one period of the
//! renewal policy the patient set, when due.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use hdx_sdk::program::state::Consent;
use serde_json::json;

use super::consent_json;
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Renew a consent by one period of its renewal policy (anyone may; due in
/// the last tenth of its window)
#[derive(clap::Args, Debug)]
pub struct Renew {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
}

/// Why the program would refuse renewing `c` at `now` (`Consent::renewal`,
/// the rule `renew_consent` applies), in words.
pub fn not_renewable(c: &Consent, now: i64) -> Option<String> {
    use hdx_sdk::program::error::HdxError as E;
    let Err(e) = c.renewal(now) else {
        return None;
    };
    let code = match &e {
        anchor_lang::error::Error::AnchorError(a) => a.error_code_number,
        anchor_lang::error::Error::ProgramError(_) => u32::MAX,
    };
    let is = |h: E| code == u32::from(h);
    Some(if is(E::NoRenewalPolicy) {
        "the consent has no renewal policy".to_string()
    } else if is(E::NoRenewalsLeft) {
        format!(
            "the consent has used all {} renewals its policy allows",
            c.terms.renewals_allowed
        )
    } else if is(E::ConsentExpired) {
        format!("the consent expired at {}", rfc3339(c.terms.expires_at))
    } else if is(E::RenewalNotDue) {
        format!(
            "renewal is not due until {} (the last tenth of the window)",
            c.terms
                .renewal_opens_at()
                .map_or_else(|_| "never".to_string(), rfc3339)
        )
    } else if is(E::ExpiryTooFar) {
        "a renewal would take the expiry more than 10 years ahead".to_string()
    } else {
        format!("the consent cannot be renewed: {e}")
    })
}

impl Run for Renew {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let now = s.now()?;
        let provider = s.provider_named(&self.provider)?;
        let patient = self.patient;
        let c = client.consent(&patient, &provider.id)?.ok_or_else(|| {
            anyhow::anyhow!("patient {patient} has no live consent for {}", provider.id)
        })?;
        if let Some(why) = not_renewable(&c, now) {
            anyhow::bail!(why);
        }
        let sig = s.send(&[ix::renew_consent(&patient, &provider.id)])?;
        let c = client
            .consent(&patient, &provider.id)?
            .ok_or_else(|| anyhow::anyhow!("the consent disappeared"))?;
        let mut j = consent_json(&c, now);
        j["signature"] = json!(sig.to_string());
        Ok(Output::new(
            j,
            format!(
                "Renewed until {} ({} of {} renewals used)\nsignature: {sig}",
                rfc3339(c.terms.expires_at),
                c.renewals_used,
                c.terms.renewals_allowed
            ),
        ))
    }
}
