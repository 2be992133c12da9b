//! `hdx`: the HealthDataExchange command-line tool.
//!
//! Exit codes: 0 success; 1 error (nothing was changed); 2 usage error;
//! 3 access or write denied (the attempt is logged on-chain);
//! 4 the audit log does not verify.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hdx::cluster::{ClusterArgs, Settings};
use hdx_sdk::client::ClientError;
use serde_json::json;

mod commands;

use commands::{access, audit, consent, gateway, keys, patient, provider, registry, Ctx, Output};

const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_DENIED: u8 = 3;
const EXIT_CHAIN_BROKEN: u8 = 4;

#[derive(Parser)]
#[command(
    name = "hdx",
    version,
    about = "HealthDataExchange: patient consent and audited access to health-record pointers",
    after_help = "Exit codes: 0 success, 1 error (nothing changed), 2 usage, 3 denied (logged), 4 audit log does not verify.\n\
                  With no Solana config file and no -u, commands run on the embedded ledger (no validator, no network)."
)]
struct Cli {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Output format
    #[arg(long, global = true, value_enum, default_value = "display")]
    output: OutputFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Display,
    Json,
    JsonCompact,
}

#[derive(Subcommand)]
enum Command {
    /// Create a keypair file (Solana CLI format)
    Keygen {
        #[arg(short = 'o', long)]
        outfile: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Print the keypair's address
    Address,
    /// Registry authority: initialise, show, hand over, pause
    #[command(subcommand)]
    Registry(registry::RegistryCmd),
    /// Providers: register; verify, suspend, reinstate (authority); show, list
    #[command(subcommand)]
    Provider(provider::ProviderCmd),
    /// Patients: register, show
    #[command(subcommand)]
    Patient(patient::PatientCmd),
    /// A patient's record pointers: add, list
    #[command(subcommand)]
    Record(patient::RecordCmd),
    /// A patient's consents: grant, update, revoke, list
    #[command(subcommand)]
    Consent(consent::ConsentCmd),
    /// (provider) Obtain a record's pointer for a purpose; exit 3 when denied
    Access(access::AccessArgs),
    /// (provider) Add a record pointer to a patient; exit 3 when denied
    Write(access::WriteArgs),
    /// (provider) Access a record on-chain, then fetch its data from the gateway against
    /// that log entry and check its hash; exit 3 when denied or refused (nothing written)
    Fetch(gateway::FetchArgs),
    /// Run the data gateway (the custodian that releases a record's data only against a
    /// fresh granted log entry); `gateway log` prints its trail and reconciles it
    Gateway(gateway::GatewayArgs),
    /// Emergency (break-the-glass) access: open, access, close (provider); end, ack
    /// (patient); review (registry authority); list
    #[command(subcommand)]
    Emergency(commands::emergency::EmergencyCmd),
    /// (patient) Your guardians: set, remove, show (with their proposals)
    #[command(subcommand)]
    Guardians(commands::guardians::GuardiansCmd),
    /// (guardian) Propose, approve, execute for a patient; revoke a consent at once
    #[command(subcommand)]
    Guardian(commands::guardians::GuardianCmd),
    /// Auditors and patients: export a patient's log; verify its hash chain
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Show the cluster this command would use (and, embedded, its ledger)
    Cluster,
    /// Serve the embedded ledger as a Solana JSON-RPC node (PubSub on the next port)
    Serve(commands::serve::ServeArgs),
    /// Run the whole story in-process (no validator, no network) and print the audit trail
    Demo,
    /// Run the cost benchmark and print sizes, rent and transaction costs
    Cost {
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks: `bench serve` loads a child `hdx serve` on loopback and reports throughput,
    /// latency, store size and memory
    #[command(subcommand)]
    Bench(BenchCmd),
    /// (developers) Regenerate idl/health_data_exchange.json, or check it is current
    Idl {
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// The data gateway under load on loopback: N providers at once, each doing access
    /// (on-chain) + fetch (1 MiB) repeatedly; releases/s, p50/p99, and every release
    /// reconciled with exactly one granted entry. Bounded in count and time.
    Gateway {
        /// Concurrent providers (each with its own patient)
        #[arg(long, default_value_t = 8)]
        providers: usize,
        /// Releases per provider
        #[arg(long, default_value_t = 25)]
        releases: u64,
        /// Size of each record's data
        #[arg(long, default_value = "1MiB", value_parser = gateway::parse_size)]
        bytes: usize,
        /// Stop asking after this long
        #[arg(long, default_value = "2m", value_parser = parse_bench_deadline)]
        deadline: std::time::Duration,
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
    /// 100,000 transactions: minutes); `--at 200,2000 --measure 200` is a quick one.
    Serve {
        /// Log lengths (entries) to measure at, increasing
        #[arg(long, value_delimiter = ',', default_value = "1000,100000")]
        at: Vec<u64>,
        /// Access transactions per measurement
        #[arg(long, default_value_t = 2000)]
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

fn run(cli: Cli) -> anyhow::Result<Output> {
    let json_output = cli.output != OutputFormat::Display;
    match cli.command {
        Command::Keygen { outfile, force } => return keys::keygen(outfile, force),
        Command::Idl { check } => {
            commands::idl::run(check)?;
            return Ok(Output::new(json!({ "ok": true }), ""));
        }
        Command::Demo => {
            println!("HealthDataExchange demo (embedded ledger, program running natively):");
            hdx::demo::run(&mut std::io::stdout())?;
            return Ok(Output::new(json!({ "ok": true }), ""));
        }
        Command::Cost { json } => {
            let report = hdx::cost::run()?;
            let failures = report.budget_failures();
            if json || json_output {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            anyhow::ensure!(failures.is_empty(), "over budget: {}", failures.join("; "));
            return Ok(Output::new(json!({ "ok": true }), ""));
        }
        Command::Bench(BenchCmd::Serve {
            at,
            measure,
            clients,
            json,
        }) => {
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
            return Ok(Output::new(json!({ "ok": true }), ""));
        }
        Command::Bench(BenchCmd::Gateway {
            providers,
            releases,
            bytes,
            deadline,
            json,
        }) => {
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
            return Ok(Output::new(json!({ "ok": true }), ""));
        }
        Command::Bench(BenchCmd::Export { at, formats, json }) => {
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
            return Ok(Output::new(json!({ "ok": true }), ""));
        }
        _ => {}
    }
    let sends = match &cli.command {
        Command::Registry(c) => c.sends(),
        Command::Provider(c) => c.sends(),
        Command::Patient(c) => c.sends(),
        Command::Record(c) => c.sends(),
        Command::Consent(c) => c.sends(),
        Command::Emergency(c) => c.sends(),
        Command::Guardians(c) => c.sends(),
        Command::Guardian(_) => true,
        Command::Access(_) | Command::Write(_) | Command::Fetch(_) | Command::Serve(_) => true,
        _ => false,
    };
    let ctx = Ctx::new(Settings::resolve(&cli.cluster)?, sends);
    match cli.command {
        Command::Address => keys::address(&ctx),
        Command::Cluster => commands::cluster(&ctx),
        Command::Serve(a) => commands::serve::serve(&ctx, a),
        Command::Registry(c) => registry::run(&ctx, c),
        Command::Provider(c) => provider::run(&ctx, c),
        Command::Patient(c) => patient::patient(&ctx, c),
        Command::Record(c) => patient::record(&ctx, c),
        Command::Consent(c) => consent::run(&ctx, c),
        Command::Emergency(c) => commands::emergency::run(&ctx, c),
        Command::Guardians(c) => commands::guardians::run_set(&ctx, c),
        Command::Guardian(c) => commands::guardians::run(&ctx, c),
        Command::Access(a) => access::access(&ctx, a),
        Command::Write(a) => access::write(&ctx, a),
        Command::Fetch(a) => gateway::fetch(&ctx, a),
        Command::Gateway(a) => gateway::run(&ctx, a),
        Command::Audit(c) => audit::run(&ctx, c, json_output),
        Command::Keygen { .. }
        | Command::Idl { .. }
        | Command::Demo
        | Command::Cost { .. }
        | Command::Bench(_) => {
            unreachable!("handled above")
        }
    }
}

/// What kind of failure `e` is, for `--output json` (`kind`, `error`) and the exit code:
/// - `chain`/`ChainDoesNotVerify` (exit 4): the audit log or a copy does not verify;
/// - `cluster`/`ClusterUnreachable`: the cluster could not be reached or refused a request;
/// - `not-found`/`NotFound`, `NoLedger`: an account or a ledger directory that is not there;
/// - `io`/`IoError`: a file that could not be read or written;
/// - `input`/`InvalidInput`: a check refused the input before anything was sent.
fn classify(e: &anyhow::Error) -> (u8, &'static str, &'static str) {
    fn find<T: std::error::Error + 'static>(e: &anyhow::Error) -> Option<&T> {
        e.chain().find_map(|c| c.downcast_ref::<T>()).or_else(|| {
            match e.downcast_ref::<ClientError>() {
                Some(ClientError::Other(inner)) => {
                    inner.chain().find_map(|c| c.downcast_ref::<T>())
                }
                _ => None,
            }
        })
    }
    if audit::is_chain_error(e).is_some() || find::<hdx_sdk::audit::ChainError>(e).is_some() {
        return (EXIT_CHAIN_BROKEN, "chain", "ChainDoesNotVerify");
    }
    if matches!(
        e.downcast_ref::<ClientError>(),
        Some(ClientError::Cluster(_))
    ) || find::<hdx_sdk::rpc::ClusterError>(e).is_some()
    {
        return (EXIT_ERROR, "cluster", "ClusterUnreachable");
    }
    if find::<gateway::Unreconciled>(e).is_some() {
        return (EXIT_CHAIN_BROKEN, "chain", "GatewayTrailDoesNotReconcile");
    }
    if let Some(g) = find::<hdx_sdk::gateway::GatewayError>(e) {
        return match g {
            hdx_sdk::gateway::GatewayError::Refused(_) => {
                (EXIT_DENIED, "refused", "GatewayRefused")
            }
            hdx_sdk::gateway::GatewayError::Unreachable { .. } => {
                (EXIT_ERROR, "gateway", "GatewayUnreachable")
            }
            hdx_sdk::gateway::GatewayError::Other(_) => (EXIT_ERROR, "gateway", "GatewayError"),
        };
    }
    if find::<hdx_node::ledger::NoLedger>(e).is_some() {
        return (EXIT_ERROR, "not-found", "NoLedger");
    }
    if matches!(
        e.downcast_ref::<ClientError>(),
        Some(ClientError::NotFound(_))
    ) {
        return (EXIT_ERROR, "not-found", "NotFound");
    }
    if find::<hdx_sdk::history::HistoryError>(e).is_some() {
        return (EXIT_CHAIN_BROKEN, "chain", "HistoryDoesNotMatch");
    }
    if find::<std::io::Error>(e).is_some() {
        return (EXIT_ERROR, "io", "IoError");
    }
    (EXIT_ERROR, "input", "InvalidInput")
}

/// The `--output` format asked for on a command line clap could not parse.
fn output_format_of(args: &[String]) -> OutputFormat {
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--output=").map(str::to_string).or_else(|| {
            (a == "--output")
                .then(|| args.get(i + 1).cloned())
                .flatten()
        })
    });
    match value.as_deref() {
        Some("json") => OutputFormat::Json,
        Some("json-compact") => OutputFormat::JsonCompact,
        _ => OutputFormat::Display,
    }
}

/// Prints to stdout; a closed pipe (`hdx ... | head`) ends output quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|_| out.flush());
}

fn print_json(format: OutputFormat, value: &serde_json::Value) {
    let text = if format == OutputFormat::JsonCompact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    };
    emit(&text.unwrap_or_default());
}

