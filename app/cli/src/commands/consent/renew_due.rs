//! `hdx consent renew-due`: a provider's cron job renews every consent it
//! holds that is due.

use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::output::count;
use crate::commands::{Output, Run, Session};

/// (provider, for a cron job) Renew every consent you hold that is due:
/// in the last tenth of its window, not expired, with renewals left
#[derive(clap::Args, Debug)]
pub struct RenewDue {
    /// List what is due without sending anything
    #[arg(long)]
    dry_run: bool,
}

impl Run for RenewDue {
    fn sends(&self) -> bool {
        !self.dry_run
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let now = s.now()?;
        let provider = s.my_provider()?;
        let held = s.client()?.consents(None, Some(&provider.id))?;
        // Due: what the program's own rule would renew now.
        let due: Vec<_> = held
            .iter()
            .filter_map(|c| c.renewal(now).ok().map(|until| (c, until)))
            .collect();
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        let mut failed = 0;
        for (c, until) in &due {
            if self.dry_run {
                rows.push(json!({ "patient": c.patient.to_string(), "expires_at": rfc3339(c.terms.expires_at), "due": true }));
                lines.push(format!(
                    "due: patient {} (expires {})",
                    c.patient,
                    rfc3339(c.terms.expires_at)
                ));
                continue;
            }
            // One failure (a patient revoking meanwhile) does not stop the others.
            match s.send(&[ix::renew_consent(&c.patient, &provider.id)]) {
                Ok(sig) => {
                    let left = c.terms.renewals_allowed - c.renewals_used - 1;
                    rows.push(json!({ "patient": c.patient.to_string(), "renewed_until": rfc3339(*until), "renewals_left": left, "signature": sig.to_string() }));
                    lines.push(format!(
                        "renewed: patient {} until {} ({} left)",
                        c.patient,
                        rfc3339(*until),
                        count(left, "renewal", "renewals")
                    ));
                }
                Err(e) => {
                    failed += 1;
                    rows.push(
                        json!({ "patient": c.patient.to_string(), "error": format!("{e:#}") }),
                    );
                    lines.push(format!("failed: patient {}: {e:#}", c.patient));
                }
            }
        }
        lines.push(format!(
            "{} held, {} due{}",
            count(held.len() as u64, "consent", "consents"),
            due.len(),
            if self.dry_run {
                " (dry run: nothing sent)".to_string()
            } else {
                format!(", {} renewed, {failed} failed", due.len() - failed)
            }
        ));
        anyhow::ensure!(
            failed == 0,
            "{failed} of {} due renewals failed:\n{}",
            due.len(),
            lines.join("\n")
        );
        Ok(Output::new(json!({ "due": rows }), lines.join("\n")))
    }
}
