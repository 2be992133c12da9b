//! `hdx access` and `hdx write`: a provider's system asks the gate.
//! A logged denial exits with code 3 (see `main`).

use super::{hex, parse_pubkey, parse_purpose, Ctx, Output, PointerArgs};
use anchor_lang::prelude::Pubkey;
use hdx::codes::Purpose;
use hdx::program::instructions::WriteRecordArgs;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct AccessArgs {
    /// The patient (wallet address)
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The record's index
    record: u32,
    /// Purpose of use, by name or HL7 code (treatment or TREAT, ...)
    #[arg(long, value_parser = parse_purpose)]
    purpose: Purpose,
}

#[derive(clap::Args, Debug)]
pub struct WriteArgs {
    /// The patient (wallet address)
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    #[command(flatten)]
    pointer: PointerArgs,
    #[arg(long, value_parser = parse_purpose)]
    purpose: Purpose,
}

pub fn access(ctx: &Ctx, a: AccessArgs) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    // Refuse what cannot be a real attempt before paying for a transaction.
    let count = client.patient(&a.patient)?.record_count;
    anyhow::ensure!(
        a.record < count,
        "patient {} has no record {} (they have {count})",
        a.patient,
        a.record
    );
    let signer = ctx.payer(&client)?;
    let g = client.access_record(signer, &a.patient, a.record, a.purpose.code())?;
    let locator = String::from_utf8_lossy(&g.locator).to_string();
    Ok(Output::new(
        json!({
            "outcome": "Granted",
            "sequence": g.sequence,
            "record": g.record_index,
            "locator": locator,
            "content_hash": hex(&g.content_hash),
        }),
        format!(
            "Granted (log entry {})\nlocator:      {locator}\ncontent hash: {}",
            g.sequence,
            hex(&g.content_hash)
        ),
    ))
}

pub fn write(ctx: &Ctx, a: WriteArgs) -> anyhow::Result<Output> {
    let (locator, hash) = a.pointer.resolve()?;
    let category = a.pointer.category;
    let client = ctx.client()?;
    client.patient(&a.patient)?;
    let signer = ctx.payer(&client)?;
    let index = client.write_record(
        signer,
        &a.patient,
        WriteRecordArgs {
            category: category.code(),
            locator,
            content_hash: hash,
            purpose: a.purpose.code(),
        },
    )?;
    Ok(Output::new(
        json!({ "outcome": "Granted", "record": index, "category": category.name() }),
        format!(
            "Wrote record {index} ({}) for patient {}",
            category.name(),
            a.patient
        ),
    ))
}