/// Prints a failure (one line naming the problem; program logs after a failed
/// transaction) and picks the exit code.
fn fail(e: anyhow::Error, format: OutputFormat) -> ExitCode {
    let json_output = format != OutputFormat::Display;
    let (code, detail, logs) = match e.downcast_ref::<ClientError>() {
        Some(ClientError::Denied(d)) => {
            let value = json!({
                "kind": "denied",
                "outcome": "Denied",
                "reason": d.reason.name(),
                "sequence": d.sequence,
            });
            if json_output {
                print_json(format, &value);
            } else {
                emit(&format!(
                    "Denied: {} (the attempt is logged as entry {})",
                    d.reason.name(),
                    d.sequence
                ));
            }
            return ExitCode::from(EXIT_DENIED);
        }
        Some(ClientError::Program {
            code,
            name,
            message,
            logs,
        }) => (
            EXIT_ERROR,
            json!({ "kind": "program", "error": name, "code": code, "message": message }),
            logs.clone(),
        ),
        Some(ClientError::Transaction { logs, .. }) => (
            EXIT_ERROR,
            json!({ "kind": "transaction", "error": "TransactionFailed", "message": format!("{e:#}") }),
            logs.clone(),
        ),
        _ => {
            let (code, kind, error) = classify(&e);
            let mut detail = json!({ "kind": kind, "error": error, "message": format!("{e:#}") });
            if let Some(hdx_sdk::gateway::GatewayError::Refused(r)) =
                e.downcast_ref::<hdx_sdk::gateway::GatewayError>()
            {
                detail["reason"] = json!(r.error);
                detail["status"] = json!(r.status);
            }
            (code, detail, Vec::new())
        }
    };
    eprintln!("error: {e:#}");
    if !logs.is_empty() {
        eprintln!("program logs:");
        for line in &logs {
            eprintln!("  {line}");
        }
    }
    if json_output {
        let mut detail = detail;
        detail["logs"] = json!(logs);
        print_json(format, &detail);
    }
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line naming the problem (clap's first line), not the whole usage.
            // clap lists missing arguments on the lines after its first: join them.
            let rendered = e.render().to_string();
            let line = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let line = if line.is_empty() {
                "error: invalid arguments".to_string()
            } else {
                line
            };
            eprintln!("{line}");
            let format = output_format_of(&std::env::args().collect::<Vec<_>>());
            if format != OutputFormat::Display {
                let message = line.strip_prefix("error: ").unwrap_or(&line);
                print_json(
                    format,
                    &json!({ "kind": "usage", "error": "UsageError", "message": message, "logs": [] }),
                );
            }
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let format = cli.output;
    match run(cli) {
        Ok(out) => {
            if out.raw || format == OutputFormat::Display {
                if !out.text.is_empty() {
                    emit(out.text.trim_end());
                }
            } else {
                print_json(format, &out.json);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, format),
    }
}
