//! The `hdx` subcommands. Each returns an [`Output`] (JSON value and human
//! text); `main` prints one of them and maps errors to exit codes.

pub mod access;
pub mod audit;
pub mod consent;
pub mod emergency;
pub mod gateway;
pub mod guardians;
pub mod idl;
pub mod keys;
pub mod patient;
pub mod provider;
pub mod registry;
pub mod serve;

use std::cell::OnceCell;
use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use base64::Engine;
use hdx::cluster::{Cluster, Settings, Target};
use hdx_node::ledger::FileLedger;
use hdx_sdk::client::HdxClient;
use hdx_sdk::codes::{Category, ProviderKind, ProviderStatus, Purpose, MODE_READ, MODE_WRITE};
use hdx_sdk::program::state::{Patient, Provider};
use hdx_sdk::transport::Transport;
use serde_json::{json, Value};
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::Transaction;

/// What a command prints: `json` with `--output json`, `text` otherwise;
/// a `raw` output (a CSV or FHIR export) is printed as is either way.
pub struct Output {
    pub json: Value,
    pub text: String,
    pub raw: bool,
}

impl Output {
    pub fn new(json: Value, text: impl Into<String>) -> Self {
        Self {
            json,
            text: text.into(),
            raw: false,
        }
    }

    pub fn raw(text: String) -> Self {
        Self {
            json: Value::Null,
            text,
            raw: true,
        }
    }
}

/// The resolved settings, the signer (loaded once, when first needed) and the cluster.
pub struct Ctx {
    pub settings: Settings,
    signer: OnceCell<Box<dyn Signer>>,
    /// Whether the command sends transactions: only such a command may
    /// create an embedded ledger; the others open it read-only.
    sends: bool,
}

impl Ctx {
    pub fn new(settings: Settings, sends: bool) -> Self {
        Self {
            settings,
            signer: OnceCell::new(),
            sends,
        }
    }

    pub fn signer(&self) -> anyhow::Result<&dyn Signer> {
        if self.signer.get().is_none() {
            let signer = self.settings.signer().map_err(|e| {
                anyhow::anyhow!(
                    "{e:#} (create one with `hdx keygen --outfile {}`)",
                    self.settings.keypair
                )
            })?;
            let _ = self.signer.set(signer);
        }
        Ok(self.signer.get().expect("set above").as_ref())
    }

    pub fn pubkey(&self) -> anyhow::Result<Pubkey> {
        Ok(self.signer()?.pubkey())
    }

    /// Opens the cluster. An embedded ledger: a command that sends may
    /// create it (the signer becomes the program's upgrade authority); any
    /// other opens it read-only (no write access needed) and names a
    /// directory that holds no ledger.
    pub fn client(&self) -> anyhow::Result<HdxClient<Cluster>> {
        if let Target::Embedded { dir, clock_offset } = &self.settings.target {
            if !self.sends {
                hdx_node::store::refuse_old_format(dir)?;
                if !FileLedger::exists(dir) {
                    return Err(hdx_node::ledger::NoLedger(dir.clone()).into());
                }
                return Ok(HdxClient::new(Cluster::Embedded(Box::new(
                    FileLedger::open_read_only(dir, *clock_offset)?,
                ))));
            }
        }
        let creator = match &self.settings.target {
            Target::Embedded { dir, .. } if !FileLedger::exists(dir) => Some(self.pubkey()?),
            _ => None,
        };
        Ok(HdxClient::new(self.settings.connect(creator.as_ref())?))
    }

    /// The signer, ready to pay fees on `client`'s cluster.
    pub fn payer(&self, client: &HdxClient<Cluster>) -> anyhow::Result<&dyn Signer> {
        let signer = self.signer()?;
        client.transport.prepare_payer(&signer.pubkey())?;
        Ok(signer)
    }

    /// Signs with the signer (fee payer) and sends.
    pub fn send(
        &self,
        client: &HdxClient<Cluster>,
        instructions: &[Instruction],
    ) -> anyhow::Result<solana_sdk::signature::Signature> {
        self.send_with(client, instructions, &[])
    }

    /// Signs with the signer (fee payer) and `others`, and sends.
    pub fn send_with(
        &self,
        client: &HdxClient<Cluster>,
        instructions: &[Instruction],
        others: &[&dyn Signer],
    ) -> anyhow::Result<solana_sdk::signature::Signature> {
        Ok(client
            .send(instructions, self.payer(client)?, others)?
            .signature)
    }

