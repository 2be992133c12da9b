//! `hdx gateway` (run the data custodian; `gateway log` prints its trail and
//! reconciles it with the chain), `hdx record upload` (the patient seals a
//! file at the gateway and adds the record pointing at it) and `hdx fetch`
//! (a provider's access on-chain, then the signed release, then the hash check).

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use hdx::cluster::Target;
use hdx_gateway::store::Store;
use hdx_gateway::{Chain, Config, Gateway};
use hdx_sdk::client::HdxClient;
use hdx_sdk::codes::{Category, Purpose};
use hdx_sdk::gateway::GatewayClient;
use hdx_sdk::program::AddRecordArgs;
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Transport;
use serde_json::json;

use super::{hex, parse_category, parse_day, parse_pubkey, parse_purpose, table, Ctx, Output};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GatewayArgs {
    #[command(subcommand)]
    cmd: Option<GatewayCmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
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
    #[arg(long, default_value = "5m", value_parser = parse_window)]
    window: i64,
}

#[derive(clap::Subcommand, Debug)]
pub enum GatewayCmd {
    /// Print the gateway's trail (uploads, releases, refusals with their reasons);
    /// --reconcile checks every release against the chain
    Log {
        /// The gateway's store [default: <user data dir>/hdx/gateway]
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
        /// Check that every release matches exactly one granted read entry on-chain
        /// (needs -u, the cluster the gateway reads); exit 4 if one does not
        #[arg(long)]
        reconcile: bool,
    },
}

/// `hdx record upload`.
#[derive(clap::Args, Debug)]
pub struct UploadArgs {
    /// The file to upload (sealed at the gateway; nothing of it goes on-chain but its hash)
    file: PathBuf,
    /// The record's category
    #[arg(long, value_parser = parse_category)]
    category: Category,
    /// The gateway's URL
    #[arg(long, value_name = "URL")]
    gateway: String,
    /// The record's clinical date, YYYY-MM-DD (public metadata; omit when unknown)
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    clinical_date: Option<u32>,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

/// `hdx fetch`.
#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The record's index
    record: u32,
    /// Purpose of use, by name or HL7 code (for the access on-chain)
    #[arg(long, value_parser = parse_purpose, required_unless_present = "entry")]
    purpose: Option<Purpose>,
    /// Redeem this granted log entry (from an earlier `hdx access`) instead of accessing now
    #[arg(long, value_name = "SEQUENCE", conflicts_with = "purpose")]
    entry: Option<u64>,
    /// The gateway's URL
    #[arg(long, value_name = "URL")]
    gateway: String,
    /// Where to write the record's data (written only once it is checked)
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    force: bool,
}

/// The gateway's trail and the chain disagree (exit 4, like a broken chain).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreconciled(pub String);

/// `64MiB`, `512KiB`, `1GiB`, `1000`: bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 64MiB, 512KiB, 1000)"))?;
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1 << 10,
        "MiB" | "M" | "MB" => 1 << 20,
        "GiB" | "G" | "GB" => 1 << 30,
        other => return Err(format!("{other:?} is not a size unit (B, KiB, MiB, GiB)")),
    };
    n.checked_mul(scale)
        .filter(|b| (1..=(4usize << 30)).contains(b))
        .ok_or_else(|| format!("{s:?} is not a size between 1 byte and 4 GiB"))
}

fn parse_window(s: &str) -> Result<i64, String> {
    let secs = hdx::cluster::parse_duration(s).map_err(|e| e.to_string())?;
    if (1..=86_400).contains(&secs) {
        Ok(secs)
    } else {
        Err(format!(
            "the window {s:?} must be between 1 second and 1 day"
        ))
    }
}

fn default_store() -> anyhow::Result<PathBuf> {
    Ok(dirs::data_dir()
        .ok_or_else(|| anyhow::anyhow!("no user data directory: pass --store DIR"))?
        .join("hdx")
        .join("gateway"))
}

