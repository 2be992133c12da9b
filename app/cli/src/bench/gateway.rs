//! `hdx bench gateway`: the data gateway under load, on loopback. A child
//! `hdx serve` and a child `hdx gateway`; N provider threads, each with its
//! own patient holding one record of 1 MiB at the gateway, each doing
//! access (on-chain, confirmed) then fetch (signed request, 1 MiB, hash
//! checked), a bounded number of times within a bounded time. Reported:
//! releases per second, p50/p99 of the access, of the fetch and of both,
//! and the reconciliation: every release matched by exactly one granted
//! read entry on-chain (none released twice under concurrency).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

use hdx_sdk::client::{granted, HdxClient};
use hdx_sdk::codes::{Category, ProviderKind, Purpose, ALL_PURPOSES, MODE_READ};
use hdx_sdk::gateway::GatewayClient;
use hdx_sdk::program::{AddRecordArgs, ConsentTerms};
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Faucet;
use hdx_sdk::{cid, ix};

use super::static_files::StaticServer;
use super::{percentile_ms, rss_of};
use crate::served::{GatewayProcess, ServeProcess};

#[derive(Debug, Clone)]
pub struct GatewayBenchConfig {
    pub hdx: PathBuf,
    /// Concurrent providers.
    pub providers: usize,
    /// Releases each provider asks for.
    pub releases: u64,
    /// Size of each record's data.
    pub bytes: usize,
    /// Stop asking after this long.
    pub deadline: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewayBench {
    pub providers: usize,
    pub record_bytes: usize,
    /// Every release of the run (round trips and fetch only).
    pub releases: u64,
    /// Access + fetch round trips, and the seconds they took.
    pub round_trips: u64,
    pub seconds: f64,
    pub releases_per_second: f64,
    pub megabytes_per_second: f64,
    pub access_p50_ms: f64,
    pub access_p99_ms: f64,
    pub fetch_p50_ms: f64,
    pub fetch_p99_ms: f64,
    pub round_trip_p50_ms: f64,
    pub round_trip_p99_ms: f64,
    /// Fetches of entries granted beforehand, all providers at once.
    pub fetch_only: u64,
    pub fetch_only_p50_ms: f64,
    pub fetch_only_p99_ms: f64,
    /// Releases in the gateway's trail, and how many matched exactly one
    /// granted read entry of their provider for their record on-chain.
    pub trail_releases: u64,
    pub matched: u64,
    pub reconciled: bool,
    pub stopped_by_deadline: bool,
    pub gateway_rss_bytes: u64,
    pub gateway_peak_rss_bytes: u64,
    /// The static file server serving the same bytes to the same clients
    /// (same concurrency, same HTTP client, same SHA-256 check) in the same run.
    pub static_server: String,
    pub static_gets: u64,
    pub static_gets_per_second: f64,
    pub static_p50_ms: f64,
    pub static_p99_ms: f64,
    /// The gateway's fetch-only p50 over the static server's (goal: at most 3).
    pub fetch_p50_ratio: f64,
    pub fetch_goal_met: bool,
    /// Access + fetch p99 under 50 ms.
    pub round_trip_goal_met: bool,
}

/// The most a release's fetch p50 may be, as a multiple of the static server's.
pub const FETCH_RATIO_GOAL: f64 = 3.0;
/// The most access + fetch may take at p99, in milliseconds.
pub const ROUND_TRIP_P99_GOAL_MS: f64 = 50.0;

/// Each provider's thread GETs its own file from `url` `count` times, checking its hash.
fn static_gets(
    url: &str,
    files: &[(String, [u8; 32])],
    count: u64,
) -> anyhow::Result<(Vec<Duration>, f64)> {
    let started = Instant::now();
    let workers: Vec<_> = files
        .iter()
        .cloned()
        .map(|(name, hash)| {
            let url = format!("{url}/{name}");
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                use sha2::{Digest, Sha256};
                let http = reqwest::blocking::Client::new();
                let mut out = Vec::new();
                for _ in 0..count {
                    let t0 = Instant::now();
                    let response = http.get(&url).send()?.error_for_status()?;
                    let data = response.bytes()?;
                    anyhow::ensure!(
                        <[u8; 32]>::from(Sha256::digest(&data)) == hash,
                        "the static server's {url} is not the bytes written"
                    );
                    out.push(t0.elapsed());
                }
                Ok(out)
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(
            w.join()
                .map_err(|_| anyhow::anyhow!("a static client thread panicked"))??,
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort();
    Ok((all, seconds))
}

struct Timing {
    access: Duration,
    fetch: Duration,
}

fn data_for(i: usize, bytes: usize) -> Vec<u8> {
    // Distinct per provider, not compressible to nothing.
    (0..bytes)
        .map(|n| {
            (n as u64)
                .wrapping_mul(2654435761)
                .wrapping_add(i as u64 * 97) as u8
        })
        .collect()
}

/// A fresh ledger served by a child `hdx serve`, a child `hdx gateway`
/// reading it (uploads up to `bytes`), the registry initialised by
/// `authority`, and clients of both.
pub(crate) struct Stage {
    pub dir: tempfile::TempDir,
    pub server: ServeProcess,
    pub gateway: GatewayProcess,
    /// The gateway's store.
    pub store: PathBuf,
    pub c: HdxClient,
    pub faucet: RpcTransport,
    pub authority: Keypair,
    pub g: GatewayClient,
}

impl Stage {
    pub fn start(hdx: &std::path::Path, bytes: usize) -> anyhow::Result<Stage> {
        let dir = tempfile::tempdir()?;
        let key = dir.path().join("authority.json");
        let authority = Keypair::new();
        write_keypair_file(&authority, &key).map_err(|e| anyhow::anyhow!("{e}"))?;
        let server = ServeProcess::start(hdx, dir.path(), &dir.path().join("ledger"), &key)?;
        let store = dir.path().join("gateway");
        let gateway = GatewayProcess::start(
            hdx,
            dir.path(),
            &server.url,
            &store,
            &["--max-upload", &format!("{}", bytes.max(1))],
        )?;
        let c = HdxClient::new(RpcTransport::new(
            &server.url,
            CommitmentConfig::confirmed(),
        ));
        let faucet = RpcTransport::new(&server.url, CommitmentConfig::confirmed());
        let a = authority.pubkey();
        faucet.fund(&a, 10_000_000_000)?;
        c.send(&[ix::initialize_registry(a, a, a)], &authority, &[])?;
        let g = GatewayClient::new(&gateway.url);
        Ok(Stage {
            dir,
            server,
            gateway,
            store,
            c,
            faucet,
            authority,
            g,
        })
    }
}

/// A verified lab and a patient whose record 0 (lab results, `bytes` of
/// data) is held by the gateway, with a consent to the lab for a day.
pub(crate) struct LabAndRecord {
    pub lab: Keypair,
    pub patient: solana_sdk::pubkey::Pubkey,
    pub hash: [u8; 32],
    pub data: Vec<u8>,
}

/// Sets up the `i`th [`LabAndRecord`] on the chain `c` (funded by `faucet`,
/// verified by `authority`) and the gateway `g`.
pub(crate) fn lab_with_record(
    c: &HdxClient,
    faucet: &RpcTransport,
    authority: &Keypair,
    g: &GatewayClient,
    i: usize,
    bytes: usize,
) -> anyhow::Result<LabAndRecord> {
    let a = authority.pubkey();
    let (lab, patient) = (Keypair::new(), Keypair::new());
    let (l, p) = (lab.pubkey(), patient.pubkey());
    faucet.fund(&l, 10_000_000_000)?;
    faucet.fund(&p, 10_000_000_000)?;
    c.send(
        &[ix::register_provider(l, ProviderKind::Laboratory, [7; 32])],
        &lab,
        &[],
    )?;
    c.send(&[ix::verify_provider(a, &l)], authority, &[])?;
    c.send(&[ix::register_patient(p)], &patient, &[])?;
    let data = data_for(i, bytes);
    let up = g.upload(
        &patient,
        &p,
        0,
        Category::LabResults,
        &data,
        c.transport.unix_time()?,
    )?;
    let hash: [u8; 32] = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&data).into()
    };
    anyhow::ensure!(up.locator == cid::locator(&hash), "the gateway's locator");
    c.add_record(
        &patient,
        &p,
        AddRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: up.locator.into_bytes(),
            content_hash: hash,
        },
    )?;
    let now = c.transport.unix_time()?;
    let terms = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: ALL_PURPOSES,
        not_before: now,
        expires_at: now + 86_400,
        ..ConsentTerms::default()
    };
    c.send(&[ix::grant_consent(p, &p, &l, terms)], &patient, &[])?;
    Ok(LabAndRecord {
        lab,
        patient: p,
        hash,
        data,
    })
}

