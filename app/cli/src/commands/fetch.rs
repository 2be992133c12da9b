//! `hdx fetch`: a provider's access on-chain, then the signed release at
//! the data gateway, then the hash check; the data is written whole or not
//! at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::Purpose;
use hdx_sdk::gateway::GatewayClient;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_purpose, parse_u32};
use crate::commands::output::hex;
use crate::commands::session::InFlight;
use crate::commands::{Output, Run, Session};

/// (provider) Access a record on-chain, then fetch its data from the gateway against
/// that log entry and check its hash; exit 3 when denied or refused (nothing written)
#[derive(clap::Args, Debug)]
pub struct Fetch {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The record's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    record: u32,
    /// Purpose of use, by name or HL7 code (for the access on-chain)
    #[arg(long, value_parser = parse_purpose, required_unless_present = "entry")]
    purpose: Option<Purpose>,
    /// Redeem this granted log entry (from an earlier `hdx access`) instead of accessing now
    #[arg(long, value_name = "SEQUENCE", conflicts_with = "purpose")]
    entry: Option<u64>,
    /// The gateway's URL
    #[arg(long, value_name = "URL")]
    gateway: String,
    /// Where to write the record's data (written only once it is checked)
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    force: bool,
}

/// Where `fetch` writes: checked before anything is asked on-chain.
fn check_output(path: &Path, force: bool) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        force || !path.exists(),
        "{} exists: pass --force to replace it",
        path.display()
    );
    anyhow::ensure!(!path.is_dir(), "{} is a directory", path.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    anyhow::ensure!(
        dir.is_dir(),
        "cannot write {}: {} is not a directory",
        path.display(),
        dir.display()
    );
    Ok(dir)
}

impl Run for Fetch {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let a = self;
        let dir = check_output(&a.out, a.force)?;
        let client = s.client()?;
        let provider = s.my_provider()?;
        s.require_record(&a.patient, a.record)?;
        let record = client.record(&a.patient, a.record)?;
        anyhow::ensure!(
        hdx_sdk::cid::hash_of_locator(&String::from_utf8_lossy(&record.locator))
            == Some(Ok(record.content_hash)),
        "record {} of patient {} is not held by a gateway (its locator is not the ipfs:// CID of its content hash)",
        a.record,
        a.patient
    );
        let signer = s.payer()?;
        let (sequence, content_hash) = match (a.entry, a.purpose) {
            (Some(entry), _) => (entry, record.content_hash),
            (None, Some(purpose)) => {
                let _flight = InFlight::begin();
                let g =
                    client.access_record(signer, &provider.id, &a.patient, a.record, purpose)?;
                (g.sequence, g.content_hash)
            }
            (None, None) => {
                anyhow::bail!("give --purpose (access now) or --entry (redeem an earlier access)")
            }
        };
        let now = client.transport.unix_time()?;
        let data = GatewayClient::new(&a.gateway).fetch(
            signer,
            &a.patient,
            a.record,
            sequence,
            &content_hash,
            now,
        )?;
        // Written whole or not at all.
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        tmp.write_all(&data)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&a.out).map_err(|e| {
            anyhow::Error::new(e.error).context(format!("cannot write {}", a.out.display()))
        })?;
        Ok(Output::new(
        json!({
            "outcome": "Released",
            "sequence": sequence,
            "record": a.record,
            "bytes": data.len(),
            "content_hash": hex(&content_hash),
            "output": a.out.display().to_string(),
        }),
        format!(
            "{} (log entry {sequence}), released {} bytes by the gateway, hash checked\nwritten to {}",
            if a.entry.is_some() { "Redeemed" } else { "Granted" },
            data.len(),
            a.out.display()
        ),
    ))
    }
}
