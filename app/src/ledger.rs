//! The file-backed embedded ledger: the CLI's default cluster when no Solana
//! config exists. Each command boots the program natively (the same runtime
//! the tests use) on the accounts saved in `DIR/ledger.json`, with the clock at
//! wall time plus an optional shift, and saves every touched account after
//! each transaction. The program is "deployed" on it with an upgrade
//! authority: the key that created the ledger (so that key can initialise
//! the registry). One command at a time: an exclusive lock on `DIR/lock`.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use serde::{Deserialize, Serialize};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::Transaction;

use crate::embedded::{preload, program_test, EmbeddedLedger};
use crate::transport::{Memcmp, Receipt, SendError, Transport};

const FILE: &str = "ledger.json";
const FORMAT: u32 = 1;
/// What a new wallet on the embedded ledger is given, so every command can
/// be tried at once (like a local validator's faucet): 10 SOL.
pub const WALLET_FUNDING: u64 = 10_000_000_000;

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    upgrade_authority: String,
    accounts: BTreeMap<String, StoredAccount>,
}

#[derive(Serialize, Deserialize)]
struct StoredAccount {
    lamports: u64,
    owner: String,
    executable: bool,
    /// base64
    data: String,
}

fn pubkey(s: &str, what: &str) -> anyhow::Result<Pubkey> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("corrupt ledger file: {what} {s:?} is not a public key"))
}

pub struct FileLedger {
    dir: PathBuf,
    _lock: File,
    inner: EmbeddedLedger,
    upgrade_authority: Pubkey,
    faucet: Pubkey,
}

impl FileLedger {
    /// The default directory: `<data dir>/hdx/embedded-ledger`.
    pub fn default_dir() -> anyhow::Result<PathBuf> {
        Ok(dirs::data_dir()
            .context("no data directory for this user; pass --ledger DIR")?
            .join("hdx")
            .join("embedded-ledger"))
    }

    /// Whether `dir` already holds a ledger.
    pub fn exists(dir: &Path) -> bool {
        dir.join(FILE).exists()
    }

    /// Opens the ledger in `dir`, creating it (with `creator` as the
    /// program's upgrade authority) when there is none. The clock reads
    /// `unix_time`.
    pub fn open(dir: &Path, creator: Option<&Pubkey>, unix_time: i64) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the ledger directory {}", dir.display()))?;
        let lock = File::create(dir.join("lock"))
            .with_context(|| format!("cannot open {}", dir.join("lock").display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock the ledger in {}", dir.display()))?;
        let path = dir.join(FILE);
        let stored: Stored = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let stored: Stored = serde_json::from_str(&text)
                .with_context(|| format!("corrupt ledger file {}", path.display()))?;
            anyhow::ensure!(
                stored.format == FORMAT,
                "{} has format {}, this hdx reads format {FORMAT}",
                path.display(),
                stored.format
            );
            stored
        } else {
            let creator = creator.context(
                "a new embedded ledger needs a keypair (-k): its key becomes the program's upgrade authority",
            )?;
            Stored {
                format: FORMAT,
                upgrade_authority: creator.to_string(),
                accounts: BTreeMap::new(),
            }
        };
        let upgrade_authority = pubkey(&stored.upgrade_authority, "upgrade authority")?;
        let mut pt = program_test(&upgrade_authority);
        let mut keys = Vec::with_capacity(stored.accounts.len());
        for (key, a) in &stored.accounts {
            let key = pubkey(key, "account")?;
            let data = base64::engine::general_purpose::STANDARD
                .decode(&a.data)
                .with_context(|| format!("corrupt ledger file: account {key} data"))?;
            preload(
                &mut pt,
                key,
                Account {
                    lamports: a.lamports,
                    data,
                    owner: pubkey(&a.owner, "owner")?,
                    executable: a.executable,
                    rent_epoch: 0,
                },
            );
            keys.push(key);
        }
        let inner = EmbeddedLedger::start(pt, unix_time)?.quiet();
        inner.remember(keys);
        let faucet = inner.faucet().pubkey();
        let ledger = Self {
            dir: dir.to_path_buf(),
            _lock: lock,
            inner,
            upgrade_authority,
            faucet,
        };
        if !path.exists() {
            ledger.save()?;
        }
        Ok(ledger)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn upgrade_authority(&self) -> Pubkey {
        self.upgrade_authority
    }

    /// Gives `wallet` [`WALLET_FUNDING`] when it holds less than a tenth of it.
    pub fn fund(&self, wallet: &Pubkey) -> anyhow::Result<()> {
        let balance = self.inner.account(wallet)?.map_or(0, |a| a.lamports);
        if balance < WALLET_FUNDING / 10 {
            self.inner.airdrop(wallet, WALLET_FUNDING)?;
            self.save()?;
        }
        Ok(())
    }

    /// Writes every live account (program accounts and wallets) atomically.
    pub fn save(&self) -> anyhow::Result<()> {
        let program_data = crate::pda::program_data();
        let accounts = self
            .inner
            .snapshot()?
            .into_iter()
            .filter(|(k, a)| {
                *k != self.faucet
                    && *k != program_data
                    && !a.executable
                    && (a.owner == crate::PROGRAM_ID || a.owner == anchor_lang::system_program::ID)
            })
            .map(|(k, a)| {
                (
                    k.to_string(),
                    StoredAccount {
                        lamports: a.lamports,
                        owner: a.owner.to_string(),
                        executable: a.executable,
                        data: base64::engine::general_purpose::STANDARD.encode(&a.data),
                    },
                )
            })
            .collect();
        let stored = Stored {
            format: FORMAT,
            upgrade_authority: self.upgrade_authority.to_string(),
            accounts,
        };
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(&stored)?)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, self.dir.join(FILE))
            .with_context(|| format!("cannot replace {}", self.dir.join(FILE).display()))?;
        Ok(())
    }
}

impl Transport for FileLedger {
    fn latest_blockhash(&self) -> anyhow::Result<Hash> {
        self.inner.latest_blockhash()
    }

    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        let result = self.inner.send(tx);
        // A failed transaction still charges its fee: save either way.
        self.save()
            .map_err(|e| SendError::Transport(format!("the ledger could not be saved: {e:#}")))?;
        result
    }

    fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>> {
        self.inner.account(address)
    }

    fn accounts(&self, addresses: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        self.inner.accounts(addresses)
    }

    fn program_accounts(&self, filters: &[Memcmp]) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        self.inner.program_accounts(filters)
    }

    fn unix_time(&self) -> anyhow::Result<i64> {
        self.inner.unix_time()
    }

    fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64> {
        self.inner.minimum_balance(data_len)
    }
}
