//! `hdx emergency close`: the provider closes its window early.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use super::open_window;
use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::{Output, Run, Session};

/// (provider) Close your window early
#[derive(clap::Args, Debug)]
pub struct Close {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The window [default: your open window for this patient]
    #[arg(long, value_parser = parse_u32, allow_hyphen_values = true)]
    window: Option<u32>,
}

impl Run for Close {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let provider = s.my_provider()?;
        let patient = self.patient;
        let window = match self.window {
            Some(w) => w,
            None => open_window(s.client()?, &provider.id, &patient, s.now()?)?,
        };
        let sig = s.send(&[ix::close_emergency(
            s.pubkey()?,
            &provider.id,
            &patient,
            window,
        )])?;
        Ok(Output::new(
            json!({ "patient": patient.to_string(), "window": window, "signature": sig.to_string() }),
            format!("Closed emergency window {window} of patient {patient}\nsignature: {sig}"),
        ))
    }
}
