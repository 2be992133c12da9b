//! Which cluster and which signer a command uses, resolved the way the
//! Solana CLI does it: flags beat `~/.config/solana/cli/config.yml` (or
//! `-C FILE`), which beats the defaults. `-u` takes a URL, a moniker
//! (`m`, `d`, `t`, `l`) or `embedded`; with no config file and no `-u`, the
//! cluster is the embedded ledger. Shared by `hdx` and `hdx-migrate`.

use std::path::PathBuf;

use solana_cli_config::{Config, ConfigInput, CONFIG_FILE};
use std::sync::Arc;

use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;

use hdx_node::ledger::{FileLedger, WALLET_FUNDING};
use hdx_sdk::client::HdxClient;
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Faucet;

/// The cluster flags every command takes.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// Configuration file to use [default: ~/.config/solana/cli/config.yml]
    #[arg(short = 'C', long = "config", global = true, value_name = "PATH")]
    pub config: Option<String>,
    /// URL for Solana's JSON RPC, a moniker (mainnet-beta, devnet, testnet, localhost;
    /// or m, d, t, l), or `embedded` (the local in-process ledger)
    #[arg(
        short = 'u',
        long = "url",
        global = true,
        value_name = "URL_OR_MONIKER",
        value_parser = parse_url_arg
    )]
    pub url: Option<String>,
    /// Signer source: a keypair file path (or prompt://, stdin, usb://ledger)
    #[arg(short = 'k', long = "keypair", global = true, value_name = "KEYPAIR")]
    pub keypair: Option<String>,
    /// Commitment level: processed, confirmed or finalized
    #[arg(long, global = true, value_name = "LEVEL", value_parser = parse_commitment_arg)]
    pub commitment: Option<String>,
    /// Embedded ledger directory [default: <user data dir>/hdx/embedded-ledger]
    #[arg(long, global = true, value_name = "DIR")]
    pub ledger: Option<PathBuf>,
    /// Embedded ledger only: shift its clock from wall time, e.g. `31d`, `-2h`
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        allow_hyphen_values = true
    )]
    pub clock_offset: Option<String>,
}

/// Where transactions go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Embedded {
        dir: PathBuf,
        clock_offset: i64,
    },
    Rpc {
        url: String,
        commitment: CommitmentConfig,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub target: Target,
    pub keypair: String,
    /// Whether the keypair was named (`-k`, or the config file's
    /// `keypair_path`) rather than the default path.
    pub keypair_named: bool,
    /// The config file that was read, if any.
    pub config_file: Option<String>,
}

/// The longest duration any time argument takes: 100 years.
pub const MAX_DURATION_SECS: i64 = 100 * 31_557_600;

/// `30d`, `12h`, `90m`, `1w`, `-2h`: seconds (humantime units), at most 100
/// years either way.
pub fn parse_duration(s: &str) -> anyhow::Result<i64> {
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let d = humantime::parse_duration(body)
        .map_err(|e| anyhow::anyhow!("invalid duration {s:?}: {e} (try 30d, 12h, 90m)"))?;
    let secs = i64::try_from(d.as_secs())
        .ok()
        .filter(|secs| *secs <= MAX_DURATION_SECS)
        .ok_or_else(|| anyhow::anyhow!("the duration {s:?} is longer than 100 years"))?;
    Ok(sign * secs)
}

/// A commitment level: exactly `processed`, `confirmed` or `finalized`.
pub fn parse_commitment(s: &str) -> Result<CommitmentConfig, String> {
    match s {
        "processed" => Ok(CommitmentConfig::processed()),
        "confirmed" => Ok(CommitmentConfig::confirmed()),
        "finalized" => Ok(CommitmentConfig::finalized()),
        _ => Err(format!(
            "{s:?} is not a commitment level (processed, confirmed or finalized)"
        )),
    }
}

/// `--commitment`: checked as clap parses it (a usage error, exit 2).
fn parse_commitment_arg(s: &str) -> Result<String, String> {
    parse_commitment(s).map(|_| s.to_string())
}

/// `-u`: a URL, a moniker or `embedded`, checked as clap parses it.
fn parse_url_arg(s: &str) -> Result<String, String> {
    if s == "embedded" {
        return Ok(s.to_string());
    }
    parse_url(s).map(|_| s.to_string())
}