    /// The patient the signer acts for: `explicit`, checked to be controlled
    /// by the signer, or the one patient the signer controls.
    pub fn my_patient(
        &self,
        client: &HdxClient<Cluster>,
        explicit: Option<Pubkey>,
    ) -> anyhow::Result<Patient> {
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
    pub fn my_provider(&self, client: &HdxClient<Cluster>) -> anyhow::Result<Provider> {
        let me = self.pubkey()?;
        match client.provider_by_key(&me) {
            Ok(p) => Ok(p),
            Err(hdx_sdk::client::ClientError::NotFound(_)) => {
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
}

/// A provider named by its id or by its current signing key.
/// Refuses a record index the patient does not have, before anything is sent.
pub fn require_record(
    client: &HdxClient<Cluster>,
    patient: &Pubkey,
    record: u32,
) -> anyhow::Result<()> {
    let count = client.patient(patient)?.record_count;
    anyhow::ensure!(
        record < count,
        "patient {patient} has no record {record} (they have {count})"
    );
    Ok(())
}

pub fn provider_named(client: &HdxClient<Cluster>, key: &Pubkey) -> anyhow::Result<Provider> {
    if let Some(p) = client.fetch::<Provider>(&hdx_sdk::pda::provider(key).0)? {
        return Ok(p);
    }
    client.provider_by_key(key).map_err(|e| match e {
        hdx_sdk::client::ClientError::NotFound(_) => {
            anyhow::anyhow!("{key} is not a registered provider (neither an id nor a current key)")
        }
        e => e.into(),
    })
}

/// A signer named on the command line (a keypair file, prompt://, usb://...).
pub fn signer_arg(source: &str, what: &str) -> anyhow::Result<Box<dyn Signer>> {
    let is_file = !source.contains("://") && source != "stdin" && source != "ASK";
    anyhow::ensure!(
        !is_file || std::path::Path::new(source).exists(),
        "could not read the {what} keypair file \"{source}\": no such file"
    );
    solana_clap_utils::keypair::signer_from_path(
        &clap2::ArgMatches::default(),
        source,
        what,
        &mut None,
    )
    .map_err(|e| anyhow::anyhow!("the {what} signer {source:?}: {e}"))
}

/// How an authority command prints its unsigned transaction instead of sending it.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum TxEncoding {
    Base58,
    Base64,
}

/// Flags of every authority command: send, or print the unsigned
/// transaction for a multisig to sign.
#[derive(clap::Args, Debug, Clone)]
pub struct TxOpts {
    /// Print the unsigned transaction (for multisig signing) instead of sending it
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub print_tx: Option<TxEncoding>,
    /// With --print-tx: the authority address that will sign (e.g. a multisig vault)
    /// [default: the keypair's address]
    #[arg(long, value_name = "PUBKEY", value_parser = parse_pubkey, requires = "print_tx")]
    pub authority: Option<Pubkey>,
}

impl TxOpts {
    /// The key that signs as authority.
    pub fn authority(&self, ctx: &Ctx) -> anyhow::Result<Pubkey> {
        match self.authority {
            Some(k) => Ok(k),
            None => ctx.pubkey(),
        }
    }

    /// Sends `ix` signed by the keypair, or prints it unsigned with `authority` as fee payer.
    pub fn submit(
        &self,
        ctx: &Ctx,
        client: &HdxClient<Cluster>,
        ix: Instruction,
        done: &str,
    ) -> anyhow::Result<Output> {
        match self.print_tx {
            None => {
                let sig = ctx.send(client, &[ix])?;
                Ok(Output::new(
                    json!({ "signature": sig.to_string() }),
                    format!("{done}\nsignature: {sig}"),
                ))
            }
            Some(encoding) => {
                let payer = self.authority(ctx)?;
                let message = Message::new_with_blockhash(
                    &[ix],
                    Some(&payer),
                    &client.transport.latest_blockhash()?,
                );
                let bytes = bincode::serialize(&Transaction::new_unsigned(message))?;
                let (name, text) = match encoding {
                    TxEncoding::Base58 => ("base58", bs58::encode(bytes).into_string()),
                    TxEncoding::Base64 => (
                        "base64",
                        base64::engine::general_purpose::STANDARD.encode(bytes),
                    ),
                };
                Ok(Output::new(
                    json!({ "unsigned_transaction": text, "encoding": name, "fee_payer": payer.to_string() }),
                    text,
                ))
            }
        }
    }
}

pub fn parse_pubkey(s: &str) -> Result<Pubkey, String> {
    Pubkey::from_str(s).map_err(|_| format!("{s:?} is not a base58 public key"))
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|x| name(*x)).collect::<Vec<_>>().join(", ")
}

/// A code by its stable name (case-insensitive); the error lists the known names.
fn parse_named<T: Copy>(
    what: &str,
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|x| name(*x).eq_ignore_ascii_case(s))
        .ok_or_else(|| format!("unknown {what} {s:?} (known: {})", names(all, name)))
}

pub fn parse_category(s: &str) -> Result<Category, String> {
    parse_named("category", s, Category::ALL, Category::name)
}

pub fn parse_kind(s: &str) -> Result<ProviderKind, String> {
    parse_named("provider kind", s, ProviderKind::ALL, ProviderKind::name)
}

pub fn parse_status(s: &str) -> Result<ProviderStatus, String> {
    parse_named("status", s, ProviderStatus::ALL, ProviderStatus::name)
}

/// A purpose by name (`treatment`) or HL7 v3 ActReason code (`TREAT`).
pub fn parse_purpose(s: &str) -> Result<Purpose, String> {
    Purpose::ALL
        .iter()
        .copied()
        .find(|p| p.name().eq_ignore_ascii_case(s) || p.hl7_code().eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            format!(
                "unknown purpose {s:?} (known: {})",
                names(Purpose::ALL, Purpose::name)
            )
        })
}

