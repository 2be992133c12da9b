//! `hdx study query`: the sponsor asks the study's custodian (a gateway)
//! a question; the answer is noisy counts, each release recorded on-chain
//! before it is answered.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::gateway::{GatewayClient, QueryKind, StudyQuery};
use serde_json::json;

use super::create::parse_epsilon;
use crate::commands::args::{parse_pubkey, usage};
use crate::commands::{Output, Run, Session};

/// (sponsor) Ask the study's custodian for a count, or a histogram, of the cohort's
/// FHIR Observations with a code: differentially private, recorded on-chain first
#[derive(clap::Args, Debug)]
pub struct Query {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
    /// The Observation's code (e.g. LOINC 8867-4)
    #[arg(long)]
    code: String,
    /// Histogram bin edges, increasing and comma-separated (bin i is [e_i, e_i+1)); without it, a count
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "EDGES"
    )]
    histogram: Vec<f64>,
    /// The epsilon this answer spends from the study's budget (0.001 to 10)
    #[arg(long, value_parser = parse_epsilon, allow_hyphen_values = true)]
    epsilon: u64,
    /// The custodian gateway's URL
    #[arg(long, value_name = "URL")]
    gateway: String,
}

impl Run for Query {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let a = self;
        let query = StudyQuery {
            code: a.code,
            kind: if a.histogram.is_empty() {
                QueryKind::Count
            } else {
                QueryKind::Histogram
            },
            edges: a.histogram,
            epsilon_milli: a.epsilon,
        };
        if let Err(e) = query.check() {
            usage!("{e}");
        }
        let study = super::study_at(s, &a.study)?;
        let client = s.client()?;
        let now = client.transport.unix_time()?;
        let answer =
            GatewayClient::new(&a.gateway).query_study(s.payer()?, &a.study, &query, now)?;
        let bins: Vec<String> = match answer.kind {
            QueryKind::Count => vec![format!("count: {}", answer.counts[0])],
            QueryKind::Histogram => answer
                .edges
                .windows(2)
                .zip(&answer.counts)
                .map(|(w, c)| format!("[{}, {}): {c}", w[0], w[1]))
                .collect(),
        };
        let text = format!(
            "Release {} of study {}: a cohort of {} (hash {}), epsilon {} spent, {} of {} now\n{}\nsignature: {}",
            answer.release,
            a.study,
            answer.cohort_size,
            answer.cohort_hash,
            super::epsilon(answer.epsilon_milli),
            super::epsilon(answer.epsilon_spent_milli),
            super::epsilon(study.terms.epsilon_milli),
            bins.join("\n"),
            answer.signature
        );
        Ok(Output::new(json!(answer), text))
    }
}
