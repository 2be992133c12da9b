//! `hdx bench serve`: `hdx serve` measured from outside, on loopback, as a
//! provider's systems would load it. A fresh ledger is served by a child
//! `hdx serve` process; client threads send access transactions through
//! JSON-RPC (`sendTransaction` with preflight, then `getSignatureStatuses`
//! until confirmed) while a reader calls `getAccountInfo`. Throughput is
//! measured with the patient's log at a small and at a large length (the
//! cost of an access must not grow with the log); the store's size and the
//! server's resident memory are read at the end.

pub mod fhir;
pub mod gateway;
pub mod static_files;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_sdk::hash::Hash;
use solana_sdk::instruction::InstructionError;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{write_keypair_file, Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};

use hdx_node::store::Store;
use hdx_sdk::client::HdxClient;
use hdx_sdk::codes::{Category, ProviderKind, Purpose, ALL_PURPOSES, MODE_READ};
use hdx_sdk::program::{AddRecordArgs, ConsentTerms};
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Faucet;
use hdx_sdk::{ix, pda};

use crate::served::ServeProcess;

/// How big and how long.
#[derive(Debug, Clone)]
pub struct ServeBenchConfig {
    /// The `hdx` binary to serve with.
    pub hdx: PathBuf,
    /// Log lengths (entries) to measure at, in increasing order.
    pub at: Vec<u64>,
    /// Access transactions sent and confirmed per measurement.
    pub measure: u64,
    /// Client threads sending at once.
    pub clients: usize,
}

/// One measurement window, with the log at `entries_before`.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub entries_before: u64,
    pub transactions: u64,
    pub seconds: f64,
    pub tps: f64,
    pub send_p50_ms: f64,
    pub send_p99_ms: f64,
    /// `getSignatureStatuses` after the send, until it says confirmed.
    pub confirm_p50_ms: f64,
    pub confirm_p99_ms: f64,
    pub get_account_calls: u64,
    pub get_account_p50_ms: f64,
    pub get_account_p99_ms: f64,
    /// The store's bytes on disk (database and write-ahead log) after the window.
    pub store_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServeBench {
    pub clients: usize,
    pub windows: Vec<Window>,
    /// Throughput at the longest log over throughput at the shortest.
    pub tps_ratio: f64,
    /// Whether that ratio is within 20%.
    pub flat: bool,
    /// Store growth per 1,000 log entries (each entry is one access
    /// transaction with its history: message, logs, balances).
    pub store_bytes_per_1000_entries: u64,
    pub log_entries: u64,
    pub log_pages: u32,
    /// Every transaction the server processed (setup, fills, page openings, windows).
    pub transactions: u64,
    /// The server process's resident memory at the end, and its peak.
    pub server_rss_bytes: u64,
    pub server_peak_rss_bytes: u64,
    pub fill_seconds: f64,
    /// History (the transactions, their indexes and the address index:
    /// what getTransaction, getSignatureStatuses and getSignaturesForAddress
    /// read) in bytes per processed transaction, from SQLite's dbstat.
    pub history_bytes_per_transaction: u64,
    /// The lowest throughput of any window (goal: at least 1,000 tx/s).
    pub min_tps: f64,
    pub tps_goal_met: bool,
    pub history_goal_met: bool,
}

/// Confirmed access transactions per second the node must reach with 4 clients.
pub const TPS_GOAL: f64 = 1000.0;
/// The most history one access may take on disk.
pub const HISTORY_BYTES_GOAL: u64 = 1024;

/// The tables and indexes that hold history (not accounts).
const HISTORY_TABLES: &[&str] = &[
    "transactions",
    "transactions_by_sig8",
    "transactions_by_slot",
    "addresses",
    "sqlite_autoindex_addresses_1",
    "address_transactions",
];

/// The shared state of the sending threads.
struct Sender {
    url: String,
    lab: Arc<Keypair>,
    patient: Pubkey,
    page: AtomicU32,
    next_ticket: AtomicU64,
    sent: AtomicU64,
}

