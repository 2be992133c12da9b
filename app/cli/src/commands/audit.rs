//! `hdx audit`: a patient's accounting of disclosures, exported and verified.

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::audit::ChainError;
use hdx_sdk::export::{self, EntryRow};
use hdx_sdk::transport::Transport;
use serde_json::json;

use super::{hex, parse_pubkey, parse_when, progress, provider_named, table, Ctx, Output};

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

fn fetch_log(
    client: &hdx_sdk::client::HdxClient<hdx::cluster::Cluster>,
    patient: &Pubkey,
) -> anyhow::Result<hdx_sdk::audit::Log> {
    let bar = progress(0, "reading log pages");
    let log = client.log_with_progress(patient, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    Ok(log)
}

/// The log's rows, each provider number resolved.
fn rows(
    client: &hdx_sdk::client::HdxClient<hdx::cluster::Cluster>,
    log: &hdx_sdk::audit::Log,
) -> anyhow::Result<Vec<EntryRow>> {
    let directory = client.directory()?;
    Ok(log
        .entries()
        .iter()
        .map(|e| export::row(e, &directory))
        .collect::<Result<Vec<_>, _>>()?)
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
                Some(k) => Some(provider_named(&client, &k)?.id.to_string()),
                None => None,
            };
            let log = fetch_log(&client, &patient)?;
            let rows: Vec<EntryRow> = rows(&client, &log)?
                .into_iter()
                .filter(|r| since.is_none_or(|t| r.unix_time >= t))
                .filter(|r| until.is_none_or(|t| r.unix_time < t))
                .filter(|r| provider.as_ref().is_none_or(|p| &r.provider == p))
                .collect();
            let format = format.unwrap_or(if json_output {
                Format::Json
            } else {
                Format::Table
            });
            Ok(match format {
                Format::Json => {
                    let j = export::to_json(&rows);
                    Output::new(j.clone(), serde_json::to_string_pretty(&j)?)
                }
                Format::Csv => Output::raw(export::to_csv(&rows)?),
                Format::Fhir => {
                    let consents = client.consents(Some(&patient), None)?;
                    let bundle = export::fhir_bundle(&patient, &rows, &consents, now);
                    Output::raw(serde_json::to_string_pretty(&bundle)?)
                }
                Format::Table => {
                    let table_rows: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.sequence.to_string(),
                                r.time.clone(),
                                format!("#{} {}", r.provider_number, r.provider),
                                r.action.clone(),
                                r.record_index.map_or("-".into(), |i| format!("#{i}")),
                                r.category.clone(),
                                r.purpose.clone(),
                                r.outcome.clone(),
                            ]
                        })
                        .collect();
                    Output::new(
                        export::to_json(&rows),
                        if table_rows.is_empty() {
                            "no entries".to_string()
                        } else {
                            table(
                                &[
                                    "seq", "when", "who", "what", "record", "category", "why",
                                    "outcome",
                                ],
                                &table_rows,
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
                    let copy: Vec<EntryRow> = serde_json::from_str(&text).map_err(|e| {
                        anyhow::anyhow!(
                            "{} is not an `hdx audit log --format json` export: {e}",
                            path.display()
                        )
                    })?;
                    export::verify_copy(&copy, &rows(&client, &log)?)?;
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
