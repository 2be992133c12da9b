//! `hdx provider show`.

use anchor_lang::prelude::Pubkey;

use super::{provider_json, row, HEADERS};
use crate::commands::args::parse_pubkey;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};
use hdx_sdk::directory::ProviderName;

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
        let directory = s.directory()?;
        let mut text = table(&HEADERS, &[row(&p, &directory)]);
        if let ProviderName::Unnamed(why) = directory.name(&p) {
            text.push_str(&format!("\nunnamed: {why}"));
        }
        Ok(Output::new(provider_json(&p, &directory), text))
    }
}
