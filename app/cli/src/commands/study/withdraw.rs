//! `hdx study withdraw`: a patient (or any one guardian) leaves a study at once.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Withdraw from a study at once (the patient's authority, or any one guardian): no later release counts the patient
#[derive(clap::Args, Debug)]
pub struct Withdraw {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
    /// The patient's id [default: the signer's patient]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Withdraw {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let me = s.pubkey()?;
        let patient = self.patient.unwrap_or(me);
        let authority = s.client()?.patient(&patient)?.authority;
        // The patient's own key, else a guardian's.
        let (instruction, by) = if me == authority {
            (ix::withdraw_from_study(me, &patient, self.study), "patient")
        } else {
            (
                ix::guardian_withdraw_from_study(me, &patient, self.study),
                "guardian",
            )
        };
        let sig = s.send(&[instruction])?;
        Ok(Output::new(
            json!({ "study": self.study.to_string(), "patient": patient.to_string(), "by": by, "signature": sig.to_string() }),
            format!(
                "Withdrew patient {patient} from study {}\nsignature: {sig}",
                self.study
            ),
        ))
    }
}
