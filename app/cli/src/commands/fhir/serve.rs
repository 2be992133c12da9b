//! `hdx fhir serve`: the front door, run at the provider with its key.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hdx_fhir::smart::{ClientsFile, Smart};
use hdx_fhir::FrontDoor;
use hdx_sdk::gateway::GatewayClient;
use serde_json::json;

use crate::commands::args::parse_gateway_window;
use crate::commands::{Output, Run, Session};

/// Serve FHIR R4 to the provider's EHR (SMART Backend Services sign-in):
/// DocumentReference search (what the consent grants now), Binary read (an
/// access on-chain, then the gateway's release), Consent and AuditEvent
/// search; the provider's key (-k) signs every access
#[derive(clap::Args, Debug)]
pub struct Serve {
    /// The data gateway's URL
    #[arg(long, value_name = "URL")]
    gateway: String,
    /// The registered clients: JSON {"clients": [{"client_id", "jwks": {"keys": [...]}, "scopes"?, "purpose"?}]}
    #[arg(long, value_name = "FILE")]
    clients: PathBuf,
    /// The replay store (each assertion's jti until it expires) [default: <user data dir>/hdx/fhir]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Address to serve on. Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8897", value_name = "ADDR:PORT")]
    bind: SocketAddr,
    /// The base URL clients reach this server at (the token URL, an assertion's aud, is BASE/token)
    /// [default: http://ADDR:PORT as bound]
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// How long a token lives
    #[arg(long, default_value = "5m", value_parser = parse_gateway_window)]
    token_lifetime: i64,
}

impl Run for Serve {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let a = self;
        let chain = crate::commands::gateway::chain(s)?;
        chain.transport.unix_time().map_err(|e| {
            anyhow::anyhow!(
                "cannot read the cluster's clock at {}: {e}",
                s.settings.describe()
            )
        })?;
        // The provider this key is, now: refused before serving anything.
        let payer = s.payer()?;
        let provider = chain.provider_by_key(&payer.pubkey()).map_err(|e| {
            anyhow::anyhow!("{} is not a provider's current key: {e}", payer.pubkey())
        })?;
        let signer = solana_sdk::signature::read_keypair_file(s.keypair_path())
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", s.keypair_path()))?;
        let text = std::fs::read_to_string(&a.clients)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", a.clients.display()))?;
        let clients: ClientsFile = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not a clients file: {e}", a.clients.display()))?;
        let store = match a.store {
            Some(d) => d,
            None => dirs::data_dir()
                .ok_or_else(|| anyhow::anyhow!("no user data directory: pass --store DIR"))?
                .join("hdx")
                .join("fhir"),
        };
        if !a.bind.ip().is_loopback() {
            eprintln!(
                "warning: serving on {}, reachable beyond this machine: put TLS in front of it",
                a.bind
            );
        }
        // Bound here, so that the token URL (an assertion's aud) names the real port;
        // the chain's blocking clients are made and dropped outside the async runtime.
        let listener = std::net::TcpListener::bind(a.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", a.bind))?;
        listener.set_nonblocking(true)?;
        let base = match a.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let smart = Smart::open(&clients, &store, format!("{base}/token"), a.token_lifetime)?;
        let door = Arc::new(FrontDoor {
            chain,
            signer,
            provider: provider.id,
            gateway: GatewayClient::new(&a.gateway),
            smart,
            base: base.clone(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let server = hdx_fhir::server::start(door.clone(), listener).await?;
            eprintln!(
                "FHIR front door for provider {} (gateway {}, {} registered client{}, store {})\nFHIR: {base}\nCtrl-C stops.",
                provider.id,
                a.gateway,
                clients.clients.len(),
                if clients.clients.len() == 1 { "" } else { "s" },
                store.display(),
            );
            crate::commands::serve::wait_for_stop().await;
            server.stop().await;
            anyhow::Ok(())
        })?;
        drop(runtime);
        drop(door);
        Ok(Output::new(json!({ "stopped": true }), ""))
    }
}
