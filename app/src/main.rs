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
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
