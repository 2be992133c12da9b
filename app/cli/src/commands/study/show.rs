//! `hdx study show`: a study's terms and state.

use anchor_lang::prelude::Pubkey;

use super::{duo_terms, epsilon, names, study_json};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Show a study: its terms in words, status, budget, enrolment
#[derive(clap::Args, Debug)]
pub struct Show {
    /// The study's address
    #[arg(value_parser = parse_pubkey)]
    study: Pubkey,
}

impl Run for Show {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let st = super::study_at(s, &self.study)?;
        let t = &st.terms;
        let text = format!(
            "study {}\n  sponsor {} (number {}), custodian {}\n  status {}\n  data use: {}{}\n  categories: {}\n  minimum cohort {}; budget epsilon {} ({} spent, {} releases)\n  enrolled now: {}",
            self.study,
            st.sponsor,
            st.number,
            st.custodian,
            st.status.name(),
            duo_terms(t.duo).join(", "),
            if t.disease != 0 { format!(", disease MONDO:{:07}", t.disease) } else { String::new() },
            names(t.categories),
            t.min_cohort,
            epsilon(t.epsilon_milli),
            epsilon(st.epsilon_spent_milli),
            st.releases,
            st.enrolled,
        );
        Ok(Output::new(study_json(&self.study, &st), text))
    }
}
