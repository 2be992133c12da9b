//! The [`Session`] every command runs in, built once in `main`: the resolved
//! settings, the cluster (opened when first needed: an embedded ledger
//! read-only unless the command sends), the signer (loaded when first
//! needed), and the faucet that funds a fee payer (the embedded ledger's
//! mint, a loopback cluster's `requestAirdrop`, or none).
//!
//! A signal (Ctrl-C, SIGTERM) while a transaction is in flight does not cut
//! it off: the send and its confirmation finish (bounded), the command
//! prints what happened, and only then does the process exit. A signal at
//! any other moment exits at once: nothing is half done.

use std::cell::OnceCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use hdx::cluster::{Connection, Settings, Target};
use hdx_node::ledger::FileLedger;
use hdx_sdk::client::{ClientError, HdxClient};
use hdx_sdk::directory::VerifiedDirectory;
use hdx_sdk::program::state::{Patient, Provider};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Signature, Signer};

use super::args::signer_arg;

/// Transactions in flight (sent, not yet confirmed or refused).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// A signal came while a transaction was in flight.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// How long a signal waits for the transaction in flight before exiting anyway.
pub const FINISH_IN_FLIGHT: Duration = Duration::from_secs(60);
/// The exit code of a process stopped by a signal (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Marks a transaction in flight while it lives.
pub struct InFlight(());

impl InFlight {
    pub fn begin() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a signal arrived while a transaction was in flight (the command
/// finished it; `main` says so after printing).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Installs the SIGINT / SIGTERM handling described above: with nothing in
/// flight, exit at once; with a transaction in flight, let it finish (at
/// most [`FINISH_IN_FLIGHT`]; a second signal exits at once).
pub fn handle_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // the default handling stays
    };
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if IN_FLIGHT.load(Ordering::SeqCst) == 0 || INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(EXIT_INTERRUPTED);
            }
            eprintln!(
                "interrupted: finishing the transaction in flight first (at most {} s; again to stop now)",
                FINISH_IN_FLIGHT.as_secs()
            );
            std::thread::spawn(|| {
                std::thread::sleep(FINISH_IN_FLIGHT);
                eprintln!("interrupted: the transaction in flight did not finish in time; it may still land");
                std::process::exit(EXIT_INTERRUPTED);
            });
        }
    });
}

/// Everything a command runs with.
pub struct Session {
    pub settings: Settings,
    /// `--output json` (or json-compact): what some commands' default format follows.
    pub json_output: bool,
    /// Whether the command sends transactions: only such a command may
    /// create an embedded ledger; the others open it read-only.
    sends: bool,
    connection: OnceCell<Connection>,
    signer: OnceCell<Box<dyn Signer>>,
    /// Whether a fee payer was readied: the command sent, or was about to.
    paid: std::cell::Cell<bool>,
}

impl Session {
    pub fn new(settings: Settings, sends: bool) -> Self {
        Self {
            settings,
            json_output: false,
            sends,
            connection: OnceCell::new(),
            signer: OnceCell::new(),
            paid: std::cell::Cell::new(false),
        }
    }

    /// The signer (`-k`, the config's, or the default path), loaded once.
    pub fn signer(&self) -> anyhow::Result<&dyn Signer> {
        if self.signer.get().is_none() {
            let signer = signer_arg(&self.settings.keypair, "")?;
            let _ = self.signer.set(signer);
        }
        Ok(self.signer.get().expect("set above").as_ref())
    }

    /// The keypair argument as given (`-k`, the config's, or the default path).
    pub fn keypair_path(&self) -> &str {
        &self.settings.keypair
    }

    pub fn pubkey(&self) -> anyhow::Result<Pubkey> {
        Ok(self.signer()?.pubkey())
    }

