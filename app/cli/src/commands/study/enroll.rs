//! `hdx study enroll`: a patient joins a study.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use serde_json::json;

use super::{names, EnrollTerms};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Enrol in an approved study (the patient's authority): a new version in the consent history
#[derive(clap::Args, Debug)]
pub struct Enroll {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
    /// The patient's id [default: the signer's patient]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
    #[command(flatten)]
    terms: EnrollTerms,
}

impl Run for Enroll {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let me = s.pubkey()?;
        let patient = self.patient.unwrap_or(me);
        let study = super::study_at(s, &self.study)?;
        let (categories, until) = self.terms.resolve(&study, s.now()?)?;
        let sig = s.send(&[ix::enroll_in_study(
            me, &patient, self.study, categories, until,
        )])?;
        Ok(Output::new(
            json!({ "study": self.study.to_string(), "patient": patient.to_string(), "categories": names(categories), "until": rfc3339(until), "signature": sig.to_string() }),
            format!(
                "Enrolled patient {patient} in study {} ({} until {})\nsignature: {sig}",
                self.study,
                names(categories),
                rfc3339(until)
            ),
        ))
    }
}
