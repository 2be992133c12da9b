//! `hdx serve`: the embedded ledger as a Solana JSON-RPC node (HTTP, and
//! PubSub over WebSocket on the next port), for stock clients, wallets, the
//! gateway and the web page.

use std::net::SocketAddr;
use std::sync::Arc;

use hdx::cluster::Target;
use hdx_node::node::{Location, Node, NodeConfig};
use hdx_node::runtime::{BlockhashPolicy, TimeSource};
use serde_json::json;

use super::{Output, Run, Session};

/// Serve the embedded ledger as a Solana JSON-RPC node (PubSub on the next port)
#[derive(clap::Args, Debug)]
pub struct Serve {
    /// Address to serve JSON-RPC on; PubSub is on the next port. Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8899", value_name = "ADDR:PORT")]
    bind: SocketAddr,
}

impl Run for Serve {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        serve(s, self)
    }
}

fn serve(ctx: &Session, args: Serve) -> anyhow::Result<Output> {
    let Target::Embedded { dir, clock_offset } = &ctx.settings.target else {
        anyhow::bail!(
            "hdx serve serves an embedded ledger (--ledger DIR), not {}",
            ctx.settings.describe()
        );
    };
    let mut created_key = None;
    let create = if hdx_node::ledger::FileLedger::exists(dir) {
        None
    } else if ctx.settings.keypair_named || std::path::Path::new(&ctx.settings.keypair).exists() {
        Some(ctx.pubkey()?)
    } else {
        // As solana-test-validator does: no keypair configured, so the node
        // makes its own and names it (it is the program's upgrade authority).
        let (key, path) = new_authority_key(dir)?;
        created_key = Some(path);
        Some(key)
    };
    let node = Arc::new(Node::open(NodeConfig {
        location: Location::Dir(dir.clone()),
        create,
        read_only: false,
        time: TimeSource::Wall {
            offset: *clock_offset,
        },
        blockhashes: BlockhashPolicy::Interval,
        capture_stdout: true,
    })?);
    if !args.bind.ip().is_loopback() {
        eprintln!(
            "warning: serving on {}, reachable beyond this machine: the node signs airdrops for anyone",
            args.bind
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = hdx_node::rpc::start(node.clone(), args.bind).await?;
        node.announce(&server.url())?;
        if let Some(path) = &created_key {
            eprintln!(
                "No keypair configured: created the upgrade authority's keypair {} (pass -k to use yours)",
                path.display()
            );
        }
        eprintln!(
            "Serving the ledger in {} (program {}, upgrade authority {})\nJSON-RPC: {}\nPubSub:   {}\nPage:     {}/ (the patient's page: open it in a browser with a Solana wallet)\nUse `-u {}`; Ctrl-C stops.",
            dir.display(),
            hdx_sdk::PROGRAM_ID,
            node.upgrade_authority(),
            server.url(),
            server.ws_url(),
            server.url(),
            server.url()
        );
        wait_for_stop().await;
        server.stop().await;
        anyhow::Ok(())
    })?;
    node.shutdown();
    Ok(Output::new(json!({ "stopped": true }), ""))
}

/// The keypair of a new ledger's upgrade authority: `authority-keypair.json`
/// inside the ledger directory, made (0600) unless an earlier start made it.
fn new_authority_key(
    dir: &std::path::Path,
) -> anyhow::Result<(solana_sdk::pubkey::Pubkey, std::path::PathBuf)> {
    use solana_sdk::signature::{read_keypair_file, write_keypair_file, Keypair, Signer};
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!("cannot create the ledger directory {}: {e}", dir.display())
    })?;
    let path = dir.join("authority-keypair.json");
    if path.exists() {
        // Made by an earlier start that stopped before the ledger was created.
        let key = read_keypair_file(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        return Ok((key.pubkey(), path));
    }
    let key = Keypair::new();
    write_keypair_file(&key, &path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok((key.pubkey(), path))
}

pub async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
