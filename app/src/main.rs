//! `hdx`: the HealthDataExchange command-line tool.

use clap::{Parser, Subcommand};

mod commands;

#[derive(Parser)]
#[command(
    name = "hdx",
    version,
    about = "HealthDataExchange: patient consent and audited access to health-record pointers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole story in-process (no validator, no network) and print the audit trail.
    Demo,
    /// Run the cost benchmark and print sizes, rent and transaction costs.
    Cost {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// (developers) Regenerate idl/health_data_exchange.json, or check it is current.
    Idl {
        #[arg(long)]
        check: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Idl { check } => commands::idl::run(check),
        Command::Demo => {
            println!("HealthDataExchange demo (embedded ledger, program running natively):");
            hdx::demo::run(&mut std::io::stdout())
        }
        Command::Cost { json } => commands::cost(json),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
