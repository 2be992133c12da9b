//! `hdx study close`: the sponsor or the registry authority closes a study.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Close a study for good (its sponsor or the registry authority): no enrolment, no release after it
#[derive(clap::Args, Debug)]
pub struct Close {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
}

impl Run for Close {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let study = super::study_at(s, &self.study)?;
        let sig = s.send(&[ix::close_study(s.pubkey()?, &study.sponsor, self.study)])?;
        Ok(Output::new(
            json!({ "study": self.study.to_string(), "status": "closed", "signature": sig.to_string() }),
            format!("Closed study {}\nsignature: {sig}", self.study),
        ))
    }
}