/// The cluster monikers `-u` takes, and the URL each names.
pub const MONIKERS: [(&str, &str); 8] = [
    ("mainnet-beta", "https://api.mainnet-beta.solana.com"),
    ("m", "https://api.mainnet-beta.solana.com"),
    ("devnet", "https://api.devnet.solana.com"),
    ("d", "https://api.devnet.solana.com"),
    ("testnet", "https://api.testnet.solana.com"),
    ("t", "https://api.testnet.solana.com"),
    ("localhost", "http://localhost:8899"),
    ("l", "http://localhost:8899"),
];

/// A cluster URL: a moniker, or an `http://` or `https://` URL with a host.
/// Anything else is refused naming what is accepted.
pub fn parse_url(s: &str) -> Result<String, String> {
    if let Some((_, url)) = MONIKERS.iter().find(|(m, _)| *m == s) {
        return Ok(url.to_string());
    }
    let accepted = "give an http:// or https:// URL, a moniker (mainnet-beta, devnet, testnet, localhost; or m, d, t, l) or `embedded`";
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!("{s:?} is neither a URL nor a moniker: {accepted}"));
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "{s:?} has the scheme {scheme}:// (JSON-RPC is http:// or https://): {accepted}"
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{s:?} names no host: {accepted}"));
    }
    Ok(s.to_string())
}

/// The clock a log entry can record (u32 seconds): 1970 to 2106.
pub const CLOCK_RANGE: std::ops::RangeInclusive<i64> = 0..=(u32::MAX as i64);

/// `--clock-offset`: a duration that keeps the embedded ledger's clock
/// where a log entry can record it.
pub fn parse_clock_offset(s: &str) -> anyhow::Result<i64> {
    let offset = parse_duration(s)?;
    let shifted = chrono::Utc::now().timestamp() + offset;
    anyhow::ensure!(
        CLOCK_RANGE.contains(&shifted),
        "--clock-offset {s} moves the clock to {}, outside what a log entry can record (1970 to 2106)",
        hdx_sdk::export::rfc3339(shifted)
    );
    Ok(offset)
}

impl Settings {
    pub fn resolve(args: &ClusterArgs) -> anyhow::Result<Self> {
        let config_file = match &args.config {
            Some(path) => {
                anyhow::ensure!(
                    std::path::Path::new(path).exists(),
                    "config file not found: {path}"
                );
                Some(path.clone())
            }
            None => CONFIG_FILE
                .as_ref()
                .filter(|p| std::path::Path::new(p).exists())
                .cloned(),
        };
        let config = match &config_file {
            Some(path) => Some(
                Config::load(path)
                    .map_err(|e| anyhow::anyhow!("cannot read config {path}: {e}"))?,
            ),
            None => None,
        };
        let cfg_url = config.as_ref().map_or("", |c| c.json_rpc_url.as_str());
        let cfg_keypair = config.as_ref().map_or("", |c| c.keypair_path.as_str());
        let cfg_commitment = config.as_ref().map_or("", |c| c.commitment.as_str());
        let cmd_url = args.url.as_deref().unwrap_or("");
        let (_, keypair) = ConfigInput::compute_keypair_path_setting(
            args.keypair.as_deref().unwrap_or(""),
            cfg_keypair,
        );
        // Checked whatever the cluster: a level no cluster knows is a mistake
        // even where it would not be used.
        if let Some(level) = &args.commitment {
            parse_commitment(level).map_err(|e| anyhow::anyhow!("--commitment: {e}"))?;
        }
        if !cfg_commitment.is_empty() {
            parse_commitment(cfg_commitment).map_err(|e| {
                anyhow::anyhow!(
                    "the config file {}: commitment: {e}",
                    config_file.as_deref().unwrap_or_default()
                )
            })?;
        }
        let embedded = cmd_url == "embedded"
            || (cmd_url.is_empty() && (config.is_none() || cfg_url == "embedded"));
        let target = if embedded {
            let clock_offset = match &args.clock_offset {
                Some(s) => parse_clock_offset(s)?,
                None => 0,
            };
            let dir = match &args.ledger {
                Some(dir) => dir.clone(),
                None => FileLedger::default_dir()?,
            };
            Target::Embedded { dir, clock_offset }
        } else {
            anyhow::ensure!(
                args.clock_offset.is_none(),
                "--clock-offset applies to the embedded ledger only"
            );
            let url = if cmd_url.is_empty() {
                parse_url(cfg_url).map_err(|e| {
                    anyhow::anyhow!(
                        "the config file {}: json_rpc_url: {e}",
                        config_file.as_deref().unwrap_or_default()
                    )
                })?
            } else {
                parse_url(cmd_url).map_err(|e| anyhow::anyhow!("--url: {e}"))?
            };
            let level = args
                .commitment
                .as_deref()
                .or((!cfg_commitment.is_empty()).then_some(cfg_commitment));
            let commitment = match level {
                Some(l) => parse_commitment(l).map_err(|e| anyhow::anyhow!(e))?,
                None => CommitmentConfig::confirmed(),
            };
            Target::Rpc { url, commitment }
        };
        let keypair_named = args.keypair.is_some() || !cfg_keypair.is_empty();
        Ok(Self {
            target,
            keypair,
            keypair_named,
            config_file,
        })
    }

