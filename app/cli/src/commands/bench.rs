//! `hdx bench`: benchmarks that start their own servers on loopback and
//! report figures; each fails when its guarantee does not hold.

use serde_json::json;

use super::args::parse_size;
use super::Output;

/// Benchmarks: `bench serve` loads a child `hdx serve` on loopback and reports throughput,
/// latency, store size and memory; `bench gateway`, `bench fhir`, `bench export`
#[derive(clap::Subcommand, Debug)]
pub enum BenchCmd {
    /// The data gateway under load on loopback: N providers at once, each doing access
    /// (on-chain) + fetch (1 MiB) repeatedly; releases/s, p50/p99, and every release
    /// reconciled with exactly one granted entry. Bounded in count and time.
    Gateway {
        /// Concurrent providers (each with its own patient)
        #[arg(long, default_value_t = 8)]
        providers: usize,
        /// Releases per provider, in each phase (100: every median rests on 800 timings,
        /// the static server's too; 25 gave the static server a 0.15 s window, whose p50
        /// moved 20% from run to run)
        #[arg(long, default_value_t = 100)]
        releases: u64,
        /// Size of each record's data
        #[arg(long, default_value = "1MiB", value_parser = parse_size)]
        bytes: usize,
        /// Stop asking after this long
        #[arg(long, default_value = "2m", value_parser = parse_bench_deadline)]
        deadline: std::time::Duration,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// The FHIR front door beside direct reads, on loopback: token + Binary read of a 1 MiB
    /// record through `hdx fhir serve`, and access + fetch as `hdx fetch` does, alternating;
    /// reads/s and p50/p99 of each. Fails when the front door's p99 is over 1.20x the direct one.
    Fhir {
        /// Reads through each path
        #[arg(long, default_value_t = 100)]
        reads: u64,
        /// Size of the record's data
        #[arg(long, default_value = "1MiB", value_parser = parse_size)]
        bytes: usize,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Audit export over JSON-RPC at growing log lengths: seconds, entries/s and the
    /// exporting process's peak memory per format (memory must not grow with the log).
    /// Defaults are the full run (a 100,000-entry log: minutes); `--at 500,2000` is quick.
    Export {
        /// Log lengths (entries) to export at, increasing
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        at: Vec<u64>,
        /// Formats to export
        /// (fhir-http: the page's download, GET /export/fhir on hdx serve)
        #[arg(long, value_delimiter = ',', default_value = "json,csv,fhir,fhir-http")]
        formats: Vec<String>,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Access transactions per second through JSON-RPC at a short and a long log (cost must be
    /// flat in the log's length), p50/p99 of sendTransaction and getAccountInfo, the store's
    /// size per 1,000 entries and the server's memory. Defaults are the full run (about
    /// 120,000 transactions: minutes); `--at 200,2000 --measure 200` is a quick one.
    Serve {
        /// Log lengths (entries) to measure at, increasing
        #[arg(long, value_delimiter = ',', default_value = "1000,100000")]
        at: Vec<u64>,
        /// Access transactions per measurement (10,000 last about 8 s, long enough to
        /// include the store's checkpoints; a 2-second window measured 0.77 to 1.09 of flat on one build)
        #[arg(long, default_value_t = 10_000)]
        measure: u64,
        /// Client threads sending at once
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
}

fn parse_bench_deadline(s: &str) -> Result<std::time::Duration, String> {
    match hdx::cluster::parse_duration(s) {
        Ok(secs) if (1..=3600).contains(&secs) => Ok(std::time::Duration::from_secs(secs as u64)),
        Ok(_) => Err(format!(
            "the deadline {s:?} must be between 1 second and 1 hour"
        )),
        Err(e) => Err(e.to_string()),
    }
}

impl BenchCmd {
    /// Runs without a session: each benchmark makes its own ledger and servers.
    pub fn run(self, json_output: bool) -> anyhow::Result<Output> {
        match self {
            BenchCmd::Serve {
                at,
                measure,
                clients,
                json,
            } => {
                let config = hdx::bench::ServeBenchConfig {
                    hdx: std::env::current_exe()?,
                    at,
                    measure,
                    clients,
                };
                let report = hdx::bench::serve(&config, &mut |line| eprintln!("{line}"))?;
                if json || json_output {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", hdx::bench::render(&report));
                }
                anyhow::ensure!(
                    report.flat,
                    "throughput at {} entries is {:.0}% of that at {}: not flat",
                    report.windows.last().map_or(0, |w| w.entries_before),
                    report.tps_ratio * 100.0,
                    report.windows[0].entries_before
                );
                Ok(Output::new(json!({ "ok": true }), ""))
            }
            BenchCmd::Gateway {
                providers,
                releases,
                bytes,
                deadline,
                json,
            } => {
                let config = hdx::bench::gateway::GatewayBenchConfig {
                    hdx: std::env::current_exe()?,
                    providers,
                    releases,
                    bytes,
                    deadline,
                };
                let report = hdx::bench::gateway::run(&config, &mut |line| eprintln!("{line}"))?;
                if json || json_output {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", hdx::bench::gateway::render(&report));
                }
                anyhow::ensure!(
                    report.reconciled,
                    "{} releases, {} in the gateway's trail, {} matched on-chain: not reconciled",
                    report.releases,
                    report.trail_releases,
                    report.matched
                );
                Ok(Output::new(json!({ "ok": true }), ""))
            }
            BenchCmd::Fhir { reads, bytes, json } => {
                let config = hdx::bench::fhir::FhirBenchConfig {
                    hdx: std::env::current_exe()?,
                    reads,
                    bytes,
                };
                let report = hdx::bench::fhir::run(&config, &mut |line| eprintln!("{line}"))?;
                if json || json_output {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", hdx::bench::fhir::render(&report));
                }
                anyhow::ensure!(
                    report.within_budget,
                    "the front door's p99 is {:.2}x the direct p99 (at most 1.20)",
                    report.p99_ratio
                );
                Ok(Output::new(json!({ "ok": true }), ""))
            }
            BenchCmd::Export { at, formats, json } => {
                let config = hdx::bench::ExportBenchConfig {
                    hdx: std::env::current_exe()?,
                    at,
                    formats,
                };
                let report = hdx::bench::export(&config, &mut |line| eprintln!("{line}"))?;
                if json || json_output {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", hdx::bench::render_export(&report));
                }
                Ok(Output::new(json!({ "ok": true }), ""))
            }
        }
    }
}
