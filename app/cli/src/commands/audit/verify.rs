//! `hdx audit verify`: the hash chain recomputed over every entry and
//! compared with the on-chain head; with `--copy`, an exported copy checked
//! against the chain entry by entry and field by field.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anyhow::Context;
use hdx_sdk::audit::ChainError;
use hdx_sdk::export::{self, EntryRow};
use serde_json::json;

use super::stream_rows;
use crate::commands::args::parse_pubkey;
use crate::commands::output::{count, hex};
use crate::commands::{Output, Run, Session};

/// Recompute the hash chain over every entry and compare it with the on-chain head;
/// with --copy, check an exported copy (`audit log --format json`) against it
#[derive(clap::Args, Debug)]
pub struct Verify {
    /// The patient's id, or a study's address (its release log is verified the same way)
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// An exported copy (`hdx audit log --format json`) to check against the chain
    #[arg(long, value_name = "FILE")]
    copy: Option<PathBuf>,
}

impl Run for Verify {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        if s.client()?.study(&self.patient)?.is_some() {
            if self.copy.is_some() {
                crate::commands::args::usage!(
                    "{} is a study: --copy checks a patient's exported log",
                    self.patient
                );
            }
            return verify_study(s, &self.patient);
        }
        let patient = self.patient;
        // The copy is read (and parsed) before the chain, so a bad file is
        // named before any page is fetched.
        let copy = match self.copy {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let rows: Vec<EntryRow> = serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{} is not an `hdx audit log --format json` export: {e}",
                        path.display()
                    )
                })?;
                Some((path, rows))
            }
        };
        // Every entry of the chain is read and folded, whatever the copy
        // holds, so a length difference names both lengths as they are.
        let mut position = 0usize;
        let (head, n) = stream_rows(s, &patient, &mut |r| {
            if let Some((_, rows)) = &copy {
                if let Some(c) = rows.get(position) {
                    export::verify_copy(std::slice::from_ref(c), &[EntryRow::from(&r)])
                        .map_err(hdx_sdk::client::ClientError::Chain)?;
                }
            }
            position += 1;
            Ok(())
        })??;
        let what = match &copy {
            None => format!(
                "Verified {} of patient {patient}: the hash chain matches the on-chain head",
                count(n, "entry", "entries")
            ),
            Some((path, rows)) => {
                if rows.len() as u64 != n {
                    return Err(ChainError::LengthDiffers {
                        copy: rows.len() as u64,
                        chain: n,
                    }
                    .into());
                }
                format!(
                    "The copy in {} matches {}, field by field, and the chain folds to the on-chain head",
                    path.display(),
                    if n == 1 {
                        "the 1 on-chain entry".to_string()
                    } else {
                        format!("all {n} on-chain entries")
                    }
                )
            }
        };
        Ok(Output::new(
            json!({ "verified": true, "entries": n, "head": hex(&head) }),
            format!("{what}\nhead: {}", hex(&head)),
        ))
    }
}

/// A study's release log: every release account folded into the head the
/// study stores, as `hdx study log` does (exit 4 when it does not verify).
fn verify_study(s: &Session, study: &Pubkey) -> anyhow::Result<Output> {
    let log = s.client()?.verified_study(study)?;
    let head = log.verdict.map_err(|e| {
        anyhow::Error::new(e).context(format!("study {study}'s release log does not verify"))
    })?;
    let n = log.releases.len() as u64;
    Ok(Output::new(
        json!({ "study": study.to_string(), "releases": n, "head": hex(&head), "verified": true }),
        format!(
            "Verified {} of study {study}: the hash chain matches the study's head\nhead: {}",
            count(n, "release", "releases"),
            hex(&head)
        ),
    ))
}
