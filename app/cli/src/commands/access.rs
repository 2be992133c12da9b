//! `hdx access` and `hdx write`: a provider's system asks the gate.
//! A logged denial exits with code 3 (see `main`).

use super::{hex, parse_pubkey, parse_purpose, Ctx, Output, PointerArgs};
use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::Purpose;
use hdx_sdk::program::WriteRecordArgs;
use hdx_sdk::transport::Transport;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct AccessArgs {
    /// The patient's id
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
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    #[command(flatten)]
    pointer: PointerArgs,
    /// Purpose of use, by name or HL7 code
    #[arg(long, value_parser = parse_purpose)]
    purpose: Purpose,
}

pub fn access(ctx: &Ctx, a: AccessArgs) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    // Refuse what cannot be a real attempt before paying for a transaction.
    let provider = ctx.my_provider(&client)?;
    super::require_record(&client, &a.patient, a.record)?;
    let signer = ctx.payer(&client)?;
    let g = client.access_record(signer, &provider.id, &a.patient, a.record, a.purpose)?;
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
    let client = ctx.client()?;
    let pointer = a.pointer.resolve(client.transport.unix_time()?)?;
    let provider = ctx.my_provider(&client)?;
    client.patient(&a.patient)?;
    let signer = ctx.payer(&client)?;
    let index = client.write_record(
        signer,
        &provider.id,
        &a.patient,
        WriteRecordArgs {
            category: pointer.category,
            clinical_day: pointer.clinical_day,
            locator: pointer.locator,
            content_hash: pointer.content_hash,
            purpose: a.purpose,
        },
    )?;
    Ok(Output::new(
        json!({ "outcome": "Granted", "record": index, "category": pointer.category.name() }),
        format!(
            "Wrote record {index} ({}) for patient {}",
            pointer.category.name(),
            a.patient
        ),
    ))
}