    /// The opened cluster. An embedded ledger: a command that sends may
    /// create it (the signer becomes the program's upgrade authority); any
    /// other opens it read-only and names a directory that holds no ledger.
    pub fn connection(&self) -> anyhow::Result<&Connection> {
        if self.connection.get().is_none() {
            let connection = if self.sends {
                let creator = match &self.settings.target {
                    Target::Embedded { dir, .. } if !FileLedger::exists(dir) => {
                        Some(self.pubkey()?)
                    }
                    _ => None,
                };
                self.settings.connect(creator.as_ref())?
            } else {
                self.settings.connect_read_only()?
            };
            let _ = self.connection.set(connection);
        }
        Ok(self.connection.get().expect("set above"))
    }

    pub fn client(&self) -> anyhow::Result<&HdxClient> {
        Ok(&self.connection()?.client)
    }

    /// The cluster's clock.
    pub fn now(&self) -> anyhow::Result<i64> {
        Ok(self.client()?.transport.unix_time()?)
    }

    /// The signer, ready to pay fees (funded by the faucet, if there is one).
    pub fn payer(&self) -> anyhow::Result<&dyn Signer> {
        let signer = self.signer()?;
        self.connection()?.prepare_payer(&signer.pubkey())?;
        self.paid.set(true);
        Ok(signer)
    }

    /// Signs with the signer (fee payer) and sends.
    pub fn send(&self, instructions: &[Instruction]) -> anyhow::Result<Signature> {
        self.send_with(instructions, &[])
    }

    /// Signs with the signer (fee payer) and `others`, and sends; a signal
    /// meanwhile waits for the outcome.
    pub fn send_with(
        &self,
        instructions: &[Instruction],
        others: &[&dyn Signer],
    ) -> anyhow::Result<Signature> {
        let payer = self.payer()?;
        let _flight = InFlight::begin();
        Ok(self.client()?.send(instructions, payer, others)?.signature)
    }