impl Sender {
    /// Sends and confirms one access, opening the next log page when the
    /// current one is full; returns how long `sendTransaction` took.
    fn access(
        &self,
        rpc: &RpcClient,
        blockhash: Hash,
        ticket: u64,
    ) -> anyhow::Result<(Duration, Duration)> {
        let lab = self.lab.pubkey();
        loop {
            let page = self.page.load(Ordering::SeqCst);
            // Distinct transactions under one blockhash: the unit limit varies
            // (natively it costs nothing; it carries no fee).
            let limit = 200_000 + (ticket % 100_000) as u32;
            let tx = Transaction::new_signed_with_payer(
                &[
                    ComputeBudgetInstruction::set_compute_unit_limit(limit),
                    ix::access_record(lab, &lab, &self.patient, 0, page, Purpose::Treatment),
                ],
                Some(&lab),
                &[&*self.lab],
                blockhash,
            );
            let started = Instant::now();
            let sent = rpc.send_transaction_with_config(
                &tx,
                RpcSendTransactionConfig {
                    preflight_commitment: Some(CommitmentConfig::confirmed().commitment),
                    ..RpcSendTransactionConfig::default()
                },
            );
            let took = started.elapsed();
            match sent {
                Ok(signature) => {
                    let confirming = Instant::now();
                    confirm(rpc, &signature)?;
                    self.sent.fetch_add(1, Ordering::SeqCst);
                    return Ok((took, confirming.elapsed()));
                }
                Err(e) if is_page_full(e.get_transaction_error()) => self.open_next(page)?,
                Err(e) => anyhow::bail!("an access was refused: {e}"),
            }
        }
    }

    /// Opens page `full + 1` (unless another thread already has).
    fn open_next(&self, full: u32) -> anyhow::Result<()> {
        let c = HdxClient::new(RpcTransport::new(&self.url, CommitmentConfig::confirmed()));
        let page = c.writable_log_page(&*self.lab, &self.patient)?;
        if page > full {
            self.page.fetch_max(page, Ordering::SeqCst);
        }
        Ok(())
    }

