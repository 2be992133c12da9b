//! `hdx audit log`: who accessed which record, when, why, and the outcome.

use std::io::BufWriter;

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::{self, EntryRow};

use super::{quiet_on_closed_pipe, stream_rows};
use crate::commands::args::{parse_pubkey, parse_when};
use crate::commands::output::{progress, table};
use crate::commands::{Output, Run, Session};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// A FHIR R4 Bundle (collection): AuditEvents (IHE BALP) and Consents
    Fhir,
}

/// Export a patient's log: who accessed which record, when, why, outcome
#[derive(clap::Args, Debug)]
pub struct Log {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// [default: table, or json with --output json]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Only entries at or after: a duration ago (7d), RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    since: Option<String>,
    /// Only entries before: a duration ago, RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    until: Option<String>,
    /// Only this provider's entries (its id or current key)
    #[arg(long, value_parser = parse_pubkey)]
    provider: Option<Pubkey>,
}

impl Run for Log {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let patient = self.patient;
        let now = s.now()?;
        let since = self
            .since
            .as_deref()
            .map(|t| parse_when(t, now, false))
            .transpose()?;
        let until = self
            .until
            .as_deref()
            .map(|t| parse_when(t, now, false))
            .transpose()?;
        if let (Some(a), Some(b)) = (since, until) {
            anyhow::ensure!(
                a < b,
                "--since {} is not before --until {}: no entry can be in that range",
                export::rfc3339(a),
                export::rfc3339(b)
            );
        }
        let provider = match self.provider {
            Some(k) => Some(s.provider_named(&k)?.id),
            None => None,
        };
        let scope = export::Scope {
            since,
            until,
            provider,
        };
        let format = self.format.unwrap_or(if s.json_output {
            Format::Json
        } else {
            Format::Table
        });
        let out = || BufWriter::new(std::io::stdout().lock());
        match format {
            Format::Json => {
                let mut w = export::JsonRows::new(out());
                quiet_on_closed_pipe(
                    stream_rows(s, &patient, &mut |r| {
                        if scope.keeps(&r) {
                            w.row(&r)?;
                        }
                        Ok(())
                    })?
                    .and_then(|_| Ok(w.finish().map(drop)?)),
                )?;
            }
            Format::Csv => {
                let mut w = export::CsvRows::new(out())?;
                quiet_on_closed_pipe(
                    stream_rows(s, &patient, &mut |r| {
                        if scope.keeps(&r) {
                            w.row(&r)?;
                        }
                        Ok(())
                    })?
                    .and_then(|_| Ok(w.finish().map(drop)?)),
                )?;
            }
            Format::Fhir => {
                let bar = progress(0, "reading log pages");
                let directory = s.directory()?;
                let written = export::write_fhir(
                    s.client()?,
                    &patient,
                    &scope,
                    now,
                    &directory,
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
                let mut rows: Vec<Vec<String>> = Vec::new();
                stream_rows(s, &patient, &mut |r| {
                    if scope.keeps(&r) {
                        let e = EntryRow::from(&r);
                        rows.push(vec![
                            e.sequence.to_string(),
                            e.time,
                            format!("#{} {}", e.provider_number, e.provider),
                            e.action,
                            e.record_index.map_or("-".into(), |i| format!("#{i}")),
                            e.category,
                            match (&e.emergency_reason, e.emergency_window) {
                                (Some(reason), Some(w)) => {
                                    format!("{} ({reason}, window {w})", e.purpose)
                                }
                                _ => e.purpose,
                            },
                            e.outcome,
                        ]);
                    }
                    Ok(())
                })??;
                return Ok(Output::raw(if rows.is_empty() {
                    "no entries".to_string()
                } else {
                    table(
                        &[
                            "seq", "when", "who", "what", "record", "category", "why", "outcome",
                        ],
                        &rows,
                    )
                }));
            }
        }
        Ok(Output::raw(String::new()))
    }
}
