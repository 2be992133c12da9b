//! `hdx`: the HealthDataExchange command-line tool.
//!
//! Exit codes: 0 success; 1 error (nothing was changed); 2 usage error;
//! 3 access or write denied (the attempt is logged on-chain);
//! 4 the audit log does not verify.

use std::process::ExitCode;

use clap::Parser;
use hdx::cluster::{ClusterArgs, Settings};
use hdx_sdk::client::ClientError;
use hdx_sdk::export::ExportError;
use serde_json::json;

mod commands;

use commands::{session, Command, Output, Ready, Session};

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
                  With no Solana config file and no -u, commands run on the embedded ledger (no validator, no network).\n\
                  Ctrl-C or SIGTERM while a transaction is in flight lets it finish and prints its outcome first."
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

/// Runs the command: one that needs no cluster alone, any other in the
/// session built here, once. Returns what to print, and a warning to print
/// after it (state written dated in the future).
fn run(cli: Cli) -> anyhow::Result<(Output, Option<String>)> {
    let json_output = cli.output != OutputFormat::Display;
    match cli.command.ready(json_output) {
        Ready::Alone(run) => Ok((run()?, None)),
        Ready::InSession(run, sends) => {
            let mut s = Session::new(Settings::resolve(&cli.cluster)?, sends);
            s.json_output = json_output;
            let out = run(&s)?;
            Ok((out, s.future_dated_warning()))
        }
    }
}

/// The SDK's error in `e`, if the failure is one: as returned, or inside an
/// export's error.
fn client_error(e: &anyhow::Error) -> Option<&ClientError> {
    e.chain().find_map(|c| {
        c.downcast_ref::<ClientError>()
            .or_else(|| match c.downcast_ref::<ExportError>() {
                Some(ExportError::Client(inner)) => Some(inner),
                _ => None,
            })
    })
}

fn find<T: std::error::Error + 'static>(e: &anyhow::Error) -> Option<&T> {
    e.chain().find_map(|c| c.downcast_ref::<T>())
}

/// What kind of failure `e` is, for `--output json` (`kind`, `error`) and the exit code:
/// - `chain`/`ChainDoesNotVerify`, `HistoryDoesNotMatch`, `GatewayTrailDoesNotReconcile`
///   (exit 4): the audit log, a copy, the consent history or the gateway's trail does not
///   match the chain;
/// - `cluster`/`ClusterUnreachable` (with `retryable`), `UnexpectedAnswer`,
///   `AccountDoesNotDecode`: the cluster could not be reached, refused a request, or
///   answered what no cluster should;
/// - `not-found`/`NotFound`, `NoLedger`: an account or a ledger directory that is not there;
/// - `refused`/`GatewayRefused` (exit 3), `gateway`/`GatewayUnreachable`, `GatewayError`;
/// - `io`/`IoError`: a file that could not be read or written;
/// - `usage`/`UsageError` (exit 2): the command line lacks what this use needs;
/// - `input`/`InvalidInput`: a check refused the input before anything was sent.
fn classify(e: &anyhow::Error) -> (u8, &'static str, &'static str) {
    use hdx_sdk::transport::ClusterError;
    if find::<commands::args::UsageError>(e).is_some() {
        return (EXIT_USAGE, "usage", "UsageError");
    }
    match client_error(e) {
        Some(ClientError::Chain(_)) => return (EXIT_CHAIN_BROKEN, "chain", "ChainDoesNotVerify"),
        Some(ClientError::History(_)) => {
            return (EXIT_CHAIN_BROKEN, "chain", "HistoryDoesNotMatch")
        }
        Some(ClientError::Cluster(_)) => return (EXIT_ERROR, "cluster", "ClusterUnreachable"),
        Some(ClientError::Unexpected(_)) => return (EXIT_ERROR, "cluster", "UnexpectedAnswer"),
        Some(ClientError::Decode(_)) => return (EXIT_ERROR, "cluster", "AccountDoesNotDecode"),
        Some(ClientError::NotFound(_)) => return (EXIT_ERROR, "not-found", "NotFound"),
        _ => {}
    }
    if find::<hdx_sdk::audit::ChainError>(e).is_some()
        || find::<hdx_sdk::study::LogBroken>(e).is_some()
    {
        return (EXIT_CHAIN_BROKEN, "chain", "ChainDoesNotVerify");
    }
    if find::<ClusterError>(e).is_some() {
        return (EXIT_ERROR, "cluster", "ClusterUnreachable");
    }
    if find::<commands::gateway::Unreconciled>(e).is_some() {
        return (EXIT_CHAIN_BROKEN, "chain", "GatewayTrailDoesNotReconcile");
    }
    if let Some(g) = find::<hdx_sdk::gateway::GatewayError>(e) {
        use hdx_sdk::gateway::GatewayError;
        return match g {
            GatewayError::Refused(_) => (EXIT_DENIED, "refused", "GatewayRefused"),
            GatewayError::Unreachable { .. } => (EXIT_ERROR, "gateway", "GatewayUnreachable"),
            GatewayError::Request(_) | GatewayError::Answer(_) => {
                (EXIT_ERROR, "gateway", "GatewayError")
            }
        };
    }
    if find::<hdx_node::ledger::NoLedger>(e).is_some() {
        return (EXIT_ERROR, "not-found", "NoLedger");
    }
    if find::<std::io::Error>(e).is_some()
        || client_error(e).is_none() && find::<ExportError>(e).is_some()
    {
        return (EXIT_ERROR, "io", "IoError");
    }
    (EXIT_ERROR, "input", "InvalidInput")
}

