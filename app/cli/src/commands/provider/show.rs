//! `hdx provider show`.

use anchor_lang::prelude::Pubkey;

use super::{provider_json, row, HEADERS};
use crate::commands::args::parse_pubkey;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};

/// Show one provider, by id or current key [default: the keypair's]
#[derive(clap::Args, Debug)]
pub struct Show {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Option<Pubkey>,
}

impl Run for Show {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = match self.provider {
            Some(k) => s.provider_named(&k)?,
            None => s.my_provider()?,
        };
        Ok(Output::new(provider_json(&p), table(&HEADERS, &[row(&p)])))
    }
}
