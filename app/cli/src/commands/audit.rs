//! `hdx audit`: a patient's accounting of disclosures, exported and verified.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::audit::ChainError;
use hdx_sdk::export::{self, EntryRow};
use hdx_sdk::transport::Transport;
use serde_json::json;

use super::{hex, parse_pubkey, parse_when, progress, provider_named, table, Ctx, Output};
use anyhow::Context;
use std::io::BufWriter;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// A FHIR R4 Bundle (collection): AuditEvents (IHE BALP) and Consents
    Fhir,
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Export a patient's log: who accessed which record, when, why, outcome
    Log {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        /// [default: table, or json with --output json]
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Only entries at or after: a duration ago (7d), RFC 3339, YYYY-MM-DD or unix seconds
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only entries before: a duration ago, RFC 3339, YYYY-MM-DD or unix seconds
        #[arg(long, value_name = "WHEN")]
        until: Option<String>,
        /// Only this provider's entries (its id or current key)
        #[arg(long, value_parser = parse_pubkey)]
        provider: Option<Pubkey>,
    },
    /// Recompute the hash chain over every entry and compare it with the on-chain head;
    /// with --copy, check an exported copy (`audit log --format json`) against it
    Verify {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        #[arg(long, value_name = "FILE")]
        copy: Option<PathBuf>,
    },
}

type Client = hdx_sdk::client::HdxClient<hdx::cluster::Cluster>;

/// Streams the patient's log through `each`, row by row (providers resolved),
/// with a progress bar on a terminal; returns the head and the entry count.
fn stream_rows(
    client: &Client,
    patient: &Pubkey,
    each: &mut dyn FnMut(EntryRow) -> anyhow::Result<()>,
) -> anyhow::Result<([u8; 32], u64)> {
    let bar = progress(0, "reading log pages");
    let done = export::stream_rows(
        client,
        patient,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
        each,
    );
    bar.finish_and_clear();
    done
}

/// A closed pipe (`hdx audit log ... | head`) ends the export quietly.
fn quiet_on_closed_pipe(r: anyhow::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}

pub fn run(ctx: &Ctx, cmd: AuditCmd, json_output: bool) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    match cmd {
        AuditCmd::Log {
            patient,
            format,
            since,
            until,
            provider,
        } => {
            let now = client.transport.unix_time()?;
            let since = since.map(|s| parse_when(&s, now, false)).transpose()?;
            let until = until.map(|s| parse_when(&s, now, false)).transpose()?;
            let provider = match provider {
                Some(k) => Some(provider_named(&client, &k)?.id),
                None => None,
            };
            let scope = export::Scope {
                since,
                until,
                provider,
            };
            let keep = |r: &EntryRow| scope.keeps(r);
            let format = format.unwrap_or(if json_output {
                Format::Json
            } else {
                Format::Table
            });
            let out = || BufWriter::new(std::io::stdout().lock());
            match format {
                Format::Json => {
                    let mut w = export::JsonRows::new(out());
                    quiet_on_closed_pipe(
                        stream_rows(&client, &patient, &mut |r| {
                            if keep(&r) {
                                w.row(&r)?;
                            }
                            Ok(())
                        })
                        .and_then(|_| w.finish().map(drop)),
                    )?;
                }
                Format::Csv => {
                    let mut w = export::CsvRows::new(out())?;
                    quiet_on_closed_pipe(
                        stream_rows(&client, &patient, &mut |r| {
                            if keep(&r) {
                                w.row(&r)?;
                            }
                            Ok(())
                        })
                        .and_then(|_| w.finish().map(drop)),
                    )?;
                }
                Format::Fhir => {
                    let bar = progress(0, "reading log pages");
                    let written = export::write_fhir(
                        &client,
                        &patient,
                        &scope,
                        now,
                        out(),
                        &mut |done, total| {
                            bar.set_length(total);
                            bar.set_position(done);
                        },
                    );
                    bar.finish_and_clear();
                    quiet_on_closed_pipe(written.map(drop))?;
                }
                Format::Table => {
                    let mut table_rows: Vec<Vec<String>> = Vec::new();
                    stream_rows(&client, &patient, &mut |r| {
                        if keep(&r) {
                            table_rows.push(vec![
                                r.sequence.to_string(),
                                r.time.clone(),
                                format!("#{} {}", r.provider_number, r.provider),
                                r.action.clone(),
                                r.record_index.map_or("-".into(), |i| format!("#{i}")),
                                r.category.clone(),
                                match (&r.emergency_reason, r.emergency_window) {
                                    (Some(reason), Some(w)) => {
                                        format!("{} ({reason}, window {w})", r.purpose)
                                    }
                                    _ => r.purpose.clone(),
                                },
                                r.outcome.clone(),
                            ]);
                        }
                        Ok(())
                    })?;
                    return Ok(Output::raw(if table_rows.is_empty() {
                        "no entries".to_string()
                    } else {
                        table(
                            &[
                                "seq", "when", "who", "what", "record", "category", "why",
                                "outcome",
                            ],
                            &table_rows,
                        )
                    }));
                }
            }
            Ok(Output::raw(String::new()))
        }
        AuditCmd::Verify { patient, copy } => {
            // The copy is read (and parsed) before the chain, so a bad file
            // is named before any page is fetched.
            let copy = match copy {
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
            let mut position = 0usize;
            let (head, n) = stream_rows(&client, &patient, &mut |r| {
                if let Some((_, rows)) = &copy {
                    match rows.get(position) {
                        Some(c) => {
                            export::verify_copy(std::slice::from_ref(c), std::slice::from_ref(&r))?
                        }
                        None => {
                            return Err(ChainError::LengthDiffers {
                                copy: rows.len() as u64,
                                chain: r.sequence + 1,
                            }
                            .into())
                        }
                    }
                }
                position += 1;
                Ok(())
            })?;
            let what = match &copy {
                None => format!(
                    "Verified {n} entries of patient {patient}: the hash chain matches the on-chain head"
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
                        "The copy in {} matches all {n} on-chain entries, field by field, and the chain folds to the on-chain head",
                        path.display()
                    )
                }
            };
            Ok(Output::new(
                json!({ "verified": true, "entries": n, "head": hex(&head) }),
                format!("{what}\nhead: {}", hex(&head)),
            ))
        }
    }
}

/// Exit code for a chain that does not verify.
pub fn is_chain_error(e: &anyhow::Error) -> Option<&ChainError> {
    e.downcast_ref::<ChainError>()
}
