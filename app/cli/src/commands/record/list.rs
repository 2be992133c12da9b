//! `hdx record list`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::day_date;
use serde_json::Value;

use super::record_json;
use crate::commands::args::parse_pubkey;
use crate::commands::output::{hex, table};
use crate::commands::{Output, Run, Session};

/// List a patient's record pointers [default: the keypair's patient]
#[derive(clap::Args, Debug)]
pub struct List {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for List {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let id = match self.patient {
            Some(id) => id,
            None => s.my_patient(None)?.id,
        };
        let records = s.client()?.records(&id)?;
        let rows: Vec<Vec<String>> = records
            .iter()
            .map(|r| {
                vec![
                    r.index.to_string(),
                    r.category.name().to_string(),
                    if r.clinical_day == 0 {
                        "-".into()
                    } else {
                        day_date(r.clinical_day)
                    },
                    r.author.to_string(),
                    String::from_utf8_lossy(&r.locator).to_string(),
                    hex(&r.content_hash),
                ]
            })
            .collect();
        Ok(Output::new(
            Value::Array(records.iter().map(record_json).collect()),
            if rows.is_empty() {
                "no records".into()
            } else {
                table(
                    &[
                        "index",
                        "category",
                        "clinical date",
                        "author",
                        "locator",
                        "content hash",
                    ],
                    &rows,
                )
            },
        ))
    }
}