pub fn parse_mode(s: &str) -> Result<u8, String> {
    match s.to_ascii_lowercase().as_str() {
        "read" => Ok(MODE_READ),
        "write" => Ok(MODE_WRITE),
        _ => Err(format!("unknown mode {s:?} (known: read, write)")),
    }
}

pub fn parse_hash(s: &str) -> Result<[u8; 32], String> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{s:?} is not 32 bytes of hex (64 hex digits)"));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("checked hex");
    }
    if out == [0u8; 32] {
        return Err("an all-zero hash commits to nothing".into());
    }
    Ok(out)
}

/// The latest time FHIR `dateTime` (and so an export) can write: 9999-12-31T23:59:59Z.
pub const LATEST_TIME: i64 = 253_402_300_799;

/// A point in time: unix seconds, RFC 3339, `YYYY-MM-DD` (UTC midnight), or a
/// duration from `now` (`30d` — later if `future`, earlier otherwise).
/// Between 1970 and 9999, or refused with a message naming it.
pub fn parse_when(s: &str, now: i64, future: bool) -> anyhow::Result<i64> {
    let t = if let Ok(unix) = s.parse::<i64>() {
        unix
    } else if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        t.timestamp()
    } else if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp()
    } else {
        let d = match hdx::cluster::parse_duration(s) {
            Ok(d) => d,
            // A duration, but too long: that is the message.
            Err(e) if humantime::parse_duration(s.trim_start_matches(['-', '+'])).is_ok() => {
                return Err(e)
            }
            Err(_) => anyhow::bail!(
                "invalid time {s:?}: use a duration (30d, 12h), RFC 3339 (2027-01-31T00:00:00Z), a date (2027-01-31) or unix seconds"
            ),
        };
        if future {
            now + d
        } else {
            now - d
        }
    };
    anyhow::ensure!(
        (0..=LATEST_TIME).contains(&t),
        "the time {s:?} is outside 1970-01-01 to 9999-12-31"
    );
    Ok(t)
}

/// The locator a user typed, checked against the program's bound before anything is sent.
pub fn locator_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
    let max = hdx_sdk::program::state::MAX_LOCATOR_LEN;
    anyhow::ensure!(!s.is_empty(), "the locator is empty");
    anyhow::ensure!(
        s.len() <= max,
        "the locator is {} bytes, the limit is {max}",
        s.len()
    );
    Ok(s.as_bytes().to_vec())
}

