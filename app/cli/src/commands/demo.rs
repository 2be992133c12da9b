//! `hdx demo`: the whole story in-process.

use serde_json::json;

use super::Output;

/// Run the whole story in-process (no validator, no network) and print the audit trail
#[derive(clap::Args, Debug)]
pub struct Demo;

impl Demo {
    /// Runs without a session: its own in-memory ledger.
    pub fn run(self) -> anyhow::Result<Output> {
        println!("HealthDataExchange demo (embedded ledger, program running natively):");
        hdx::demo::run(&mut std::io::stdout())?;
        Ok(Output::new(json!({ "ok": true }), ""))
    }
}
