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

use commands::{access, audit, consent, keys, patient, provider, registry, Ctx, Output};

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
        _ => {}
    }
    let ctx = Ctx::new(Settings::resolve(&cli.cluster)?);
    match cli.command {
        Command::Address => keys::address(&ctx),
        Command::Cluster => commands::cluster(&ctx),
        Command::Serve(a) => commands::serve::serve(&ctx, a),
        Command::Registry(c) => registry::run(&ctx, c),
        Command::Provider(c) => provider::run(&ctx, c),
        Command::Patient(c) => patient::patient(&ctx, c),
        Command::Record(c) => patient::record(&ctx, c),
        Command::Consent(c) => consent::run(&ctx, c),
        Command::Access(a) => access::access(&ctx, a),
        Command::Write(a) => access::write(&ctx, a),
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
            json!({ "error": name, "code": code, "message": message }),
            logs.clone(),
        ),
        Some(other) => (
            EXIT_ERROR,
            json!({ "error": "TransactionFailed", "message": format!("{e:#}") }),
            other.logs().to_vec(),
        ),
        None => match audit::is_chain_error(&e) {
            Some(_) => (
                EXIT_CHAIN_BROKEN,
                json!({ "error": "ChainDoesNotVerify", "message": format!("{e:#}") }),
                Vec::new(),
            ),
            None => (
                EXIT_ERROR,
                json!({ "error": "Error", "message": format!("{e:#}") }),
                Vec::new(),
            ),
        },
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
            let rendered = e.render().to_string();
            eprintln!(
                "{}",
                rendered
                    .lines()
                    .next()
                    .unwrap_or("error: invalid arguments")
            );
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
