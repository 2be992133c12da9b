//! `hdx audit`: a patient's accounting of disclosures, exported and verified.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx::audit::ChainError;
use hdx::export::{self, EntryRow};
use hdx::transport::Transport;
use serde_json::json;

use super::{hex, parse_pubkey, parse_when, progress, table, Ctx, Output};

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
        /// Only this provider's entries
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

fn fetch_log(
    client: &hdx::client::HdxClient<hdx::cluster::Cluster>,
    patient: &Pubkey,
) -> anyhow::Result<hdx::audit::Log> {
    let bar = progress(0, "reading log pages");
    let log = client.log_with_progress(patient, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    Ok(log)
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
            let log = fetch_log(&client, &patient)?;
            let entries: Vec<_> = log
                .entries()
                .into_iter()
                .filter(|e| since.is_none_or(|t| e.time >= t))
                .filter(|e| until.is_none_or(|t| e.time < t))
                .filter(|e| provider.is_none_or(|p| e.provider == p))
                .collect();
            let format = format.unwrap_or(if json_output {
                Format::Json
            } else {
                Format::Table
            });
            Ok(match format {
                Format::Json => {
                    let j = export::to_json(&entries);
                    Output::new(j.clone(), serde_json::to_string_pretty(&j)?)
                }
                Format::Csv => Output::raw(export::to_csv(&entries)?),
                Format::Fhir => {
                    let consents = client.consents(Some(&patient), None)?;
                    let bundle = export::fhir_bundle(&patient, &entries, &consents, now);
                    Output::raw(serde_json::to_string_pretty(&bundle)?)
                }
                Format::Table => {
                    let rows: Vec<Vec<String>> = entries
                        .iter()
                        .map(|e| {
                            let r = export::row(e);
                            vec![
                                r.sequence.to_string(),
                                r.time,
                                r.provider,
                                r.action,
                                r.record_index.map_or("-".into(), |i| format!("#{i}")),
                                r.category,
                                r.purpose,
                                r.outcome,
                            ]
                        })
                        .collect();
                    Output::new(
                        export::to_json(&entries),
                        if rows.is_empty() {
                            "no entries".to_string()
                        } else {
                            table(
                                &[
                                    "seq", "when", "who", "what", "record", "category", "why",
                                    "outcome",
                                ],
                                &rows,
                            )
                        },
                    )
                }
            })
        }
        AuditCmd::Verify { patient, copy } => {
            let log = fetch_log(&client, &patient)?;
            let head = log.verify()?;
            let n = log.entries().len();
            let what = match copy {
                None => format!("Verified {n} entries of patient {patient}: the hash chain matches the on-chain head"),
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    let rows: Vec<EntryRow> = serde_json::from_str(&text).map_err(|e| {
                        anyhow::anyhow!(
                            "{} is not an `hdx audit log --format json` export: {e}",
                            path.display()
                        )
                    })?;
                    let entries = rows
                        .iter()
                        .map(export::entry_from_row)
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    log.verify_copy(&entries)?;
                    format!(
                        "The copy in {} matches all {n} on-chain entries and folds to the on-chain head",
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