/// Whether trying again later may help: the cluster or gateway could not be reached.
fn retryable(e: &anyhow::Error) -> bool {
    client_error(e).is_some_and(ClientError::retryable)
        || find::<hdx_sdk::transport::ClusterError>(e).is_some_and(|c| c.retryable())
        || matches!(
            find::<hdx_sdk::gateway::GatewayError>(e),
            Some(hdx_sdk::gateway::GatewayError::Unreachable { .. })
        )
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
    let (code, detail, logs) = match client_error(&e) {
        Some(ClientError::Denied(d)) => {
            // A denial is not a failure of the command: it is the gate's
            // answer, logged on-chain. It prints as every failure does.
            let message = format!(
                "denied: {} (the attempt is logged as entry {})",
                d.reason.name(),
                d.sequence
            );
            if json_output {
                print_json(
                    format,
                    &json!({
                        "kind": "denied",
                        "error": "Denied",
                        "message": message,
                        "outcome": "Denied",
                        "reason": d.reason.name(),
                        "sequence": d.sequence,
                        "logs": [],
                    }),
                );
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
            if kind == "cluster" || kind == "gateway" {
                detail["retryable"] = json!(retryable(&e));
            }
            if let Some(hdx_sdk::gateway::GatewayError::Refused(r)) =
                find::<hdx_sdk::gateway::GatewayError>(&e)
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
    session::handle_signals();
    let code = match run(cli) {
        Ok((out, warning)) => {
            if out.raw || format == OutputFormat::Display {
                if !out.text.is_empty() {
                    emit(out.text.trim_end());
                }
            } else {
                print_json(format, &out.json);
            }
            if let Some(w) = warning {
                eprintln!("{w}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, format),
    };
    if session::interrupted() {
        eprintln!("interrupted: the transaction in flight finished first (above)");
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_log_exits_4_whether_a_patients_or_a_studys() {
        let study = anyhow::Error::new(hdx_sdk::study::LogBroken::Missing {
            index: 1,
            expected: 2,
        })
        .context("study X's release log does not verify");
        assert_eq!(
            classify(&study),
            (EXIT_CHAIN_BROKEN, "chain", "ChainDoesNotVerify")
        );
        let other = anyhow::anyhow!("something else");
        assert_eq!(classify(&other).0, EXIT_ERROR);
    }
}
