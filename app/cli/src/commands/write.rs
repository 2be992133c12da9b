//! `hdx write`: a provider adds a record to a patient under a write consent
//! (gated and logged; a denial exits 3): a pointer it holds, or a file it
//! uploads to a data gateway first (`--file --gateway`).

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::{Category, Purpose};
use hdx_sdk::program::WriteRecordArgs;
use serde_json::json;

use crate::commands::args::{
    clinical_day, content_hash, locator_bytes, parse_category, parse_day, parse_hash, parse_pubkey,
    parse_purpose,
};
use crate::commands::output::hex;
use crate::commands::record::upload::{read_upload, upload_then_create, Creator};
use crate::commands::session::InFlight;
use crate::commands::{Output, Run, Session};

/// (provider) Add a record to a patient under a write consent: a pointer
/// (--locator), or a file uploaded to a data gateway (--file --gateway); exit 3 when denied
#[derive(clap::Args, Debug)]
pub struct Write {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The record's category (lab-results, imaging, medications, allergies, immunizations,
    /// conditions, procedures, clinical-notes, vital-signs, mental-health, substance-use,
    /// genomics, reproductive, claims)
    #[arg(long, value_parser = parse_category)]
    category: Category,
    /// Opaque or encrypted locator, at most 128 bytes; an ipfs://CID locator must name the content hash
    #[arg(long, required_unless_present = "file", conflicts_with = "file")]
    locator: Option<String>,
    /// SHA-256 of the record's content: 64 hex digits
    #[arg(long, value_name = "HEX", value_parser = parse_hash, conflicts_with = "file")]
    content_hash: Option<[u8; 32]>,
    /// Or: a local file whose SHA-256 is the content hash (the file is not uploaded)
    #[arg(long, value_name = "PATH", conflicts_with_all = ["content_hash", "file"])]
    content_file: Option<PathBuf>,
    /// Or: a file to upload to the data gateway (--gateway), bound to the new record
    #[arg(long, value_name = "PATH", requires = "gateway")]
    file: Option<PathBuf>,
    /// The data gateway's URL (with --file)
    #[arg(long, value_name = "URL", requires = "file")]
    gateway: Option<String>,
    /// The record's clinical date, YYYY-MM-DD (public metadata; omit when unknown)
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    clinical_date: Option<u32>,
    /// Purpose of use, by name or HL7 code
    #[arg(long, value_parser = parse_purpose)]
    purpose: Purpose,
}

impl Run for Write {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let now = s.now()?;
        let day = clinical_day(self.clinical_date, now)?;
        let provider = s.my_provider()?;
        s.client()?.patient(&self.patient)?;
        if let (Some(file), Some(gateway)) = (&self.file, &self.gateway) {
            let data = read_upload(file)?;
            let made = upload_then_create(
                s,
                gateway,
                &self.patient,
                self.category,
                day,
                &data,
                Creator::Provider {
                    id: provider.id,
                    purpose: self.purpose,
                },
            )?;
            return Ok(made.output(&self.patient, self.category, gateway));
        }
        let locator = self.locator.as_deref().unwrap_or_default();
        let hash = content_hash(self.content_hash, self.content_file.as_deref())?;
        if let Some(named) = hdx_sdk::cid::hash_of_locator(locator) {
            let named = named?;
            anyhow::ensure!(
                named == hash,
                "the locator {locator} names content whose SHA-256 is {}, but the content hash is {}",
                hex(&named),
                hex(&hash)
            );
        }
        let locator = locator_bytes(locator)?;
        let signer = s.payer()?;
        let _flight = InFlight::begin();
        let index = s.client()?.write_record(
            signer,
            &provider.id,
            &self.patient,
            WriteRecordArgs {
                category: self.category,
                clinical_day: day,
                locator,
                content_hash: hash,
                purpose: self.purpose,
            },
        )?;
        Ok(Output::new(
            json!({ "outcome": "Granted", "record": index, "category": self.category.name(), "content_hash": hex(&hash) }),
            format!(
                "Wrote record {index} ({}) for patient {}",
                self.category.name(),
                self.patient
            ),
        ))
    }
}
