//! `hdx consent list`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use serde_json::Value;

use super::{consent_json, limits, state};
use crate::commands::args::parse_pubkey;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};

/// List live consents [default: the keypair's patient's]
#[derive(clap::Args, Debug)]
pub struct List {
    /// Only this patient's consents: the patient's id
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
    /// Only this provider's consents: its id or current key
    #[arg(long, value_parser = parse_pubkey)]
    provider: Option<Pubkey>,
}

impl Run for List {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (patient, provider) = (self.patient, self.provider);
        let client = s.client()?;
        let now = s.now()?;

        let provider = match provider {
            Some(k) => Some(s.provider_named(&k)?.id),
            None => None,
        };
        let patient = match (patient, provider) {
            (None, None) => Some(s.my_patient(None)?.id),
            (p, _) => p,
        };
        let all = client.consents(patient.as_ref(), provider.as_ref())?;
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|c| {
                let j = consent_json(c, now);
                let list = |k: &str| {
                    j[k].as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str())
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default()
                };
                vec![
                    c.patient.to_string(),
                    c.provider.to_string(),
                    list("categories"),
                    list("modes"),
                    list("purposes"),
                    rfc3339(c.terms.expires_at),
                    state(c, now).to_string(),
                    limits(c),
                ]
            })
            .collect();
        Ok(Output::new(
            Value::Array(all.iter().map(|c| consent_json(c, now)).collect()),
            if rows.is_empty() {
                "no consents".into()
            } else {
                table(
                    &[
                        "patient",
                        "provider",
                        "categories",
                        "modes",
                        "purposes",
                        "expires",
                        "state",
                        "limits",
                    ],
                    &rows,
                )
            },
        ))
    }
}
