//! `hdx study log`: a study's releases, with its hash chain verified.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use serde_json::json;

use super::{epsilon, hex, release_json};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// A study's release log (every answer recorded before it was released), its hash chain verified; fails when it does not verify
#[derive(clap::Args, Debug)]
pub struct Log {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
}

impl Run for Log {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let hdx_sdk::study::StudyLog {
            study,
            releases,
            verdict,
        } = s.client()?.verified_study(&self.study)?;
        let head = verdict.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "study {}'s release log does not verify",
                self.study
            ))
        })?;
        let mut text = String::new();
        if !releases.is_empty() {
            text.push_str(&format!(
                "{:>5}  {:<20}  {:>8}  {:>6}  {:<16}  cohort hash\n",
                "#", "at", "epsilon", "cohort", "query"
            ));
        }
        for r in &releases {
            text.push_str(&format!(
                "{:>5}  {:<20}  {:>8}  {:>6}  {:<16}  {}\n",
                r.index,
                rfc3339(r.at),
                epsilon(r.facts.epsilon_milli),
                r.facts.cohort_size,
                &hex(&r.facts.query_hash)[..16],
                &hex(&r.facts.cohort_hash)[..16],
            ));
        }
        text.push_str(&format!(
            "{} releases, epsilon {} of {} spent; the chain verifies: head {}",
            releases.len(),
            epsilon(study.epsilon_spent_milli),
            epsilon(study.terms.epsilon_milli),
            hex(&head)
        ));
        Ok(Output::new(
            json!({
                "study": self.study.to_string(),
                "releases": releases.iter().map(release_json).collect::<Vec<_>>(),
                "epsilon_spent_milli": study.epsilon_spent_milli,
                "epsilon_milli": study.terms.epsilon_milli,
                "head": hex(&head),
                "verified": true,
            }),
            text,
        ))
    }
}
