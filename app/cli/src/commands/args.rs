//! Arguments as typed on the command line, checked before anything is
//! sent: value parsers (a key, a code by name, a time, a count), the
//! record pointer `record add` and `write` take, and signers named by path.
//! Every refusal names the argument and what it accepts.

use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::{Category, ProviderKind, ProviderStatus, Purpose, MODE_READ, MODE_WRITE};
use solana_sdk::signature::Signer;

use super::output::hex;

/// A command line that lacks what the command needs (a flag it requires in
/// this use): a usage error, exit 2, as clap's own.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Fails with a [`UsageError`].
macro_rules! usage {
    ($($t:tt)*) => {
        return Err(anyhow::Error::new($crate::commands::args::UsageError(format!($($t)*))))
    };
}
pub(crate) use usage;

/// A whole number for a count or an index: `-3` is refused by name (clap
/// would otherwise read it as a flag), as is anything past `u32::MAX`.
pub fn parse_u32(s: &str) -> Result<u32, String> {
    if s.starts_with('-') && s[1..].chars().all(|c| c.is_ascii_digit()) && s.len() > 1 {
        return Err(format!(
            "{s} is negative: give a whole number from 0 to {}",
            u32::MAX
        ));
    }
    s.parse::<u32>()
        .map_err(|_| format!("{s:?} is not a whole number from 0 to {}", u32::MAX))
}

/// [`parse_u32`] for a count that fits 16 bits (renewals).
pub fn parse_u16(s: &str) -> Result<u16, String> {
    let n = parse_u32(s)?;
    u16::try_from(n).map_err(|_| format!("{s} is more than {}", u16::MAX))
}

/// A signer named on the command line or in the config (a keypair file,
/// `prompt://`, `stdin`, `usb://...`), `what` naming its role in messages.
/// A file that is not there gets the advice to create it; a directory or
/// a file that is not a keypair is named as such, never the advice to
/// overwrite it.
pub fn signer_arg(source: &str, what: &str) -> anyhow::Result<Box<dyn Signer>> {
    let role = if what.is_empty() {
        String::new()
    } else {
        format!("{what} ")
    };
    let is_file = !source.contains("://") && source != "stdin" && source != "ASK";
    if is_file {
        let path = std::path::Path::new(source);
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
                "the {role}keypair file \"{source}\" does not exist (create one with `hdx keygen --outfile {source}`)"
            ),
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot read the {role}keypair file \"{source}\"")))
            }
            Ok(m) if m.is_dir() => anyhow::bail!(
                "the {role}keypair \"{source}\" is a directory, not a keypair file"
            ),
            Ok(_) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    anyhow::Error::new(e)
                        .context(format!("cannot read the {role}keypair file \"{source}\""))
                })?;
                return solana_sdk::signature::read_keypair(&mut bytes.as_slice())
                    .map(|k| Box::new(k) as Box<dyn Signer>)
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "the {role}keypair file \"{source}\" is not a keypair (a JSON array of 64 bytes): {e}"
                        )
                    });
            }
        }
    }
    solana_clap_utils::keypair::signer_from_path(
        &clap2::ArgMatches::default(),
        source,
        if what.is_empty() { "keypair" } else { what },
        &mut None,
    )
    .map_err(|e| anyhow::anyhow!("the {role}signer {source:?}: {e}"))
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
        let clinical_day = clinical_day(self.clinical_date, now)?;
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

/// A record's clinical day as given (0: unknown), refused when it is in the
/// future at the cluster's time `now` (a day of slack for time zones).
pub fn clinical_day(date: Option<u32>, now: i64) -> anyhow::Result<u32> {
    let day = date.unwrap_or(0);
    anyhow::ensure!(
        i64::from(day) <= hdx_sdk::codes::day_of(now) + 1,
        "the clinical date {} is in the future",
        hdx_sdk::export::day_date(day)
    );
    Ok(day)
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
        _ => usage!("give exactly one of --content-hash or --content-file"),
    }
}

pub fn parse_reason(s: &str) -> Result<hdx_sdk::codes::EmergencyReason, String> {
    use hdx_sdk::codes::EmergencyReason;
    parse_named(
        "emergency reason",
        s,
        EmergencyReason::ALL,
        EmergencyReason::name,
    )
    .map_err(|_| {
        format!(
            "{s:?} is not an emergency reason ({})",
            names(EmergencyReason::ALL, EmergencyReason::name)
        )
    })
}

pub fn parse_verdict(s: &str) -> Result<hdx_sdk::codes::Verdict, String> {
    use hdx_sdk::codes::Verdict;
    match s {
        "justified" => Ok(Verdict::Justified),
        "not-justified" => Ok(Verdict::NotJustified),
        _ => Err(format!("{s:?} is not a verdict (justified, not-justified)")),
    }
}

/// A window length: a duration (30m, 1h), at least a second.
pub fn parse_window_secs(s: &str) -> Result<u32, String> {
    let secs = hdx::cluster::parse_duration(s).map_err(|e| e.to_string())?;
    u32::try_from(secs)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or_else(|| format!("{s:?} must be a positive duration"))
}

/// A cooldown: `0` (none) or a positive duration.
pub fn parse_cooldown(s: &str) -> Result<u32, String> {
    if s == "0" {
        return Ok(0);
    }
    parse_window_secs(s)
}

/// `on` or `off`.
pub fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{s:?}: say on or off")),
    }
}

/// `64MiB`, `512KiB`, `1GiB`, `1000`: bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 64MiB, 512KiB, 1000)"))?;
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1 << 10,
        "MiB" | "M" | "MB" => 1 << 20,
        "GiB" | "G" | "GB" => 1 << 30,
        other => return Err(format!("{other:?} is not a size unit (B, KiB, MiB, GiB)")),
    };
    n.checked_mul(scale)
        .filter(|b| (1..=(4usize << 30)).contains(b))
        .ok_or_else(|| format!("{s:?} is not a size between 1 byte and 4 GiB"))
}

pub fn parse_gateway_window(s: &str) -> Result<i64, String> {
    let secs = hdx::cluster::parse_duration(s).map_err(|e| e.to_string())?;
    if (1..=86_400).contains(&secs) {
        Ok(secs)
    } else {
        Err(format!(
            "the window {s:?} must be between 1 second and 1 day"
        ))
    }
}
