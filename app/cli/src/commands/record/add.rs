//! `hdx record add`: the patient's authority adds a pointer.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::program::AddRecordArgs;
use serde_json::json;

use crate::commands::args::{parse_pubkey, PointerArgs};
use crate::commands::output::hex;
use crate::commands::{Output, Run, Session};

/// Add a pointer to one of your records (nothing but the locator, hash,
/// category and clinical date goes on-chain)
#[derive(clap::Args, Debug)]
pub struct Add {
    #[command(flatten)]
    pointer: PointerArgs,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Add {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let pointer = self.pointer.resolve(s.now()?)?;
        let p = s.my_patient(self.patient)?;
        let signer = s.payer()?;
        let _flight = crate::commands::session::InFlight::begin();
        let index = s.client()?.add_record(
            signer,
            &p.id,
            AddRecordArgs {
                category: pointer.category,
                clinical_day: pointer.clinical_day,
                locator: pointer.locator,
                content_hash: pointer.content_hash,
            },
        )?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "index": index, "category": pointer.category.name(), "content_hash": hex(&pointer.content_hash) }),
            format!("Added record {index} ({})", pointer.category.name()),
        ))
    }
}
