//! `hdx study approve`: the registry authority approves a proposed study.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Approve a proposed study (registry authority): enrolment opens
#[derive(clap::Args, Debug)]
pub struct Approve {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
}

impl Run for Approve {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        super::study_at(s, &self.study)?;
        let sig = s.send(&[ix::approve_study(s.pubkey()?, self.study)])?;
        Ok(Output::new(
            json!({ "study": self.study.to_string(), "status": "approved", "signature": sig.to_string() }),
            format!("Approved study {}\nsignature: {sig}", self.study),
        ))
    }
}
