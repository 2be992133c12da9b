//! `hdx emergency ack`: the patient acknowledges a window.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::{Output, Run, Session};

/// (patient) Acknowledge a window
#[derive(clap::Args, Debug)]
pub struct Ack {
    /// The window's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    window: u32,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Ack {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let window = self.window;
        let p = s.my_patient(self.patient)?;
        s.client()?.emergency_window(&p.id, window)?;
        let sig = s.send(&[ix::acknowledge_emergency(s.pubkey()?, &p.id, window)])?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "window": window, "signature": sig.to_string() }),
            format!("Acknowledged emergency window {window}\nsignature: {sig}"),
        ))
    }
}
