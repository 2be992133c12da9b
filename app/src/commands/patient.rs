//! `hdx patient` and `hdx record`: the patient's account and record pointers.

use super::{hex, parse_pubkey, table, Ctx, Output, PointerArgs};
use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx::codes::Category;
use hdx::export::rfc3339;
use hdx::ix;
use hdx::pda;
use hdx::program::state::Record;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum PatientCmd {
    /// Register the keypair as a patient (opens the first audit-log page)
    Register,
    /// Show a patient [default: the keypair's]
    Show {
        #[arg(value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecordCmd {
    /// Add a pointer to one of your records (nothing but the locator and hash goes on-chain)
    Add {
        #[command(flatten)]
        pointer: PointerArgs,
    },
    /// List a patient's record pointers [default: the keypair's]
    List {
        #[arg(value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
}

pub fn record_json(r: &Record) -> Value {
    json!({
        "index": r.index,
        "category": Category::from_code(r.category).map_or_else(|| format!("unknown({})", r.category), |c| c.name().to_string()),
        "author": r.author.to_string(),
        "locator": String::from_utf8_lossy(&r.locator),
        "content_hash": hex(&r.content_hash),
        "created_at": rfc3339(r.created_at),
    })
}

fn target(ctx: &Ctx, key: Option<Pubkey>) -> anyhow::Result<Pubkey> {
    match key {
        Some(k) => Ok(k),
        None => ctx.pubkey(),
    }
}

pub fn patient(ctx: &Ctx, cmd: PatientCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    match cmd {
        PatientCmd::Register => {
            let me = ctx.pubkey()?;
            let sig = ctx.send(&client, &[ix::register_patient(me)])?;
            Ok(Output::new(
                json!({ "patient": me.to_string(), "account": pda::patient(&me).0.to_string(), "signature": sig.to_string() }),
                format!("Registered patient {me}\nsignature: {sig}"),
            ))
        }
        PatientCmd::Show { patient } => {
            let key = target(ctx, patient)?;
            let p = client.patient(&key)?;
            Ok(Output::new(
                json!({
                    "patient": key.to_string(),
                    "account": pda::patient(&key).0.to_string(),
                    "records": p.record_count,
                    "log_pages": p.log_pages,
                    "registered_at": rfc3339(p.registered_at),
                }),
                format!(
                    "Patient {key}\nrecords:    {}\nlog pages:  {}\nregistered: {}",
                    p.record_count,
                    p.log_pages,
                    rfc3339(p.registered_at)
                ),
            ))
        }
    }
}

pub fn record(ctx: &Ctx, cmd: RecordCmd) -> anyhow::Result<Output> {
    match cmd {
        RecordCmd::Add { pointer } => {
            let (locator, hash) = pointer.resolve()?;
            let category = pointer.category;
            let client = ctx.client()?;
            let signer = ctx.payer(&client)?;
            let index = client.add_record(signer, category.code(), locator, hash)?;
            Ok(Output::new(
                json!({ "index": index, "category": category.name(), "content_hash": hex(&hash) }),
                format!("Added record {index} ({})", category.name()),
            ))
        }
        RecordCmd::List { patient } => {
            let client = ctx.client()?;
            let key = target(ctx, patient)?;
            let records = client.records(&key)?;
            let rows: Vec<Vec<String>> = records
                .iter()
                .map(|r| {
                    let j = record_json(r);
                    ["index", "category", "author", "locator", "content_hash"]
                        .iter()
                        .map(|k| match &j[*k] {
                            Value::String(s) => s.clone(),
                            v => v.to_string(),
                        })
                        .collect()
                })
                .collect();
            Ok(Output::new(
                Value::Array(records.iter().map(record_json).collect()),
                if rows.is_empty() {
                    "no records".into()
                } else {
                    table(
                        &["index", "category", "author", "locator", "content hash"],
                        &rows,
                    )
                },
            ))
        }
    }
}