/// Each provider of `cast` on its own thread, `releases` times (until
/// `deadline`): access then fetch, timed apart; or, `separate`, every access
/// first and then (once every thread has its entries) every fetch.
fn run_providers(
    cast: &[(Arc<Keypair>, solana_sdk::pubkey::Pubkey, [u8; 32])],
    url: &str,
    gw: &str,
    releases: u64,
    deadline: Instant,
    separate: bool,
) -> anyhow::Result<Vec<Timing>> {
    let ready = Arc::new(std::sync::Barrier::new(cast.len()));
    let workers: Vec<_> = cast
        .iter()
        .cloned()
        .map(|(lab, p, hash)| {
            let (url, gw, ready) = (url.to_string(), gw.to_string(), ready.clone());
            std::thread::spawn(move || -> anyhow::Result<Vec<Timing>> {
                let c = HdxClient::new(RpcTransport::new(&url, CommitmentConfig::confirmed()));
                let g = GatewayClient::new(&gw);
                let l = lab.pubkey();
                let access = |ticket: u64| -> anyhow::Result<(u64, Duration)> {
                    let t0 = Instant::now();
                    let page = c.writable_log_page(&*lab, &p)?;
                    // Distinct transactions under one blockhash (the unit limit varies).
                    let receipt = c.send(
                        &[
                            ComputeBudgetInstruction::set_compute_unit_limit(
                                200_000 + ticket as u32 + if separate { 100_000 } else { 0 },
                            ),
                            ix::access_record(l, &l, &p, 0, page, Purpose::Treatment),
                        ],
                        &*lab,
                        &[],
                    )?;
                    Ok((granted(&receipt)?.sequence, t0.elapsed()))
                };
                let fetch = |sequence: u64, now: i64| -> anyhow::Result<Duration> {
                    let t0 = Instant::now();
                    let data = g.fetch(&*lab, &p, 0, sequence, &hash, now)?;
                    drop(data); // hash-checked by the client
                    Ok(t0.elapsed())
                };
                let mut out = Vec::new();
                if separate {
                    let mut granted_entries = Vec::new();
                    for ticket in 0..releases {
                        if Instant::now() >= deadline {
                            break;
                        }
                        granted_entries.push(access(ticket)?);
                    }
                    let now = c.transport.unix_time()?;
                    ready.wait();
                    for (sequence, took) in granted_entries {
                        out.push(Timing {
                            access: took,
                            fetch: fetch(sequence, now)?,
                        });
                    }
                } else {
                    for ticket in 0..releases {
                        if Instant::now() >= deadline {
                            break;
                        }
                        // The request's time, read before the clock starts.
                        let now = c.transport.unix_time()?;
                        let (sequence, took) = access(ticket)?;
                        out.push(Timing {
                            access: took,
                            fetch: fetch(sequence, now)?,
                        });
                    }
                }
                Ok(out)
            })
        })
        .collect();
    let mut timings = Vec::new();
    for w in workers {
        timings.extend(
            w.join()
                .map_err(|_| anyhow::anyhow!("a provider thread panicked"))??,
        );
    }
    Ok(timings)
}

