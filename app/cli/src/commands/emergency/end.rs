//! `hdx emergency end`: the patient ends a window at once.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::{Output, Run, Session};

/// (patient) End an emergency window at once
#[derive(clap::Args, Debug)]
pub struct End {
    /// The window's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    window: u32,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for End {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let window = self.window;
        let p = s.my_patient(self.patient)?;
        let w = s.client()?.emergency_window(&p.id, window)?;
        let sig = s.send(&[ix::end_emergency(s.pubkey()?, &p.id, &w.provider, window)])?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "window": window, "provider": w.provider.to_string(), "signature": sig.to_string() }),
            format!(
                "Ended emergency window {window} (provider {})\nsignature: {sig}",
                w.provider
            ),
        ))
    }
}