/// The chain the gateway reads: JSON-RPC only.
fn chain(ctx: &Ctx) -> anyhow::Result<Chain> {
    match &ctx.settings.target {
        Target::Rpc { url, commitment } => Ok(HdxClient::new(Box::new(RpcTransport::new(
            url,
            *commitment,
        ))
            as Box<dyn Transport + Send + Sync>)),
        Target::Embedded { .. } => anyhow::bail!(
            "the gateway reads the chain over JSON-RPC: start `hdx serve` (or use a cluster) and pass its URL with -u"
        ),
    }
}

pub fn run(ctx: &Ctx, args: GatewayArgs) -> anyhow::Result<Output> {
    match args.cmd {
        None => serve(ctx, args.run),
        Some(GatewayCmd::Log { store, reconcile }) => log(ctx, store, reconcile),
    }
}

fn serve(ctx: &Ctx, a: RunArgs) -> anyhow::Result<Output> {
    let chain = chain(ctx)?;
    // Fail now, not at the first request, when the cluster is not there.
    chain.transport.unix_time().map_err(|e| {
        anyhow::anyhow!(
            "cannot read the cluster's clock at {}: {e}",
            ctx.settings.describe()
        )
    })?;
    let dir = match a.store {
        Some(d) => d,
        None => default_store()?,
    };
    let gateway = Arc::new(Gateway::open(
        &dir,
        chain,
        Config {
            window_secs: a.window,
            max_upload: a.max_upload,
        },
    )?);
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
            "Gateway for {} (store {}, window {}s, uploads up to {} bytes)\nGateway: {}\nCtrl-C stops.",
            ctx.settings.describe(),
            dir.display(),
            a.window,
            a.max_upload,
            server.url()
        );
        super::serve::wait_for_stop().await;
        server.stop().await;
        anyhow::Ok(())
    })?;
    Ok(Output::new(json!({ "stopped": true }), ""))
}

