//! `hdx provider list`.

use hdx_sdk::codes::ProviderStatus;
use serde_json::Value;

use super::{provider_json, row, HEADERS};
use crate::commands::args::parse_status;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};

/// List registered providers
#[derive(clap::Args, Debug)]
pub struct List {
    /// Only providers with this status: pending, verified or suspended
    #[arg(long, value_parser = parse_status)]
    status: Option<ProviderStatus>,
}

impl Run for List {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let all = s.client()?.providers(self.status)?;
        let directory = s.directory()?;
        let text = if all.is_empty() {
            "no providers".to_string()
        } else {
            table(
                &HEADERS,
                &all.iter().map(|p| row(p, &directory)).collect::<Vec<_>>(),
            )
        };
        Ok(Output::new(
            Value::Array(all.iter().map(|p| provider_json(p, &directory)).collect()),
            text,
        ))
    }
}
