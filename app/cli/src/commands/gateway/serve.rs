//! `hdx gateway`: the data custodian, serving on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hdx_gateway::{Config, Gateway};
use serde_json::json;

use crate::commands::args::{parse_gateway_window, parse_size};
use crate::commands::{Output, Run, Session};

#[derive(clap::Args, Debug)]
pub struct Serve {
    /// The gateway's store: its database, sealed blobs and master key
    /// [default: <user data dir>/hdx/gateway]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Address to serve on. Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8898", value_name = "ADDR:PORT")]
    bind: SocketAddr,
    /// Largest upload: bytes, or with KiB/MiB/GiB
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    max_upload: usize,
    /// How far a request's time may be from the cluster's clock, and how old a
    /// redeemed log entry may be
    #[arg(long, default_value = "5m", value_parser = parse_gateway_window, allow_hyphen_values = true)]
    window: i64,
    /// A keypair file: answer the queries of studies that name its public key as their
    /// custodian, recording each release on-chain with it (it pays the release's rent)
    #[arg(long, value_name = "KEYPAIR")]
    custodian_key: Option<PathBuf>,
}

impl Run for Serve {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let a = self;
        let chain = super::chain(s)?;
        // Fail now, not at the first request, when the cluster is not there.
        chain.transport.unix_time().map_err(|e| {
            anyhow::anyhow!(
                "cannot read the cluster's clock at {}: {e}",
                s.settings.describe()
            )
        })?;
        let dir = match a.store {
            Some(d) => d,
            None => super::default_store()?,
        };
        let custodian = a
            .custodian_key
            .as_ref()
            .map(|path| {
                solana_sdk::signature::read_keypair_file(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the custodian key {}: {e}", path.display())
                })
            })
            .transpose()?;
        let custodian_id = custodian
            .as_ref()
            .map(solana_sdk::signature::Signer::pubkey);
        let gateway = Gateway::open(
            &dir,
            chain,
            Config {
                window_secs: a.window,
                max_upload: a.max_upload,
            },
        )?;
        let gateway = Arc::new(match custodian {
            Some(key) => gateway.with_custodian(key),
            None => gateway,
        });
        if !a.bind.ip().is_loopback() {
            eprintln!(
                "warning: serving on {}, reachable beyond this machine: put TLS in front of it",
                a.bind
            );
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
        let server = hdx_gateway::server::start(gateway, a.bind).await?;
        eprintln!(
            "Gateway for {} (store {}, window {}s, uploads up to {} bytes{})\nGateway: {}\nCtrl-C stops.",
            s.settings.describe(),
            dir.display(),
            a.window,
            a.max_upload,
            custodian_id.map_or(String::new(), |k| format!(", custodian {k}")),
            server.url()
        );
        crate::commands::serve::wait_for_stop().await;
        server.stop().await;
        anyhow::Ok(())
    })?;
        Ok(Output::new(json!({ "stopped": true }), ""))
    }
}
