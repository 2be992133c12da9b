//! `hdx address`: the signer's address.

use serde_json::json;

use crate::commands::{Output, Run, Session};

/// Print the keypair's address
#[derive(clap::Args, Debug)]
pub struct Address;

impl Run for Address {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let key = s.pubkey()?;
        Ok(Output::new(
            json!({ "pubkey": key.to_string() }),
            key.to_string(),
        ))
    }
}
