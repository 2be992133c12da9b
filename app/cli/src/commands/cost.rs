//! `hdx cost`: the cost report, against the budgets in docs/DESIGN.md.

use serde_json::json;

use super::Output;

/// Run the cost benchmark and print sizes, rent and transaction costs
#[derive(clap::Args, Debug)]
pub struct Cost {
    /// Print one JSON object
    #[arg(long)]
    json: bool,
}

impl Cost {
    /// Runs without a session: its own in-memory ledger.
    pub fn run(self, json_output: bool) -> anyhow::Result<Output> {
        let report = hdx::cost::run()?;
        let failures = report.budget_failures();
        if self.json || json_output {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.render());
        }
        anyhow::ensure!(failures.is_empty(), "over budget: {}", failures.join("; "));
        Ok(Output::new(json!({ "ok": true }), ""))
    }
}