    /// The patient the signer acts for: `explicit`, checked to be controlled
    /// by the signer, or the one patient the signer controls.
    pub fn my_patient(&self, explicit: Option<Pubkey>) -> anyhow::Result<Patient> {
        let client = self.client()?;
        let me = self.pubkey()?;
        if let Some(id) = explicit {
            let p = client.patient(&id)?;
            anyhow::ensure!(
                p.authority == me,
                "{me} is not the authority of patient {id} (its authority is {})",
                p.authority
            );
            return Ok(p);
        }
        let mut mine = client.patients_by_authority(&me)?;
        match mine.len() {
            1 => Ok(mine.remove(0)),
            0 => match client.fetch::<Patient>(&hdx_sdk::pda::patient(&me).0)? {
                Some(p) => anyhow::bail!(
                    "{me} no longer controls patient {}: its authority was rotated to {}",
                    p.id,
                    p.authority
                ),
                None => anyhow::bail!(
                    "{me} controls no patient: register with `hdx patient register`, or pass --patient ID"
                ),
            },
            n => anyhow::bail!(
                "{me} controls {n} patients ({}): pass --patient ID",
                mine.iter()
                    .map(|p| p.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The provider the signer signs for (its current key).
    pub fn my_provider(&self) -> anyhow::Result<Provider> {
        let client = self.client()?;
        let me = self.pubkey()?;
        match client.provider_by_key(&me) {
            Ok(p) => Ok(p),
            Err(ClientError::NotFound(_)) => {
                match client.fetch::<Provider>(&hdx_sdk::pda::provider(&me).0)? {
                    Some(p) => anyhow::bail!(
                        "{me} no longer signs for provider {}: its key was rotated to {}",
                        p.id,
                        p.signer
                    ),
                    None => anyhow::bail!(
                        "{me} is not a registered provider's current key (register with `hdx provider register`)"
                    ),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A provider named by its id or by its current signing key.
    pub fn provider_named(&self, key: &Pubkey) -> anyhow::Result<Provider> {
        let client = self.client()?;
        if let Some(p) = client.fetch::<Provider>(&hdx_sdk::pda::provider(key).0)? {
            return Ok(p);
        }
        client.provider_by_key(key).map_err(|e| match e {
            ClientError::NotFound(_) => anyhow::anyhow!(
                "{key} is not a registered provider (neither an id nor a current key)"
            ),
            e => e.into(),
        })
    }

    /// The provider directory, checked against the chain: the published
    /// hash, and the bundle from where this cluster keeps it (the ledger
    /// directory, or `hdx serve`'s `GET /directory`). Never an error: a
    /// directory that cannot be had names nobody, and says why.
    pub fn directory(&self) -> anyhow::Result<VerifiedDirectory> {
        let Some(published) = self.client()?.published_directory()? else {
            return Ok(VerifiedDirectory::new(None, Err(String::new())));
        };
        let bundle = self.fetch_bundle(&published.bundle_sha256);
        Ok(VerifiedDirectory::new(
            Some(&published),
            bundle.as_deref().map_err(Clone::clone),
        ))
    }

    fn fetch_bundle(&self, sha256: &[u8; 32]) -> Result<Vec<u8>, String> {
        match &self.settings.target {
            Target::Embedded { dir, .. } => match hdx_node::directory::load(dir, sha256) {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err(format!("no bundle with that hash in {}", dir.display())),
                Err(e) => Err(e.to_string()),
            },
            Target::Rpc { url, .. } => {
                let url = format!("{}/directory", url.trim_end_matches('/'));
                let response = reqwest::blocking::Client::new()
                    .get(&url)
                    .timeout(std::time::Duration::from_secs(10))
                    .send()
                    .map_err(|e| format!("{url}: {e}"))?;
                if !response.status().is_success() {
                    return Err(format!("{url} answered {}", response.status()));
                }
                let bytes = response.bytes().map_err(|e| format!("{url}: {e}"))?;
                Ok(bytes.to_vec())
            }
        }
    }

    /// Makes a published bundle available where this cluster's readers look
    /// for it: the ledger directory, or `hdx serve`'s `PUT /directory`.
    pub fn upload_bundle(&self, bytes: &[u8]) -> anyhow::Result<String> {
        match &self.settings.target {
            Target::Embedded { dir, .. } => {
                let path = hdx_node::directory::store(dir, bytes)?;
                Ok(path.display().to_string())
            }
            Target::Rpc { url, .. } => {
                let url = format!("{}/directory", url.trim_end_matches('/'));
                let response = reqwest::blocking::Client::new()
                    .put(&url)
                    .timeout(std::time::Duration::from_secs(30))
                    .body(bytes.to_vec())
                    .send()?;
                let status = response.status();
                anyhow::ensure!(
                    status.is_success(),
                    "{url} refused the bundle ({status}): {}",
                    response.text().unwrap_or_default()
                );
                Ok(url)
            }
        }
    }

    /// Refuses a record index the patient does not have, before anything is sent.
    pub fn require_record(&self, patient: &Pubkey, record: u32) -> anyhow::Result<()> {
        let count = self.client()?.patient(patient)?.record_count;
        anyhow::ensure!(
            record < count,
            "patient {patient} has no record {record} (they have {count})"
        );
        Ok(())
    }

    /// After a command that sent on an embedded ledger whose clock runs
    /// ahead of wall time (`--clock-offset`): a warning that what it wrote is
    /// dated in the future, for good (later commands at wall time see it so).
    pub fn future_dated_warning(&self) -> Option<String> {
        let Target::Embedded { clock_offset, .. } = &self.settings.target else {
            return None;
        };
        (*clock_offset > 0 && self.paid.get()).then(|| {
            format!(
                "warning: the embedded ledger's clock runs {} ahead of wall time (--clock-offset): what this command wrote is dated then, for good",
                offset_words(*clock_offset)
            )
        })
    }
}

/// A clock offset in words: `28 days`, `2 hours`, `90 seconds`.
fn offset_words(secs: i64) -> String {
    let secs = secs.unsigned_abs();
    let (n, unit) = if secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs.is_multiple_of(3_600) {
        (secs / 3_600, "hour")
    } else if secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
