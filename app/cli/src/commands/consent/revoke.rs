//! `hdx consent revoke`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::{Output, Run, Session};

/// Revoke a consent (takes effect in the next transaction; rent comes back to you)
#[derive(clap::Args, Debug)]
pub struct Revoke {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Revoke {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = s.my_patient(self.patient)?;
        let provider = s.provider_named(&self.provider)?;
        anyhow::ensure!(
            s.client()?.consent(&p.id, &provider.id)?.is_some(),
            "you have no live consent for {}",
            provider.id
        );
        let sig = s.send(&[ix::revoke_consent(p.authority, &p.id, &provider.id)])?;
        Ok(Output::new(
            json!({ "revoked": provider.id.to_string(), "signature": sig.to_string() }),
            format!("Revoked consent for {}\nsignature: {sig}", provider.id),
        ))
    }
}