fn log(ctx: &Ctx, store: Option<PathBuf>, reconcile: bool) -> anyhow::Result<Output> {
    let dir = match store {
        Some(d) => d,
        None => default_store()?,
    };
    let store = Store::open_read_only(&dir)?;
    let rows = store.trail(0, usize::MAX)?;
    let mut text = table(
        &[
            "seq", "time", "outcome", "request", "patient", "record", "entry", "signer", "bytes",
            "detail",
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
        let report = hdx_gateway::reconcile(&store, &chain(ctx)?)?;
        value["reconciliation"] = serde_json::to_value(&report)?;
        if !report.ok() {
            return Err(anyhow::Error::new(Unreconciled(format!(
                "{} of {} releases do not match a granted read entry on-chain released through its record's binding: {}",
                report.unmatched.len(),
                report.releases,
                report.unmatched.join("; ")
            ))));
        }
        text.push_str(&format!(
            "\nReconciled: {} release{}, each matched by exactly one granted read entry on-chain and released through its record's binding",
            report.releases,
            if report.releases == 1 { "" } else { "s" }
        ));
    }
    Ok(Output::new(value, text))
}

pub fn upload(ctx: &Ctx, a: UploadArgs) -> anyhow::Result<Output> {
    let data = std::fs::read(&a.file)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", a.file.display())))?;
    anyhow::ensure!(!data.is_empty(), "{} is empty", a.file.display());
    let client = ctx.client()?;
    let now = client.transport.unix_time()?;
    let clinical_day = a.clinical_date.unwrap_or(0);
    anyhow::ensure!(
        i64::from(clinical_day) <= hdx_sdk::codes::day_of(now) + 1,
        "the clinical date {} is in the future",
        hdx_sdk::export::day_date(clinical_day)
    );
    let patient = ctx.my_patient(&client, a.patient)?;
    let signer = ctx.payer(&client)?;
    let hash = {
        use sha2::{Digest, Sha256};
        let h: [u8; 32] = Sha256::digest(&data).into();
        h
    };
    let locator = hdx_sdk::cid::locator(&hash);
    let gateway = GatewayClient::new(&a.gateway);
    // The gateway binds the upload to the record it is for, so the record is
    // added at exactly the index the upload named. Another record added in
    // between takes that index: then bind the next one and try again.
    let mut attempt = 0;
    let index = loop {
        attempt += 1;
        let index = client.patient(&patient.id)?.record_count;
        // Upload first: nothing goes on-chain unless the gateway holds the data.
        let uploaded = gateway.upload(signer, &patient.id, index, a.category, &data, now)?;
        anyhow::ensure!(
            uploaded.locator == locator
                && uploaded.content_hash == hex(&hash)
                && uploaded.record == index,
            "the gateway answered with locator {} and hash {} for record {}, not this file's {locator} and {} for record {index}: nothing added",
            uploaded.locator,
            uploaded.content_hash,
            uploaded.record,
            hex(&hash)
        );
        let sent = client.send(
            &[hdx_sdk::ix::add_record(
                signer.pubkey(),
                &patient.id,
                index,
                AddRecordArgs {
                    category: a.category,
                    clinical_day,
                    locator: locator.as_bytes().to_vec(),
                    content_hash: hash,
                },
            )],
            signer,
            &[],
        );
        match sent {
            Ok(_) => break index,
            Err(e) if attempt < 3 && client.patient(&patient.id)?.record_count != index => {
                eprintln!(
                    "record {index} was taken by another addition ({e}); binding the next index"
                );
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(Output::new(
        json!({
            "patient": patient.id.to_string(),
            "index": index,
            "category": a.category.name(),
            "locator": locator,
            "content_hash": hex(&hash),
            "bytes": data.len(),
        }),
        format!(
            "Uploaded {} bytes to {} and added record {index} ({})\nlocator:      {locator}\ncontent hash: {}",
            data.len(),
            a.gateway,
            a.category.name(),
            hex(&hash)
        ),
    ))
}

/// Where `fetch` writes: checked before anything is asked on-chain.
fn check_output(path: &Path, force: bool) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        force || !path.exists(),
        "{} exists: pass --force to replace it",
        path.display()
    );
    anyhow::ensure!(!path.is_dir(), "{} is a directory", path.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    anyhow::ensure!(
        dir.is_dir(),
        "cannot write {}: {} is not a directory",
        path.display(),
        dir.display()
    );
    Ok(dir)
}

pub fn fetch(ctx: &Ctx, a: FetchArgs) -> anyhow::Result<Output> {
    let dir = check_output(&a.out, a.force)?;
    let client = ctx.client()?;
    let provider = ctx.my_provider(&client)?;
    super::require_record(&client, &a.patient, a.record)?;
    let record = client.record(&a.patient, a.record)?;
    anyhow::ensure!(
        hdx_sdk::cid::hash_of_locator(&String::from_utf8_lossy(&record.locator))
            == Some(Ok(record.content_hash)),
        "record {} of patient {} is not held by a gateway (its locator is not the ipfs:// CID of its content hash)",
        a.record,
        a.patient
    );
    let signer = ctx.payer(&client)?;
    let (sequence, content_hash) = match (a.entry, a.purpose) {
        (Some(entry), _) => (entry, record.content_hash),
        (None, Some(purpose)) => {
            let g = client.access_record(signer, &provider.id, &a.patient, a.record, purpose)?;
            (g.sequence, g.content_hash)
        }
        (None, None) => {
            anyhow::bail!("give --purpose (access now) or --entry (redeem an earlier access)")
        }
    };
    let now = client.transport.unix_time()?;
    let data = GatewayClient::new(&a.gateway).fetch(
        signer,
        &a.patient,
        a.record,
        sequence,
        &content_hash,
        now,
    )?;
    // Written whole or not at all.
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    tmp.write_all(&data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&a.out).map_err(|e| {
        anyhow::Error::new(e.error).context(format!("cannot write {}", a.out.display()))
    })?;
    Ok(Output::new(
        json!({
            "outcome": "Released",
            "sequence": sequence,
            "record": a.record,
            "bytes": data.len(),
            "content_hash": hex(&content_hash),
            "output": a.out.display().to_string(),
        }),
        format!(
            "{} (log entry {sequence}), released {} bytes by the gateway, hash checked\nwritten to {}",
            if a.entry.is_some() { "Redeemed" } else { "Granted" },
            data.len(),
            a.out.display()
        ),
    ))
}
