//! `hdx patient show`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::pda;
use serde_json::json;

use super::{excluded_names, preference_words};
use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Show a patient [default: the one the keypair controls]
#[derive(clap::Args, Debug)]
pub struct Show {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Show {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = match self.patient {
            Some(id) => s.client()?.patient(&id)?,
            None => s.my_patient(None)?,
        };
        Ok(Output::new(
            json!({
                "patient": p.id.to_string(),
                "authority": p.authority.to_string(),
                "account": pda::patient(&p.id).0.to_string(),
                "records": p.record_count,
                "log_pages": p.log_pages,
                "consent_revisions": p.consent_revisions,
                "emergency_opt_out": p.emergency.opt_out,
                "emergency_excluded": excluded_names(&p.emergency),
                "registered_at": rfc3339(p.registered_at),
            }),
            format!(
                "Patient {}\nauthority:  {}\nrecords:    {}\nlog pages:  {}\nemergency:  {}\nregistered: {}",
                p.id,
                p.authority,
                p.record_count,
                p.log_pages,
                preference_words(&p.emergency),
                rfc3339(p.registered_at)
            ),
        ))
    }
}