    /// `count` accesses from `clients` threads; the latencies of their sends and confirmations.
    #[allow(clippy::type_complexity)]
    fn run(
        self: &Arc<Self>,
        count: u64,
        clients: usize,
    ) -> anyhow::Result<Vec<(Duration, Duration)>> {
        let end = self.next_ticket.load(Ordering::SeqCst) + count;
        let threads: Vec<_> = (0..clients)
            .map(|_| {
                let me = self.clone();
                std::thread::spawn(move || -> anyhow::Result<Vec<(Duration, Duration)>> {
                    let rpc = RpcClient::new_with_commitment(
                        me.url.clone(),
                        CommitmentConfig::confirmed(),
                    );
                    let mut latencies = Vec::new();
                    let mut blockhash = (rpc.get_latest_blockhash()?, Instant::now());
                    loop {
                        let ticket = me.next_ticket.fetch_add(1, Ordering::SeqCst);
                        if ticket >= end {
                            return Ok(latencies);
                        }
                        if blockhash.1.elapsed() > Duration::from_millis(250) {
                            blockhash = (rpc.get_latest_blockhash()?, Instant::now());
                        }
                        latencies.push(me.access(&rpc, blockhash.0, ticket)?);
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in threads {
            all.extend(
                t.join()
                    .map_err(|_| anyhow::anyhow!("a sender panicked"))??,
            );
        }
        // Tickets past `end` were taken but not sent.
        self.next_ticket.store(end, Ordering::SeqCst);
        Ok(all)
    }
}

fn is_page_full(error: Option<TransactionError>) -> bool {
    let full = u32::from(health_data_exchange::error::HdxError::LogPageFull);
    matches!(
        error,
        Some(TransactionError::InstructionError(_, InstructionError::Custom(code))) if code == full
    )
}

fn confirm(rpc: &RpcClient, signature: &Signature) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = rpc.get_signature_statuses(&[*signature])?.value[0].clone() {
            if let Some(err) = status.err {
                anyhow::bail!("{signature} failed: {err}");
            }
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{signature} was not confirmed in 30 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn percentile_ms(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// `getAccountInfo` on `address` every 10 ms until `stop`; the latencies.
fn reader(
    url: String,
    address: Pubkey,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<Duration>> {
    std::thread::spawn(move || {
        let rpc = RpcClient::new_with_commitment(url, CommitmentConfig::confirmed());
        let mut latencies = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            if rpc.get_account(&address).is_ok() {
                latencies.push(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        latencies
    })
}

/// (resident, peak) bytes of process `pid`, from /proc.
fn rss_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

/// The benchmarks' scene, on funded keys: the registry, one verified lab,
/// a patient with one lab-results record, and a consent for it lasting
/// `days`; returns its terms.
fn scene(
    c: &HdxClient,
    authority: &Keypair,
    lab: &Keypair,
    patient: &Keypair,
    days: i64,
) -> anyhow::Result<ConsentTerms> {
    let (a, l, p) = (authority.pubkey(), lab.pubkey(), patient.pubkey());
    c.send(&[ix::initialize_registry(a, a, a)], authority, &[])?;
    c.send(
        &[ix::register_provider(l, ProviderKind::Laboratory, [7; 32])],
        lab,
        &[],
    )?;
    c.send(&[ix::verify_provider(a, &l)], authority, &[])?;
    c.send(&[ix::register_patient(p)], patient, &[])?;
    c.add_record(
        patient,
        &p,
        AddRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: b"vault://bench/0".to_vec(),
            content_hash: [9; 32],
        },
    )?;
    let now = c.transport.unix_time()?;
    let terms = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: ALL_PURPOSES,
        not_before: now,
        expires_at: now + days * 86_400,
        ..ConsentTerms::default()
    };
    c.send(&[ix::grant_consent(p, &p, &l, terms)], patient, &[])?;
    Ok(terms)
}

/// Runs the benchmark; `progress` hears what it is doing.
pub fn serve(
    config: &ServeBenchConfig,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<ServeBench> {
    anyhow::ensure!(!config.at.is_empty(), "nothing to measure at");
    anyhow::ensure!(config.clients >= 1, "at least one client");
    anyhow::ensure!(
        config.at.windows(2).all(|w| w[0] < w[1]),
        "the log lengths to measure at must increase"
    );
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("authority.json");
    let authority = Keypair::new();
    write_keypair_file(&authority, &key).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ledger = dir.path().join("ledger");
    let server = ServeProcess::start(&config.hdx, dir.path(), &ledger, &key)?;
    progress(&format!("serving a fresh ledger at {}", server.url));

    // The scene: one verified lab with a consent for a patient's one record.
    let c = HdxClient::new(RpcTransport::new(
        &server.url,
        CommitmentConfig::confirmed(),
    ));
    let faucet = RpcTransport::new(&server.url, CommitmentConfig::confirmed());
    let (lab, patient) = (Keypair::new(), Keypair::new());
    faucet.fund(&authority.pubkey(), 10_000_000_000)?;
    faucet.fund(&patient.pubkey(), 10_000_000_000)?;
    // Fees and a log page's rent for every 64 accesses.
    let pages = config.at.last().unwrap() / 64 + 2;
    faucet.fund(&lab.pubkey(), 1_000_000_000 + pages * 20_000_000)?;
    let (l, p) = (lab.pubkey(), patient.pubkey());
    scene(&c, &authority, &lab, &patient, 30)?;

    let sender = Arc::new(Sender {
        url: server.url.clone(),
        lab: Arc::new(lab),
        patient: p,
        page: AtomicU32::new(0),
        next_ticket: AtomicU64::new(0),
        sent: AtomicU64::new(0),
    });
    let consent = pda::consent(&p, &l).0;
    let mut windows = Vec::new();
    let mut fill_seconds = 0.0;
    for &at in &config.at {
        let have = sender.sent.load(Ordering::SeqCst);
        if at > have {
            progress(&format!("filling the log to {at} entries"));
            let started = Instant::now();
            let step = 10_000;
            let mut done = have;
            while done < at {
                let n = step.min(at - done);
                sender.run(n, config.clients)?;
                done += n;
                progress(&format!("  {done} entries"));
            }
            fill_seconds += started.elapsed().as_secs_f64();
        }
        progress(&format!(
            "measuring {} accesses at {at} entries",
            config.measure
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let reads = reader(server.url.clone(), consent, stop.clone());
        let started = Instant::now();
        let timed = sender.run(config.measure, config.clients)?;
        let mut sends: Vec<Duration> = timed.iter().map(|t| t.0).collect();
        let mut confirms: Vec<Duration> = timed.iter().map(|t| t.1).collect();
        confirms.sort();
        let seconds = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::SeqCst);
        let mut reads = reads
            .join()
            .map_err(|_| anyhow::anyhow!("the reader panicked"))?;
        sends.sort();
        reads.sort();
        windows.push(Window {
            entries_before: at,
            transactions: config.measure,
            seconds,
            tps: config.measure as f64 / seconds,
            send_p50_ms: percentile_ms(&sends, 50),
            send_p99_ms: percentile_ms(&sends, 99),
            confirm_p50_ms: percentile_ms(&confirms, 50),
            confirm_p99_ms: percentile_ms(&confirms, 99),
            get_account_calls: reads.len() as u64,
            get_account_p50_ms: percentile_ms(&reads, 50),
            get_account_p99_ms: percentile_ms(&reads, 99),
            store_bytes: Store::size_on_disk(&ledger),
        });
    }

    // What the chain says: every access is an entry, the chain verifies.
    let log = c.log(&p)?;
    log.verify()
        .map_err(|e| anyhow::anyhow!("the log does not verify after the run: {e:?}"))?;
    let log_entries = log.entries().len() as u64;
    let sent = sender.sent.load(Ordering::SeqCst);
    anyhow::ensure!(
        log_entries == sent,
        "{sent} accesses were confirmed but the log has {log_entries} entries"
    );
    let (first, last) = (&windows[0], windows.last().unwrap());
    let tps_ratio = last.tps / first.tps;
    let grown_entries = (last.entries_before + last.transactions)
        .saturating_sub(first.entries_before + first.transactions);
    let store_bytes_per_1000_entries = (last.store_bytes.saturating_sub(first.store_bytes) * 1000)
        .checked_div(grown_entries)
        .unwrap_or(0);
    let (server_rss_bytes, server_peak_rss_bytes) = rss_of(server.pid());
    let log_pages = c.patient(&p)?.log_pages;
    let transactions = hdx_node::store::Snapshot::of(&ledger)?.map_or(0, |s| s.transactions);
    let history: u64 = Store::space(&ledger)?
        .iter()
        .filter(|(name, _)| HISTORY_TABLES.contains(&name.as_str()))
        .map(|(_, bytes)| bytes)
        .sum();
    let history_bytes_per_transaction = history.checked_div(transactions).unwrap_or(0);
    let min_tps = windows.iter().map(|w| w.tps).fold(f64::INFINITY, f64::min);
    Ok(ServeBench {
        history_bytes_per_transaction,
        min_tps,
        tps_goal_met: min_tps >= TPS_GOAL && config.clients == 4,
        history_goal_met: history_bytes_per_transaction <= HISTORY_BYTES_GOAL,
        clients: config.clients,
        tps_ratio,
        flat: (0.8..=1.25).contains(&tps_ratio),
        windows,
        store_bytes_per_1000_entries,
        log_entries,
        log_pages,
        transactions,
        server_rss_bytes,
        server_peak_rss_bytes,
        fill_seconds,
    })
}

/// The report as `hdx bench serve` prints it.
pub fn render(r: &ServeBench) -> String {
    let mut s = format!(
        "hdx serve on loopback: access transactions sent through JSON-RPC (preflight on) and confirmed, {} client threads\n\n",
        r.clients
    );
    s += "  log entries   accesses   seconds      tps   sendTransaction p50/p99 ms   confirmed after p50/p99 ms   getAccountInfo p50/p99 ms (calls)   store MB\n";
    for w in &r.windows {
        s += &format!(
            "  {:>11}   {:>8}   {:>7.2}   {:>6.1}   {:>13.2} / {:<10.2}   {:>13.2} / {:<10.2}   {:>13.2} / {:<7.2} ({:>5})   {:>8.1}\n",
            w.entries_before,
            w.transactions,
            w.seconds,
            w.tps,
            w.send_p50_ms,
            w.send_p99_ms,
            w.confirm_p50_ms,
            w.confirm_p99_ms,
            w.get_account_p50_ms,
            w.get_account_p99_ms,
            w.get_account_calls,
            w.store_bytes as f64 / 1e6
        );
    }
    s += &format!(
        "\n  throughput at the longest log / at the shortest: {:.3} ({})\n",
        r.tps_ratio,
        if r.flat {
            "within 20%: flat"
        } else {
            "NOT within 20%"
        }
    );
    s += &format!(
        "  store on disk per 1,000 entries: {:.1} KB (each entry is an access transaction with its history)\n",
        r.store_bytes_per_1000_entries as f64 / 1e3
    );
    s += &format!(
        "  log: {} entries on {} pages, the chain verifies; {} transactions processed\n",
        r.log_entries, r.log_pages, r.transactions
    );
    s += &format!(
        "  server resident memory at the end: {:.1} MB (peak {:.1} MB)\n",
        r.server_rss_bytes as f64 / 1e6,
        r.server_peak_rss_bytes as f64 / 1e6
    );
    s += &format!("  filling the log took {:.1} s\n", r.fill_seconds);
    s += &format!(
        "  history per transaction: {} bytes (transactions, their indexes, the address index; SQLite dbstat)\n",
        r.history_bytes_per_transaction
    );
    s += &format!(
        "  goal: >= {TPS_GOAL:.0} confirmed tx/s with 4 clients at every length   lowest {:.1} tx/s with {} clients: {}\n",
        r.min_tps,
        r.clients,
        gateway::met(r.tps_goal_met)
    );
    s += &format!(
        "  goal: <= {HISTORY_BYTES_GOAL} bytes of history per access            {} bytes: {}\n",
        r.history_bytes_per_transaction,
        gateway::met(r.history_goal_met)
    );
    s += &format!(
        "  goal: flat from the shortest log to the longest (within 20%)   {:.3}: {}\n",
        r.tps_ratio,
        gateway::met(r.flat)
    );
    s
}

/// How big `hdx bench export` runs.
#[derive(Debug, Clone)]
pub struct ExportBenchConfig {
    /// The `hdx` binary that serves and exports.
    pub hdx: PathBuf,
    /// Log lengths (entries) to export at, increasing.
    pub at: Vec<u64>,
    /// `json`, `csv`, `fhir`.
    pub formats: Vec<String>,
}

/// One export: `hdx -u URL audit log PATIENT --format F` against `hdx serve`.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRun {
    pub entries: u64,
    pub format: String,
    pub seconds: f64,
    pub entries_per_second: f64,
    /// The exporting process's peak resident memory.
    pub peak_rss_bytes: u64,
    pub output_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportBench {
    pub runs: Vec<ExportRun>,
    /// Per format: peak memory at the longest log over that at the shortest.
    pub memory_ratio: Vec<(String, f64)>,
    pub fill_seconds: f64,
}

/// Runs `cmd` to completion with stdout into `out`; (seconds, peak RSS
/// bytes). The peak is the child's `VmHWM`, sampled every 2 ms until it
/// exits (`wait4`'s `ru_maxrss` would count the parent's pages the child
/// shares between fork and exec).
fn timed_child(
    cmd: &mut std::process::Command,
    out: &std::path::Path,
) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(std::fs::File::create(out)?)
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        peak = peak.max(rss_of(pid).1);
        std::thread::sleep(Duration::from_millis(2));
    };
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        anyhow::bail!("the export failed ({status}): {stderr}");
    }
    Ok((seconds, peak))
}

/// The page's FHIR download: `GET url` (hdx serve streams the SDK's exporter)
/// into `out`; the seconds, and the serving process's peak memory after it.
fn fetched(url: &str, out: &std::path::Path, server: u32) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let mut response = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()?
        .get(url)
        .send()?
        .error_for_status()?;
    response.copy_to(&mut std::fs::File::create(out)?)?;
    Ok((started.elapsed().as_secs_f64(), rss_of(server).1))
}

/// Appends accesses to `patient`'s log on the ledger in `dir` until it has `entries`.
fn fill_log(
    dir: &std::path::Path,
    lab: &Keypair,
    patient: &Pubkey,
    entries: u64,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let ledger = hdx_node::ledger::FileLedger::open(dir, None, 0)?;
    let c = ledger.client();
    let l = lab.pubkey();
    // Entries so far: full pages before the current one, and its count.
    let pages = c.patient(patient)?.log_pages;
    let current = c.log_page(patient, pages.saturating_sub(1))?;
    let mut have = current.first_sequence + u64::from(current.count);
    while have < entries {
        c.access_record(lab, &l, patient, 0, Purpose::Treatment)?;
        have += 1;
        if have % 10_000 == 0 {
            progress(&format!("  {have} entries"));
        }
    }
    Ok(())
}

/// `hdx bench export`: a patient's log filled to each length, served by a
/// child `hdx serve`, and exported in each format by a child `hdx` over
/// JSON-RPC, timed and measured for peak memory.
pub fn export(
    config: &ExportBenchConfig,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<ExportBench> {
    anyhow::ensure!(!config.at.is_empty(), "nothing to measure at");
    anyhow::ensure!(
        config.at.windows(2).all(|w| w[0] < w[1]),
        "the log lengths to measure at must increase"
    );
    for f in &config.formats {
        anyhow::ensure!(
            ["json", "csv", "fhir", "fhir-http"].contains(&f.as_str()),
            "unknown format {f:?} (json, csv, fhir, fhir-http)"
        );
    }
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("authority.json");
    let authority = Keypair::new();
    write_keypair_file(&authority, &key).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ledger = dir.path().join("ledger");
    let (lab, patient) = (Keypair::new(), Keypair::new());
    let (a, l, p) = (authority.pubkey(), lab.pubkey(), patient.pubkey());
    {
        let fl = hdx_node::ledger::FileLedger::open(&ledger, Some(&a), 0)?;
        for k in [&a, &l, &p] {
            fl.node().airdrop(k, 1_000_000_000_000)?;
        }
        let c = fl.client();
        // Two versions: a grant and an update, so the export reads a history.
        let terms = scene(&c, &authority, &lab, &patient, 300)?;
        let updated = ConsentTerms {
            expires_at: terms.expires_at + 65 * 86_400,
            ..terms
        };
        c.send(&[ix::update_consent(p, &p, &l, updated)], &patient, &[])?;
    }
    let mut runs = Vec::new();
    let mut fill_seconds = 0.0;
    for &entries in &config.at {
        progress(&format!("filling the log to {entries} entries"));
        let started = Instant::now();
        fill_log(&ledger, &lab, &p, entries, progress)?;
        fill_seconds += started.elapsed().as_secs_f64();
        let server = ServeProcess::start(&config.hdx, dir.path(), &ledger, &key)?;
        for format in &config.formats {
            progress(&format!("exporting {entries} entries as {format}"));
            let out = dir.path().join(format!("export.{format}"));
            let (seconds, peak_rss_bytes) = if format == "fhir-http" {
                let url = format!("{}/export/fhir?patient={p}", server.url);
                fetched(&url, &out, server.child.id())?
            } else {
                let mut cmd = std::process::Command::new(&config.hdx);
                cmd.args([
                    "-u",
                    &server.url,
                    "audit",
                    "log",
                    &p.to_string(),
                    "--format",
                    format,
                ])
                .env("HOME", dir.path());
                timed_child(&mut cmd, &out)?
            };
            let output_bytes = std::fs::metadata(&out)?.len();
            std::fs::remove_file(&out)?;
            runs.push(ExportRun {
                entries,
                format: format.clone(),
                seconds,
                entries_per_second: entries as f64 / seconds,
                peak_rss_bytes,
                output_bytes,
            });
        }
        drop(server);
    }
    let memory_ratio = config
        .formats
        .iter()
        .map(|f| {
            let of = |entries: u64| {
                runs.iter()
                    .find(|r| &r.format == f && r.entries == entries)
                    .map_or(0, |r| r.peak_rss_bytes) as f64
            };
            let (first, last) = (config.at[0], *config.at.last().unwrap());
            (f.clone(), of(last) / of(first).max(1.0))
        })
        .collect();
    Ok(ExportBench {
        runs,
        memory_ratio,
        fill_seconds,
    })
}

/// The report as `hdx bench export` prints it.
pub fn render_export(r: &ExportBench) -> String {
    let mut s = String::from(
        "hdx audit log over JSON-RPC against hdx serve (a child process each), output to a file;\nfhir-http: the page's download, GET /export/fhir on hdx serve (peak memory: the server's)\n\n",
    );
    s += "  entries   format      seconds   entries/s   peak memory MB   output MB\n";
    for run in &r.runs {
        s += &format!(
            "  {:>7}   {:<9}   {:>7.2}   {:>9.0}   {:>14.1}   {:>9.1}\n",
            run.entries,
            run.format,
            run.seconds,
            run.entries_per_second,
            run.peak_rss_bytes as f64 / 1e6,
            run.output_bytes as f64 / 1e6
        );
    }
    s += "\n  peak memory at the longest log / at the shortest:";
    for (f, ratio) in &r.memory_ratio {
        s += &format!(" {f} {ratio:.2}");
    }
    s += &format!("\n  filling the log took {:.1} s\n", r.fill_seconds);
    if let Some(fhir) = r
        .runs
        .iter()
        .filter(|run| run.format == "fhir")
        .max_by_key(|run| run.entries)
    {
        s += &format!(
            "  goal: FHIR at >= {FHIR_GOAL_ENTRIES_PER_SECOND:.0} entries/s   {:.0} entries/s at {} entries ({:.2} s): {}\n",
            fhir.entries_per_second,
            fhir.entries,
            fhir.seconds,
            gateway::met(fhir.entries_per_second >= FHIR_GOAL_ENTRIES_PER_SECOND)
        );
    }
    if let Some((_, ratio)) = r.memory_ratio.iter().find(|(f, _)| f == "fhir") {
        s += &format!(
            "  goal: FHIR memory flat (within 20%)     {ratio:.2}: {}\n",
            gateway::met(*ratio <= 1.2)
        );
    }
    s += "  (byte-identical output: app/node/tests/fhir_export.rs, a test)\n";
    s
}

/// FHIR export speed the project holds itself to: 100,000 entries in under 2 s.
pub const FHIR_GOAL_ENTRIES_PER_SECOND: f64 = 50_000.0;
