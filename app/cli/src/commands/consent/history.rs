//! `hdx consent history`: every version each consent of a patient has had,
//! read from the program's events and checked against the accounts.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::{actor_code, rfc3339};
use hdx_sdk::history::{self, ConsentVersion};
use serde_json::Value;

use super::version_json;
use crate::commands::args::parse_pubkey;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};

/// Every version each consent of a patient has had (granted, updated,
/// renewed; by whom; how it ended), from the program's events
#[derive(clap::Args, Debug)]
pub struct History {
    /// The patient's id [default: the one the keypair controls]
    #[arg(value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
    /// Only this provider's consent: its id or current key
    #[arg(long, value_parser = parse_pubkey)]
    provider: Option<Pubkey>,
}

impl Run for History {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (patient, provider) = (self.patient, self.provider);
        let client = s.client()?;
        let now = s.now()?;

        let patient = match patient {
            Some(p) => s.client()?.patient(&p)?.id,
            None => s.my_patient(None)?.id,
        };
        let provider = match provider {
            Some(k) => Some(s.provider_named(&k)?.id),
            None => None,
        };
        let accounts = client.consents(Some(&patient), None)?;
        let versions: Vec<ConsentVersion> =
            history::consent_history(client.transport.as_ref(), &patient, &accounts)?
                .into_iter()
                .filter(|v| provider.is_none_or(|p| v.provider == p))
                .collect();
        let rows: Vec<Vec<String>> = versions
            .iter()
            .map(|v| {
                let j = version_json(v, now);
                vec![
                    v.revision.to_string(),
                    v.provider.to_string(),
                    j["origin"].as_str().unwrap_or_default().to_string(),
                    match v.proposal {
                        Some(n) => format!("guardians (proposal {n})"),
                        None => actor_code(v.actor).to_string(),
                    },
                    rfc3339(v.since),
                    match v.ended {
                        Some((at, _)) => format!(
                            "{} {}",
                            j["ending"].as_str().unwrap_or_default(),
                            rfc3339(at)
                        ),
                        None => "-".into(),
                    },
                    rfc3339(v.terms.expires_at),
                    j["status"].as_str().unwrap_or_default().to_string(),
                ]
            })
            .collect();
        Ok(Output::new(
            Value::Array(versions.iter().map(|v| version_json(v, now)).collect()),
            if rows.is_empty() {
                "no consent history".into()
            } else {
                table(
                    &[
                        "revision", "provider", "origin", "by", "since", "ended", "expires",
                        "status",
                    ],
                    &rows,
                )
            },
        ))
    }
}
