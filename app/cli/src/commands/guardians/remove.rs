//! `hdx guardians remove`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::GuardianMode;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// (patient) Remove your guardians
#[derive(clap::Args, Debug)]
pub struct Remove {
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Remove {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = s.my_patient(self.patient)?;
        let sig = s.send(&[ix::set_guardians(
            p.authority,
            &p.id,
            vec![],
            0,
            GuardianMode::None,
        )])?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "signature": sig.to_string() }),
            format!("Guardians removed\nsignature: {sig}"),
        ))
    }
}
