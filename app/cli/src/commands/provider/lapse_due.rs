//! `hdx provider lapse-due`: anyone's cron job suspends every provider whose
//! licence attestation no longer holds.

use hdx_sdk::ix;
use serde_json::json;

use crate::commands::output::count;
use crate::commands::{Output, Run, Session};

/// (anyone, for a cron job) Suspend every provider verified by a licence
/// attestation that has expired, was closed by its issuer, was replaced, or
/// is no longer the registry's credential policy
#[derive(clap::Args, Debug)]
pub struct LapseDue {
    /// List what is due without sending anything
    #[arg(long)]
    dry_run: bool,
}

impl Run for LapseDue {
    fn sends(&self) -> bool {
        !self.dry_run
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let now = s.now()?;
        // Due: what the program's own rule (state::lapse_reason) would lapse now.
        let due = s.client()?.lapse_due(now)?;
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        let mut failed = 0;
        for (p, attestation, reason) in &due {
            let what = format!("provider {} (number {}): {}", p.id, p.number, reason.name());
            if self.dry_run {
                rows.push(
                    json!({ "provider": p.id.to_string(), "reason": reason.name(), "due": true }),
                );
                lines.push(format!("due: {what}"));
                continue;
            }
            // One failure (re-attested meanwhile) does not stop the others.
            match s.send(&[ix::lapse_provider(&p.id, *attestation)]) {
                Ok(sig) => {
                    rows.push(json!({ "provider": p.id.to_string(), "reason": reason.name(), "signature": sig.to_string() }));
                    lines.push(format!("lapsed: {what}"));
                }
                Err(e) => {
                    failed += 1;
                    rows.push(json!({ "provider": p.id.to_string(), "error": format!("{e:#}") }));
                    lines.push(format!("failed: {what}: {e:#}"));
                }
            }
        }
        lines.push(format!(
            "{} due{}",
            count(due.len() as u64, "provider", "providers"),
            if self.dry_run {
                " (dry run: nothing sent)".to_string()
            } else {
                format!(", {} lapsed, {failed} failed", due.len() - failed)
            }
        ));
        anyhow::ensure!(
            failed == 0,
            "{failed} of {} due lapses failed:\n{}",
            due.len(),
            lines.join("\n")
        );
        Ok(Output::new(json!(rows), lines.join("\n")))
    }
}
