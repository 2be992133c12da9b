//! Which cluster and which signer a command uses, resolved the way the
//! Solana CLI does it: flags beat `~/.config/solana/cli/config.yml` (or
//! `-C FILE`), which beats the defaults. `-u` takes a URL, a moniker
//! (`m`, `d`, `t`, `l`) or `embedded`; with no config file and no `-u`, the
//! cluster is the embedded ledger. Shared by `hdx` and `hdx-migrate`.

use std::path::PathBuf;

use solana_cli_config::{Config, ConfigInput, CONFIG_FILE};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use solana_sdk::transaction::Transaction;

use hdx_node::ledger::{FileLedger, WALLET_FUNDING};
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::{Landed, Memcmp, Receipt, SendError, Signed, Transport};

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
        value_name = "URL_OR_MONIKER"
    )]
    pub url: Option<String>,
    /// Signer source: a keypair file path (or prompt://, stdin, usb://ledger)
    #[arg(short = 'k', long = "keypair", global = true, value_name = "KEYPAIR")]
    pub keypair: Option<String>,
    /// Commitment level: processed, confirmed or finalized
    #[arg(long, global = true, value_name = "LEVEL")]
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
            if let Some(level) = &args.commitment {
                level.parse::<CommitmentConfig>().map_err(|_| {
                    anyhow::anyhow!(
                        "invalid --commitment {level:?}: use processed, confirmed or finalized"
                    )
                })?;
            }
            let (_, url) = ConfigInput::compute_json_rpc_url_setting(cmd_url, cfg_url);
            solana_clap_utils::input_validators::is_url_or_moniker(&url)
                .map_err(|e| anyhow::anyhow!("invalid --url {url:?}: {e}"))?;
            let (_, commitment) = ConfigInput::compute_commitment_config(
                args.commitment.as_deref().unwrap_or(""),
                cfg_commitment,
            );
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
    pub fn connect(&self, creator: Option<&Pubkey>) -> anyhow::Result<Cluster> {
        Ok(match &self.target {
            Target::Embedded { dir, clock_offset } => {
                Cluster::Embedded(Box::new(FileLedger::open(dir, creator, *clock_offset)?))
            }
            Target::Rpc { url, commitment } => {
                Cluster::Rpc(Box::new(RpcTransport::new(url, *commitment)))
            }
        })
    }

    pub fn describe(&self) -> String {
        match &self.target {
            Target::Embedded { dir, .. } => format!("embedded ledger at {}", dir.display()),
            Target::Rpc { url, .. } => url.clone(),
        }
    }
}

/// An opened cluster: the one [`Transport`] commands use.
pub enum Cluster {
    Embedded(Box<FileLedger>),
    Rpc(Box<RpcTransport>),
}

impl Cluster {
    fn inner(&self) -> &dyn Transport {
        match self {
            Cluster::Embedded(l) => l.as_ref(),
            Cluster::Rpc(r) => r.as_ref(),
        }
    }

    /// Makes sure a fee payer can pay: on the embedded ledger, and on a
    /// cluster at a loopback address (`hdx serve`, a local validator), a
    /// wallet holding less than 1 SOL is given 10 (its faucet's
    /// `requestAirdrop`); on any other cluster nothing happens (use a funded
    /// wallet).
    pub fn prepare_payer(&self, payer: &Pubkey) -> anyhow::Result<()> {
        match self {
            Cluster::Embedded(l) => l.fund(payer),
            Cluster::Rpc(r) if r.is_loopback() => r.fund(payer, WALLET_FUNDING),
            Cluster::Rpc(_) => Ok(()),
        }
    }
}

impl Transport for Cluster {
    fn latest_blockhash(&self) -> anyhow::Result<Hash> {
        self.inner().latest_blockhash()
    }
    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        self.inner().send(tx)
    }
    fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>> {
        self.inner().account(address)
    }
    fn accounts(&self, addresses: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        self.inner().accounts(addresses)
    }
    fn program_accounts(&self, filters: &[Memcmp]) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        self.inner().program_accounts(filters)
    }
    fn unix_time(&self) -> anyhow::Result<i64> {
        self.inner().unix_time()
    }
    fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64> {
        self.inner().minimum_balance(data_len)
    }
    fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        limit: usize,
    ) -> anyhow::Result<Vec<Signed>> {
        self.inner().signatures_for_address(address, before, limit)
    }
    fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<Landed>> {
        self.inner().transaction(signature)
    }
}
