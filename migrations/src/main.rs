//! `hdx-migrate`: run once after `anchor deploy`.
//!
//! 1. Checks that Anchor.toml's `[programs.<cluster>]` id is the id this code
//!    was built with (`declare_id!`), and that an executable program sits at
//!    that address on the cluster.
//! 2. Initialises the registry with the given authority (in production a
//!    multisig address), signed by the program's upgrade authority.
//!
//! Idempotent: when the registry exists it reports what is set and changes
//! nothing (and fails if it names a different authority). Takes the same
//! cluster flags as `hdx` (`-u`, `-k`, `-C`, `--ledger`).

use std::path::PathBuf;
use std::process::ExitCode;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::bpf_loader_upgradeable::UpgradeableLoaderState;
use anyhow::Context;
use clap::Parser;
use hdx::cluster::{ClusterArgs, Settings, Target};
use hdx_sdk::program::state::Registry;
use hdx_sdk::{ix, pda, PROGRAM_ID};

#[derive(Parser)]
#[command(
    name = "hdx-migrate",
    version,
    about = "Post-deploy setup of HealthDataExchange"
)]
struct Args {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The registry authority to set (in production a multisig address)
    #[arg(long, value_name = "PUBKEY")]
    authority: Pubkey,
    /// Anchor.toml to check the program id against
    #[arg(long, default_value = "Anchor.toml", value_name = "PATH")]
    anchor_toml: PathBuf,
    /// Which `[programs.<name>]` table to check [default: from the URL: devnet, testnet,
    /// mainnet, or localnet for localhost and the embedded ledger]
    #[arg(long, value_name = "NAME")]
    anchor_cluster: Option<String>,
}

fn anchor_cluster(settings: &Settings, given: Option<String>) -> anyhow::Result<String> {
    if let Some(name) = given {
        return Ok(name);
    }
    let url = match &settings.target {
        Target::Embedded { .. } => return Ok("localnet".into()),
        Target::Rpc { url, .. } => url,
    };
    for name in ["devnet", "testnet", "mainnet"] {
        if url.contains(name) {
            return Ok(name.into());
        }
    }
    if url.contains("localhost") || url.contains("127.0.0.1") {
        return Ok("localnet".into());
    }
    anyhow::bail!(
        "cannot tell which Anchor.toml [programs.*] table {url} is: pass --anchor-cluster"
    )
}

/// The program id Anchor.toml declares for `cluster`, checked against this build's.
fn check_anchor_toml(path: &PathBuf, cluster: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let declared = doc
        .get("programs")
        .and_then(|p| p.get(cluster))
        .and_then(|p| p.get("health_data_exchange"))
        .and_then(|v| v.as_str())
        .with_context(|| {
            format!(
                "{} has no [programs.{cluster}] health_data_exchange entry",
                path.display()
            )
        })?;
    anyhow::ensure!(
        declared == PROGRAM_ID.to_string(),
        "{} [programs.{cluster}] names {declared}, but this build's declare_id! is {PROGRAM_ID}: \
         run `anchor keys sync`, rebuild and redeploy",
        path.display()
    );
    Ok(())
}

fn run(args: Args) -> anyhow::Result<String> {
    let settings = Settings::resolve(&args.cluster)?;
    let name = anchor_cluster(&settings, args.anchor_cluster.clone())?;
    check_anchor_toml(&args.anchor_toml, &name)?;
    let signer = settings.signer()?;
    let cluster = settings.connect(Some(&signer.pubkey()))?;
    let program = cluster
        .client
        .transport
        .account(&PROGRAM_ID)?
        .with_context(|| {
            format!(
                "no program is deployed at {PROGRAM_ID} on {}: run `anchor deploy` first",
                settings.describe()
            )
        })?;
    anyhow::ensure!(
        program.executable,
        "the account at {PROGRAM_ID} on {} is not an executable program",
        settings.describe()
    );
    let mut report = vec![format!(
        "program {PROGRAM_ID} is deployed on {} and matches Anchor.toml [programs.{name}]",
        settings.describe()
    )];
    let client = &cluster.client;
    if let Some(registry) = client.fetch::<Registry>(&pda::registry().0)? {
        anyhow::ensure!(
            registry.authority == args.authority || registry.pending_authority == args.authority,
            "the registry is already initialised with authority {} (not {}); nothing changed. \
             Hand it over with `hdx registry propose-authority`.",
            registry.authority,
            args.authority
        );
        report.push(if registry.authority == args.authority {
            format!(
                "registry already initialised: authority {}, paused: {}; nothing to do",
                registry.authority, registry.paused
            )
        } else {
            format!(
                "registry already initialised: authority {}, hand-over to {} pending (it must run `hdx registry accept-authority`); nothing to do",
                registry.authority, args.authority
            )
        });
        return Ok(report.join("\n"));
    }
    // Only the upgrade authority may initialise; say so before sending.
    let program_data = client
        .transport
        .account(&pda::program_data())?
        .context("the program has no ProgramData account: was it deployed upgradeable?")?;
    let state: UpgradeableLoaderState =
        bincode::deserialize(&program_data.data).context("ProgramData account")?;
    let upgrade_authority = match state {
        UpgradeableLoaderState::ProgramData {
            upgrade_authority_address,
            ..
        } => upgrade_authority_address,
        _ => anyhow::bail!("{} is not a ProgramData account", pda::program_data()),
    };
    anyhow::ensure!(
        upgrade_authority == Some(signer.pubkey()),
        "the signer {} is not the program's upgrade authority ({}): run with -k <upgrade authority keypair>",
        signer.pubkey(),
        upgrade_authority.map_or("none: the program is immutable".to_string(), |k| k.to_string())
    );
    cluster.prepare_payer(&signer.pubkey())?;
    let receipt = client.send(
        &[ix::initialize_registry(
            signer.pubkey(),
            signer.pubkey(),
            args.authority,
        )],
        signer.as_ref(),
        &[],
    )?;
    report.push(format!(
        "registry initialised: authority {}\nsignature: {}",
        args.authority, receipt.signature
    ));
    Ok(report.join("\n"))
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