/// A record pointer as typed: what `record add` and `write` take.
#[derive(clap::Args, Debug)]
pub struct PointerArgs {
    /// The record's category (lab-results, imaging, medications, allergies, immunizations,
    /// conditions, procedures, clinical-notes, vital-signs, mental-health, substance-use,
    /// genomics, reproductive, claims)
    #[arg(long, value_parser = parse_category)]
    pub category: Category,
    /// Opaque or encrypted locator, at most 128 bytes; an ipfs://CID locator must name the content hash
    #[arg(long)]
    pub locator: String,
    /// SHA-256 of the record's content: 64 hex digits
    #[arg(long, value_name = "HEX", value_parser = parse_hash)]
    pub content_hash: Option<[u8; 32]>,
    /// Or: a local file whose SHA-256 is the content hash (the file is not uploaded)
    #[arg(long, value_name = "PATH", conflicts_with = "content_hash")]
    pub content_file: Option<std::path::PathBuf>,
    /// The record's clinical date, YYYY-MM-DD (public metadata; omit when unknown)
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub clinical_date: Option<u32>,
}

/// What `record add` and `write` send, checked before anything is sent.
pub struct Pointer {
    pub category: Category,
    pub clinical_day: u32,
    pub locator: Vec<u8>,
    pub content_hash: [u8; 32],
}

impl PointerArgs {
    /// The locator bytes, content hash and clinical day, checked before anything is sent.
    pub fn resolve(&self, now: i64) -> anyhow::Result<Pointer> {
        let clinical_day = self.clinical_date.unwrap_or(0);
        anyhow::ensure!(
            i64::from(clinical_day) <= hdx_sdk::codes::day_of(now) + 1,
            "the clinical date {} is in the future",
            hdx_sdk::export::day_date(clinical_day)
        );
        let content_hash = content_hash(self.content_hash, self.content_file.as_deref())?;
        // A content-addressed locator must name this very content.
        if let Some(named) = hdx_sdk::cid::hash_of_locator(&self.locator) {
            let named = named?;
            anyhow::ensure!(
                named == content_hash,
                "the locator {} names content whose SHA-256 is {}, but the content hash is {}",
                self.locator,
                hex(&named),
                hex(&content_hash)
            );
        }
        Ok(Pointer {
            category: self.category,
            clinical_day,
            locator: locator_bytes(&self.locator)?,
            content_hash,
        })
    }
}

/// A calendar date (`YYYY-MM-DD`, UTC) as a day number (days since 1970-01-01).
pub fn parse_day(s: &str) -> Result<u32, String> {
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))?;
    let days = date
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    // Day 0 means "unknown" on-chain, so the first day that can be named is 1970-01-02.
    u32::try_from(days)
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| format!("{s:?} is before 1970-01-02"))
}

/// The content hash from `--content-hash HEX` or the SHA-256 of `--content-file PATH`.
pub fn content_hash(
    hash: Option<[u8; 32]>,
    file: Option<&std::path::Path>,
) -> anyhow::Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    match (hash, file) {
        (Some(h), None) => Ok(h),
        (None, Some(path)) => {
            let bytes = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            Ok(Sha256::digest(bytes).into())
        }
        _ => anyhow::bail!("give exactly one of --content-hash or --content-file"),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    hdx::demo::hex(bytes)
}

/// Left-aligned columns sized to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// A progress bar on a terminal's stderr; hidden when stderr is not a terminal.
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}")
            .expect("valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

/// `hdx cluster`: where commands go, and for the embedded ledger its state.
pub fn cluster(ctx: &Ctx) -> anyhow::Result<Output> {
    let mut j = json!({
        "cluster": ctx.settings.describe(),
        "keypair": ctx.settings.keypair,
        "config_file": ctx.settings.config_file,
        "program_id": hdx_sdk::PROGRAM_ID.to_string(),
    });
    let mut text = format!(
        "cluster:    {}\nkeypair:    {}\nconfig:     {}\nprogram id: {}",
        ctx.settings.describe(),
        ctx.settings.keypair,
        ctx.settings.config_file.as_deref().unwrap_or("none"),
        hdx_sdk::PROGRAM_ID
    );
    if let Target::Embedded { dir, .. } = &ctx.settings.target {
        if FileLedger::exists(dir) {
            if let Cluster::Embedded(ledger) = ctx.client()?.transport {
                let now = ledger.unix_time()?;
                j["upgrade_authority"] = json!(ledger.upgrade_authority().to_string());
                j["clock"] = json!(hdx_sdk::export::rfc3339(now));
                text.push_str(&format!(
                    "\nupgrade authority: {}\nclock:      {}",
                    ledger.upgrade_authority(),
                    hdx_sdk::export::rfc3339(now)
                ));
            }
        } else {
            text.push_str("\n(the ledger is created by the first command that needs it; that command's keypair becomes the program's upgrade authority)");
        }
    }
    Ok(Output::new(j, text))
}
