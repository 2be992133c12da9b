//! `hdx gateway`: run the data custodian; `gateway log` prints its trail and
//! reconciles it with the chain.

use std::path::PathBuf;

use hdx::cluster::Target;
use hdx_gateway::Chain;
use hdx_sdk::client::HdxClient;
use hdx_sdk::rpc::RpcTransport;

use crate::commands::{Output, Run, Session};

pub mod log;
pub mod serve;

/// Run the data gateway (the custodian that releases a record's data only
/// against a fresh granted log entry); `gateway log` prints its trail and
/// reconciles it
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GatewayArgs {
    #[command(subcommand)]
    cmd: Option<GatewayCmd>,
    #[command(flatten)]
    serve: serve::Serve,
}

#[derive(clap::Subcommand, Debug)]
pub enum GatewayCmd {
    Log(log::Log),
}

impl Run for GatewayArgs {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        match self.cmd {
            None => self.serve.run(s),
            Some(GatewayCmd::Log(l)) => l.run(s),
        }
    }
}

/// The gateway's trail and the chain disagree (exit 4, like a broken chain).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreconciled(pub String);

pub fn default_store() -> anyhow::Result<PathBuf> {
    Ok(dirs::data_dir()
        .ok_or_else(|| anyhow::anyhow!("no user data directory: pass --store DIR"))?
        .join("hdx")
        .join("gateway"))
}

/// The chain the gateway reads: JSON-RPC only.
pub fn chain(s: &Session) -> anyhow::Result<Chain> {
    match &s.settings.target {
        Target::Rpc { url, commitment } => Ok(HdxClient::new(RpcTransport::new(
            url,
            *commitment,
        ))),
        Target::Embedded { .. } => anyhow::bail!(
            "the gateway reads the chain over JSON-RPC: start `hdx serve` (or use a cluster) and pass its URL with -u"
        ),
    }
}
