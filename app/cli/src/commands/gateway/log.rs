//! `hdx gateway log`: the gateway's trail, and its reconciliation with the chain.

use std::path::PathBuf;

use hdx_gateway::store::Store;
use serde_json::json;

use crate::commands::output::{count, table};
use crate::commands::{Output, Run, Session};

/// Print the gateway's trail (uploads, releases, refusals with their reasons);
/// --reconcile checks every release against the chain
#[derive(clap::Args, Debug)]
pub struct Log {
    /// The gateway's store [default: <user data dir>/hdx/gateway]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Check that every release matches exactly one granted read entry on-chain
    /// (needs -u, the cluster the gateway reads); exit 4 if one does not
    #[arg(long)]
    reconcile: bool,
}

impl Run for Log {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let reconcile = self.reconcile;
        let dir = match self.store {
            Some(d) => d,
            None => super::default_store()?,
        };
        let store = Store::open_read_only(&dir)?;
        let rows = store.trail(0, usize::MAX)?;
        let mut text = table(
            &[
                "seq", "time", "outcome", "request", "patient", "record", "entry", "signer",
                "bytes", "detail",
            ],
            &rows
                .iter()
                .map(|r| {
                    let dash = || "-".to_string();
                    let request = if r.path.starts_with("/v1/blobs/") && r.method == "PUT" {
                        "upload".to_string()
                    } else if r.path.starts_with("/v1/records/") && r.method == "GET" {
                        "release".to_string()
                    } else {
                        format!(
                            "{} {}",
                            r.method,
                            r.path.chars().take(40).collect::<String>()
                        )
                    };
                    vec![
                        r.seq.to_string(),
                        hdx_sdk::export::rfc3339(r.at),
                        r.reason.clone(),
                        request,
                        r.patient.clone().unwrap_or_else(dash),
                        r.record.map_or_else(dash, |i| i.to_string()),
                        r.entry.map_or_else(dash, |e| e.to_string()),
                        r.signer.clone().unwrap_or_else(dash),
                        r.bytes.map_or_else(dash, |b| b.to_string()),
                        r.message.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        let mut value = json!({ "trail": rows });
        if reconcile {
            let report = hdx_gateway::reconcile(&store, &super::chain(s)?)?;
            value["reconciliation"] = serde_json::to_value(&report)?;
            if !report.ok() {
                return Err(anyhow::Error::new(super::Unreconciled(format!(
                "{} of {} releases do not match a granted read entry on-chain released through its record's binding: {}",
                report.unmatched.len(),
                report.releases,
                report.unmatched.join("; ")
            ))));
            }
            text.push_str(&format!(
            "\nReconciled: {}, each matched by exactly one granted read entry on-chain and released through its record's binding",
            count(report.releases as u64, "release", "releases")
        ));
        }
        Ok(Output::new(value, text))
    }
}
