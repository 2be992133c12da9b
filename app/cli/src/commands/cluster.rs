//! `hdx cluster`: where commands go, and for the embedded ledger its state.

use hdx::cluster::Target;
use hdx_node::ledger::FileLedger;
use serde_json::json;

use super::{Output, Run, Session};

/// Show the cluster this command would use (and, embedded, its ledger)
#[derive(clap::Args, Debug)]
pub struct ClusterInfo;

impl Run for ClusterInfo {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let ctx = s;
        let mut j = json!({
            "cluster": ctx.settings.describe(),
            "keypair": ctx.settings.keypair,
            "config_file": ctx.settings.config_file,
            "program_id": hdx_sdk::PROGRAM_ID.to_string(),
        });
        let mut text = format!(
            "cluster:    {}\nkeypair:    {}\nconfig:     {}\nprogram id: {}",
            ctx.settings.describe(),
            ctx.settings.keypair,
            ctx.settings.config_file.as_deref().unwrap_or("none"),
            hdx_sdk::PROGRAM_ID
        );
        if let Target::Embedded { dir, .. } = &ctx.settings.target {
            if FileLedger::exists(dir) {
                if let Some(ledger) = &ctx.connection()?.ledger {
                    let now = ledger.unix_time();
                    j["upgrade_authority"] = json!(ledger.upgrade_authority().to_string());
                    j["clock"] = json!(hdx_sdk::export::rfc3339(now));
                    text.push_str(&format!(
                        "\nupgrade authority: {}\nclock:      {}",
                        ledger.upgrade_authority(),
                        hdx_sdk::export::rfc3339(now)
                    ));
                }
            } else {
                text.push_str("\n(the ledger is created by the first command that needs it; that command's keypair becomes the program's upgrade authority)");
            }
        }
        Ok(Output::new(j, text))
    }
}