pub fn run(
    config: &GatewayBenchConfig,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<GatewayBench> {
    anyhow::ensure!(config.providers >= 1, "at least one provider");
    anyhow::ensure!(config.releases >= 1, "at least one release each");
    let stage = Stage::start(&config.hdx, config.bytes)?;
    progress(&format!(
        "serving a fresh ledger at {}, the gateway at {}",
        stage.server.url, stage.gateway.url
    ));
    let Stage {
        dir: _dir,
        server,
        mut gateway,
        store,
        c,
        faucet,
        authority,
        g,
    } = stage;
    let mut cast = Vec::new();
    // The same bytes, as files, for the static server.
    let root = _dir.path().join("static");
    std::fs::create_dir_all(&root)?;
    let mut files = Vec::new();
    for i in 0..config.providers {
        let cast1 = lab_with_record(&c, &faucet, &authority, &g, i, config.bytes)?;
        let name = format!("{i}.bin");
        std::fs::write(root.join(&name), &cast1.data)?;
        files.push((name, cast1.hash));
        cast.push((Arc::new(cast1.lab), cast1.patient, cast1.hash));
    }
    progress(&format!(
        "{} providers, each fetching its patient's {} byte record {} times",
        config.providers, config.bytes, config.releases
    ));
    let started = Instant::now();
    let deadline = started + config.deadline;
    // Round trips: each provider does access then fetch, again and again,
    // while the others do the same (the node and the gateway both loaded).
    let timings = run_providers(
        &cast,
        &server.url,
        &gateway.url,
        config.releases,
        deadline,
        false,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    // Fetch only: each provider first gets its entries granted, then all
    // fetch at once, as the static server's clients will: the release path
    // (signature, one chain read, checks, group commit, open, hash, send)
    // without access transactions competing for the cores.
    progress("fetch only: the same providers redeem entries granted beforehand, all at once");
    let fetch_only = run_providers(
        &cast,
        &server.url,
        &gateway.url,
        config.releases,
        deadline,
        true,
    )?;
    let (gateway_rss_bytes, gateway_peak_rss_bytes) = rss_of(gateway.pid());
    let round_trips = timings.len() as u64;
    let releases = round_trips + fetch_only.len() as u64;
    let sorted = |t: &[Timing], f: &dyn Fn(&Timing) -> Duration| {
        let mut v: Vec<Duration> = t.iter().map(f).collect();
        v.sort();
        v
    };
    let access = sorted(&timings, &|t| t.access);
    let fetch = sorted(&timings, &|t| t.fetch);
    let both = sorted(&timings, &|t| t.access + t.fetch);
    let fetch_alone = sorted(&fetch_only, &|t| t.fetch);
    // Reconcile from the gateway's own store with the chain.
    gateway.kill();
    let store = hdx_gateway::store::Store::open_read_only(&store)?;
    let chain: hdx_gateway::Chain = HdxClient::new(RpcTransport::new(
        &server.url,
        CommitmentConfig::confirmed(),
    ));
    let r = hdx_gateway::reconcile(&store, &chain)?;
    // The yardstick: the same clients fetching the same bytes from a static server.
    let yardstick = StaticServer::start(&root, &_dir.path().join("static-server"))?;
    progress(&format!(
        "{} serving the same files at {}",
        yardstick.name, yardstick.url
    ));
    let per_client = (fetch_only.len() as u64 / config.providers as u64).max(1);
    let (gets, static_seconds) = static_gets(&yardstick.url, &files, per_client)?;
    let fetch_alone_p50_ms = percentile_ms(&fetch_alone, 50);
    let static_p50_ms = percentile_ms(&gets, 50);
    let fetch_p50_ratio = fetch_alone_p50_ms / static_p50_ms.max(f64::MIN_POSITIVE);
    let round_trip_p99_ms = percentile_ms(&both, 99);
    Ok(GatewayBench {
        providers: config.providers,
        record_bytes: config.bytes,
        releases,
        round_trips,
        seconds,
        releases_per_second: round_trips as f64 / seconds,
        megabytes_per_second: round_trips as f64 * config.bytes as f64 / seconds / 1_048_576.0,
        fetch_only: fetch_alone.len() as u64,
        fetch_only_p50_ms: fetch_alone_p50_ms,
        fetch_only_p99_ms: percentile_ms(&fetch_alone, 99),
        access_p50_ms: percentile_ms(&access, 50),
        access_p99_ms: percentile_ms(&access, 99),
        fetch_p50_ms: percentile_ms(&fetch, 50),
        fetch_p99_ms: percentile_ms(&fetch, 99),
        round_trip_p50_ms: percentile_ms(&both, 50),
        round_trip_p99_ms,
        trail_releases: r.releases,
        matched: r.matched,
        reconciled: r.ok() && r.releases == releases,
        stopped_by_deadline: releases < 2 * config.providers as u64 * config.releases,
        gateway_rss_bytes,
        gateway_peak_rss_bytes,
        static_server: yardstick.name.clone(),
        static_gets: gets.len() as u64,
        static_gets_per_second: gets.len() as f64 / static_seconds,
        static_p50_ms,
        static_p99_ms: percentile_ms(&gets, 99),
        fetch_p50_ratio,
        fetch_goal_met: fetch_p50_ratio <= FETCH_RATIO_GOAL,
        round_trip_goal_met: round_trip_p99_ms < ROUND_TRIP_P99_GOAL_MS,
    })
}

pub fn render(r: &GatewayBench) -> String {
    format!(
        "Gateway under load (loopback; {} providers, each its own patient's {} KiB record)\n\
         round trips          {} in {:.2} s: {:.1} releases/s, {:.1} MiB/s{}\n\
         access (on-chain)    p50 {:.2} ms  p99 {:.2} ms\n\
         fetch (1 release)    p50 {:.2} ms  p99 {:.2} ms\n\
         access + fetch       p50 {:.2} ms  p99 {:.2} ms\n\
         fetch only           {} releases of entries granted beforehand, all providers at once: p50 {:.2} ms  p99 {:.2} ms\n\
         reconciliation       {} releases in the gateway's trail, {} matched by exactly one granted read entry: {}\n\
         gateway memory       {:.1} MB resident (peak {:.1} MB)\n\
         static server        {}: {} GETs of the same bytes by the same clients, {:.1} GETs/s, p50 {:.2} ms  p99 {:.2} ms\n\
         goal: fetch-only p50 <= {:.0}x the static server's   {:.2}x: {}\n\
         goal: access + fetch p99 < {:.0} ms          {:.2} ms: {}\n",
        r.providers,
        r.record_bytes / 1024,
        r.round_trips,
        r.seconds,
        r.releases_per_second,
        r.megabytes_per_second,
        if r.stopped_by_deadline { " (stopped by the deadline)" } else { "" },
        r.access_p50_ms,
        r.access_p99_ms,
        r.fetch_p50_ms,
        r.fetch_p99_ms,
        r.round_trip_p50_ms,
        r.round_trip_p99_ms,
        r.fetch_only,
        r.fetch_only_p50_ms,
        r.fetch_only_p99_ms,
        r.trail_releases,
        r.matched,
        if r.reconciled { "ok" } else { "MISMATCH" },
        r.gateway_rss_bytes as f64 / 1e6,
        r.gateway_peak_rss_bytes as f64 / 1e6,
        r.static_server,
        r.static_gets,
        r.static_gets_per_second,
        r.static_p50_ms,
        r.static_p99_ms,
        FETCH_RATIO_GOAL,
        r.fetch_p50_ratio,
        met(r.fetch_goal_met),
        ROUND_TRIP_P99_GOAL_MS,
        r.round_trip_p99_ms,
        met(r.round_trip_goal_met),
    )
}

pub(crate) fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "NOT MET"
    }
}
