//! `hdx study address`: the address of a sponsor's study number.

use anchor_lang::prelude::Pubkey;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::{Output, Run, Session};

/// Print the address of a sponsor's study (its sponsor's id and its number); reads nothing
#[derive(clap::Args, Debug)]
pub struct Address {
    /// The sponsor's provider id
    #[arg(value_parser = parse_pubkey)]
    sponsor: Pubkey,
    /// The study's number
    #[arg(value_parser = parse_u32)]
    number: u32,
}

impl Run for Address {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, _: &Session) -> anyhow::Result<Output> {
        let address = hdx_sdk::pda::study(&self.sponsor, self.number).0;
        Ok(Output::new(
            json!({ "study": address.to_string(), "sponsor": self.sponsor.to_string(), "number": self.number }),
            address.to_string(),
        ))
    }
}
