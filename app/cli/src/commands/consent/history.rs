//! `hdx consent history`: every version each consent of a patient has had,
//! read from the program's events and checked against the accounts.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::{actor_code, rfc3339};
use hdx_sdk::history::{self, ConsentVersion, Participation};
use serde_json::{json, Value};

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
        let enrollments = client.patient_enrollments(&patient)?;
        let (versions, participations) = history::consent_and_study_history(
            client.transport.as_ref(),
            &patient,
            &accounts,
            &enrollments,
        )?;
        let versions: Vec<ConsentVersion> = versions
            .into_iter()
            .filter(|v| provider.is_none_or(|p| v.provider == p))
            .collect();
        // Research consents are no provider's: listed unless one provider is asked for.
        let participations: Vec<Participation> = match provider {
            Some(_) => Vec::new(),
            None => participations,
        };
        let mut rows: Vec<(u32, Vec<String>)> = versions
            .iter()
            .map(|v| {
                let j = version_json(v, now);
                (
                    v.revision,
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
                    ],
                )
            })
            .collect();
        for p in &participations {
            rows.push((
                p.revision,
                vec![
                    p.revision.to_string(),
                    format!("study {}", p.study),
                    "enrolled".into(),
                    match p.proposal {
                        Some(n) => format!("guardians (proposal {n})"),
                        None => actor_code(p.actor).to_string(),
                    },
                    rfc3339(p.since),
                    match p.withdrawn {
                        Some((at, revision, _)) => {
                            format!("withdrawn {} (revision {revision})", rfc3339(at))
                        }
                        None => "-".into(),
                    },
                    rfc3339(p.until),
                    if p.is_active(now) {
                        "active"
                    } else {
                        "inactive"
                    }
                    .into(),
                ],
            ));
        }
        rows.sort_by_key(|(revision, _)| *revision);
        let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, row)| row).collect();
        let mut json: Vec<Value> = versions.iter().map(|v| version_json(v, now)).collect();
        json.extend(participations.iter().map(|p| participation_json(p, now)));
        Ok(Output::new(
            Value::Array(json),
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

/// A research participation as `consent history --output json` lists it
/// (beside the provider consents' versions): the study instead of a provider.
fn participation_json(p: &Participation, now: i64) -> Value {
    json!({
        "patient": p.patient.to_string(),
        "study": p.study.to_string(),
        "revision": p.revision,
        "origin": "enrolled",
        "by": actor_code(p.actor),
        "signer": p.signer.to_string(),
        "proposal": p.proposal,
        "approvers": p.approvers.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "since": rfc3339(p.since),
        "ended": p.withdrawn.map(|(at, _, _)| rfc3339(at)),
        "ending": p.withdrawn.map(|_| "withdrawn"),
        "withdrawal_revision": p.withdrawn.map(|(_, r, _)| r),
        "status": if p.is_active(now) { "active" } else { "inactive" },
        "categories": hdx_sdk::export::category_names(p.categories),
        "until": rfc3339(p.until),
        "signature": p.signature.to_string(),
    })
}
