//! `hdx record upload`: the patient seals a file at a data gateway and adds
//! the record pointing at it. The upload-then-create step is shared with a
//! provider's `hdx write --file --gateway`.

use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::{Category, Purpose};
use hdx_sdk::gateway::GatewayClient;
use hdx_sdk::program::{AddRecordArgs, WriteRecordArgs};
use serde_json::json;

use crate::commands::args::{clinical_day, parse_category, parse_day, parse_pubkey};
use crate::commands::output::hex;
use crate::commands::session::InFlight;
use crate::commands::{Output, Run, Session};

/// Upload a file to a data gateway (sealed there) and add the record pointing at it:
/// its ipfs:// locator and content hash. Nothing goes on-chain if the upload fails.
#[derive(clap::Args, Debug)]
pub struct Upload {
    /// The file to upload (sealed at the gateway; nothing of it goes on-chain but its hash)
    file: PathBuf,
    /// The record's category
    #[arg(long, value_parser = parse_category)]
    category: Category,
    /// The gateway's URL
    #[arg(long, value_name = "URL")]
    gateway: String,
    /// The record's clinical date, YYYY-MM-DD (public metadata; omit when unknown)
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    clinical_date: Option<u32>,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Upload {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let data = read_upload(&self.file)?;
        let now = s.now()?;
        let day = clinical_day(self.clinical_date, now)?;
        let patient = s.my_patient(self.patient)?;
        let made = upload_then_create(
            s,
            &self.gateway,
            &patient.id,
            self.category,
            day,
            &data,
            Creator::Patient,
        )?;
        Ok(made.output(&patient.id, self.category, &self.gateway))
    }
}

/// A file to upload: read whole, not empty.
pub fn read_upload(file: &Path) -> anyhow::Result<Vec<u8>> {
    let data = std::fs::read(file)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", file.display())))?;
    anyhow::ensure!(!data.is_empty(), "{} is empty", file.display());
    Ok(data)
}

/// Who creates the record an upload is for.
pub enum Creator {
    /// The patient's authority (`add_record`).
    Patient,
    /// A provider under a write consent (`write_record`, gated and logged).
    Provider { id: Pubkey, purpose: Purpose },
}

/// A record made from an upload.
pub struct Made {
    pub index: u32,
    pub locator: String,
    pub hash: [u8; 32],
    pub bytes: usize,
}

impl Made {
    pub fn output(&self, patient: &Pubkey, category: Category, gateway: &str) -> Output {
        Output::new(
            json!({
                "patient": patient.to_string(),
                "index": self.index,
                "category": category.name(),
                "locator": self.locator,
                "content_hash": hex(&self.hash),
                "bytes": self.bytes,
            }),
            format!(
                "Uploaded {} bytes to {gateway} and added record {} ({})\nlocator:      {}\ncontent hash: {}",
                self.bytes,
                self.index,
                category.name(),
                self.locator,
                hex(&self.hash)
            ),
        )
    }
}

/// Uploads `data` to the gateway bound to the patient's next record (its
/// index, category and creator), then creates that record on-chain with the
/// upload's `ipfs://` locator and content hash. Nothing goes on-chain unless
/// the gateway holds the data. Another record added in between takes the
/// index: then the next index is bound and the creation tried again (three
/// times in all).
pub fn upload_then_create(
    s: &Session,
    gateway: &str,
    patient: &Pubkey,
    category: Category,
    clinical_day: u32,
    data: &[u8],
    creator: Creator,
) -> anyhow::Result<Made> {
    let client = s.client()?;
    let now = s.now()?;
    let signer = s.payer()?;
    let hash = {
        use sha2::{Digest, Sha256};
        let h: [u8; 32] = Sha256::digest(data).into();
        h
    };
    let locator = hdx_sdk::cid::locator(&hash);
    let gateway_client = GatewayClient::new(gateway);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let index = client.patient(patient)?.record_count;
        let uploaded = gateway_client.upload(signer, patient, index, category, data, now)?;
        anyhow::ensure!(
            uploaded.locator == locator
                && uploaded.content_hash == hex(&hash)
                && uploaded.record == index,
            "the gateway answered with locator {} and hash {} for record {}, not this file's {locator} and {} for record {index}: nothing added",
            uploaded.locator,
            uploaded.content_hash,
            uploaded.record,
            hex(&hash)
        );
        let _flight = InFlight::begin();
        let created = match &creator {
            Creator::Patient => client
                .send(
                    &[hdx_sdk::ix::add_record(
                        signer.pubkey(),
                        patient,
                        index,
                        AddRecordArgs {
                            category,
                            clinical_day,
                            locator: locator.as_bytes().to_vec(),
                            content_hash: hash,
                        },
                    )],
                    signer,
                    &[],
                )
                .map(drop),
            Creator::Provider { id, purpose } => client
                .write_record_at(
                    signer,
                    id,
                    patient,
                    index,
                    WriteRecordArgs {
                        category,
                        clinical_day,
                        locator: locator.as_bytes().to_vec(),
                        content_hash: hash,
                        purpose: *purpose,
                    },
                )
                .map(drop),
        };
        match created {
            Ok(()) => {
                return Ok(Made {
                    index,
                    locator,
                    hash,
                    bytes: data.len(),
                })
            }
            Err(e) if attempt < 3 && client.patient(patient)?.record_count != index => {
                eprintln!(
                    "record {index} was taken by another addition ({e}); binding the next index"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
}