    /// Loads the signer named by `-k`, the config, or the default path.
    pub fn signer(&self) -> anyhow::Result<Box<dyn Signer>> {
        let source = self.keypair.as_str();
        let is_file = !source.contains("://") && source != "stdin" && source != "ASK";
        anyhow::ensure!(
            !is_file || std::path::Path::new(source).exists(),
            "could not read keypair file \"{source}\": no such file"
        );
        solana_clap_utils::keypair::signer_from_path(
            &clap2::ArgMatches::default(),
            &self.keypair,
            "keypair",
            &mut None,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Opens the cluster. A new embedded ledger takes `creator` as its
    /// program's upgrade authority.
    pub fn connect(&self, creator: Option<&Pubkey>) -> anyhow::Result<Connection> {
        Ok(match &self.target {
            Target::Embedded { dir, clock_offset } => {
                Connection::embedded(FileLedger::open(dir, creator, *clock_offset)?)
            }
            Target::Rpc { url, commitment } => Connection::rpc(url, *commitment),
        })
    }

    /// Opens the cluster to read only: an embedded ledger read-only (no
    /// write access needed, nothing can be sent), naming a directory that
    /// holds no ledger rather than creating one.
    pub fn connect_read_only(&self) -> anyhow::Result<Connection> {
        match &self.target {
            Target::Embedded { dir, clock_offset } => {
                hdx_node::store::refuse_old_format(dir)?;
                if !FileLedger::exists(dir) {
                    return Err(hdx_node::ledger::NoLedger(dir.clone()).into());
                }
                Ok(Connection::embedded(FileLedger::open_read_only(
                    dir,
                    *clock_offset,
                )?))
            }
            Target::Rpc { url, commitment } => Ok(Connection::rpc(url, *commitment)),
        }
    }

    pub fn describe(&self) -> String {
        match &self.target {
            Target::Embedded { dir, .. } => format!("embedded ledger at {}", dir.display()),
            Target::Rpc { url, .. } => url.clone(),
        }
    }
}

/// An opened cluster: the client commands use, where a fee payer's lamports
/// come from (if anywhere), and, embedded, the ledger itself.
pub struct Connection {
    pub client: HdxClient,
    /// The embedded ledger's mint, or the `requestAirdrop` of a cluster at a
    /// loopback address (`hdx serve`, a local validator); none elsewhere
    /// (use a funded wallet).
    pub faucet: Option<Arc<dyn Faucet>>,
    /// The embedded ledger, when that is the cluster.
    pub ledger: Option<FileLedger>,
}

impl Connection {
    fn embedded(ledger: FileLedger) -> Self {
        Self {
            client: ledger.client(),
            faucet: Some(ledger.node().clone()),
            ledger: Some(ledger),
        }
    }

    fn rpc(url: &str, commitment: CommitmentConfig) -> Self {
        let rpc = RpcTransport::new(url, commitment);
        let faucet: Option<Arc<dyn Faucet>> = rpc
            .is_loopback()
            .then(|| Arc::new(RpcTransport::new(url, commitment)) as Arc<dyn Faucet>);
        Self {
            client: HdxClient::new(rpc),
            faucet,
            ledger: None,
        }
    }

    /// Makes sure `payer` can pay fees: a wallet holding less than 1 SOL is
    /// given 10 by the faucet, when there is one.
    pub fn prepare_payer(&self, payer: &Pubkey) -> anyhow::Result<()> {
        if let Some(f) = &self.faucet {
            f.fund(payer, WALLET_FUNDING)?;
        }
        Ok(())
    }
}
