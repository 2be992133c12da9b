//! # hdx-gateway — the data custodian
//!
//! Every Solana account is public, so a record's locator protects nothing by
//! itself. The gateway holds records' data sealed at rest and releases a
//! record's data only to the provider who was just granted it on-chain:
//! against a fresh, granted, unredeemed read entry of the patient's log, by
//! that provider, for that record, while the consent still allows it and the
//! provider is still verified, and only if the data's hash is the record's
//! on-chain content hash. Every upload, release and refusal goes to the
//! gateway's own trail with a [`Reason`]; a release names the log entry it
//! redeemed, so the two trails reconcile ([`reconcile`]).
//!
//! The protocol (paths, signed lines, headers) is in `hdx_sdk::gateway`.

pub mod reason;
pub mod seal;
pub mod server;
pub mod store;

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use hdx_sdk::client::{ClientError, HdxClient};
use hdx_sdk::codes::{Action, Outcome, ProviderStatus};
use hdx_sdk::gateway::{self as protocol, Uploaded};
use hdx_sdk::program::state::{Consent, LogEntry, LOG_PAGE_CAPACITY};
use hdx_sdk::transport::Transport;
use sha2::{Digest, Sha256};
use solana_sdk::signature::Signature;

pub use reason::{Reason, Refusal};
use seal::{MasterKey, Sealed};
use store::{Redemption, Store, StoreError, TrailRow};

/// The chain as the gateway reads it.
pub type Chain = HdxClient<Box<dyn Transport + Send + Sync>>;

/// Default release window: a request's time and a redeemed entry's age.
pub const DEFAULT_WINDOW_SECS: i64 = 300;
/// Default upload limit: 64 MiB.
pub const DEFAULT_MAX_UPLOAD: usize = 64 << 20;

#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// How far a request's time may be from the cluster's clock, and how old
    /// a redeemed entry may be, in seconds.
    pub window_secs: i64,
    /// Largest upload, in bytes.
    pub max_upload: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_secs: DEFAULT_WINDOW_SECS,
            max_upload: DEFAULT_MAX_UPLOAD,
        }
    }
}

/// A request as the gateway checks it: what the HTTP layer read.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path as received (not decoded).
    pub path: String,
    pub query: Option<String>,
    pub signer: Option<String>,
    pub signature: Option<String>,
    pub time: Option<String>,
    pub nonce: Option<String>,
}

/// A refused request: why, and what is known of it for the trail.
pub type Refused = Box<(Refusal, TrailRow)>;

/// A released record's data.
#[derive(Debug)]
pub struct Release {
    pub data: Vec<u8>,
    pub entry: u64,
    pub content_hash: [u8; 32],
}

pub struct Gateway {
    store: Store,
    key: MasterKey,
    chain: Chain,
    config: Config,
}

fn refuse<T>(reason: Reason, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(reason, message))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A cluster read that failed: "not found" is the caller's reason, anything else is the cluster's.
fn read<T>(
    r: Result<T, ClientError>,
    missing: Reason,
    what: impl FnOnce() -> String,
) -> Result<T, Refusal> {
    match r {
        Ok(v) => Ok(v),
        Err(ClientError::NotFound(_)) => refuse(missing, what()),
        Err(e) => refuse(
            Reason::ClusterUnavailable,
            format!("cannot read the cluster: {e}"),
        ),
    }
}

fn db(e: StoreError) -> Refusal {
    Refusal::new(Reason::Internal, format!("the gateway's store failed: {e}"))
}

impl Gateway {
    /// Opens the store in `dir` (creating it and its master key on first start).
    pub fn open(dir: &Path, chain: Chain, config: Config) -> anyhow::Result<Gateway> {
        let store = Store::open(dir)?;
        let key = MasterKey::load_or_create(&dir.join(Store::MASTER_KEY))?;
        Ok(Gateway {
            store,
            key,
            chain,
            config,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    pub fn config(&self) -> Config {
        self.config
    }

    fn cluster_time(&self) -> Result<i64, Refusal> {
        self.chain.transport.unix_time().map_err(|e| {
            Refusal::new(
                Reason::ClusterUnavailable,
                format!("cannot read the cluster's clock: {e}"),
            )
        })
    }

    /// Writes a refusal (or an outcome without its own row) to the trail.
    pub fn log(&self, request: &Request, refusal: &Refusal, row: TrailRow) {
        let row = TrailRow {
            at: now(),
            reason: refusal.reason.name().into(),
            method: request.method.clone(),
            path: request.path.clone(),
            signer: row.signer.or_else(|| request.signer.clone()),
            message: refusal.message.clone(),
            ..row
        };
        if let Err(e) = self.store.append(&row) {
            eprintln!("gateway: cannot write the trail: {e}");
        }
    }

    /// The signature headers, present, well-formed, valid over `line`, in
    /// the time window, and not replayed (the nonce is recorded).
    fn check_signed(
        &self,
        request: &Request,
        line: impl Fn(i64, &str) -> String,
    ) -> Result<Pubkey, Refusal> {
        let missing: Vec<&str> = [
            (protocol::SIGNER_HEADER, &request.signer),
            (protocol::SIGNATURE_HEADER, &request.signature),
            (protocol::TIME_HEADER, &request.time),
            (protocol::NONCE_HEADER, &request.nonce),
        ]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| *name)
        .collect();
        if !missing.is_empty() {
            return refuse(
                Reason::MissingSignature,
                format!("missing header(s): {}", missing.join(", ")),
            );
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let signer: Pubkey = text(&request.signer).parse().map_err(|_| {
            Refusal::new(
                Reason::MissingSignature,
                format!("{} is not a public key", protocol::SIGNER_HEADER),
            )
        })?;
        let signature: Signature = text(&request.signature).parse().map_err(|_| {
            Refusal::new(
                Reason::MissingSignature,
                format!("{} is not a base58 signature", protocol::SIGNATURE_HEADER),
            )
        })?;
        let time: i64 = text(&request.time).parse().map_err(|_| {
            Refusal::new(
                Reason::MissingSignature,
                format!("{} is not unix seconds", protocol::TIME_HEADER),
            )
        })?;
        let nonce = text(&request.nonce);
        if !(16..=64).contains(&nonce.len()) || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return refuse(
                Reason::MissingSignature,
                format!("{} must be 16 to 64 hex digits", protocol::NONCE_HEADER),
            );
        }
        if !protocol::verify(&signer, &signature, &line(time, &nonce)) {
            return refuse(
                Reason::BadSignature,
                format!("the signature is not {signer}'s over this request"),
            );
        }
        let cluster = self.cluster_time()?;
        if (time - cluster).abs() > self.config.window_secs {
            return refuse(
                Reason::StaleRequest,
                format!(
                    "the request's time {time} is {}s from the cluster's clock {cluster} (the window is {}s)",
                    time - cluster,
                    self.config.window_secs
                ),
            );
        }
        match self.store.use_nonce(&signer.to_string(), &nonce, time) {
            Ok(()) => {}
            Err(StoreError::NonceUsed) => {
                return refuse(
                    Reason::Replay,
                    format!("{signer} used nonce {nonce} before: a replayed request"),
                )
            }
            Err(e) => return Err(db(e)),
        }
        Ok(signer)
    }

    /// `PUT /v1/blobs/{patient}/{cid}`: the patient's current authority
    /// stores a record's data. Returns the receipt and the trail row written.
    pub fn upload(&self, request: &Request, body: &[u8]) -> Result<Uploaded, Refused> {
        let mut row = TrailRow::default();
        self.upload_checked(request, body, &mut row)
            .map_err(|refusal| Box::new((refusal, row)))
    }

    fn upload_checked(
        &self,
        request: &Request,
        body: &[u8],
        row: &mut TrailRow,
    ) -> Result<Uploaded, Refusal> {
        let (patient, cid) = parse_upload_path(&request.path)?;
        row.patient = Some(patient.to_string());
        row.cid = Some(cid.clone());
        row.bytes = Some(body.len() as u64);
        if body.len() > self.config.max_upload {
            return refuse(
                Reason::TooLarge,
                format!(
                    "the upload is {} bytes, the limit is {}",
                    body.len(),
                    self.config.max_upload
                ),
            );
        }
        let hash: [u8; 32] = Sha256::digest(body).into();
        let path = request.path.clone();
        let signer = self.check_signed(request, |time, nonce| {
            protocol::upload_line(&path, &hash, time, nonce)
        })?;
        row.signer = Some(signer.to_string());
        let named = hdx_sdk::cid::parse(&cid).expect("checked by the path");
        if named != hash {
            return refuse(
                Reason::ContentMismatch,
                format!(
                    "the body's SHA-256 is {}, the CID names {}",
                    protocol::hex(&hash),
                    protocol::hex(&named)
                ),
            );
        }
        let owner = read(self.chain.patient(&patient), Reason::NotAPatient, || {
            format!("{patient} is not a registered patient")
        })?;
        if owner.authority != signer {
            return refuse(
                Reason::NotPatientAuthority,
                format!(
                    "{} is not the current authority of patient {patient}",
                    signer
                ),
            );
        }
        let sealed = self
            .key
            .seal(&cid, body)
            .map_err(|e| Refusal::new(Reason::Internal, format!("cannot seal the upload: {e}")))?;
        let trail = TrailRow {
            at: now(),
            reason: Reason::Uploaded.name().into(),
            method: request.method.clone(),
            path: request.path.clone(),
            message: format!("{} bytes sealed", body.len()),
            ..row.clone()
        };
        self.store
            .put_blob(
                &patient.to_string(),
                &cid,
                body.len() as u64,
                &sealed,
                &trail,
            )
            .map_err(db)?;
        Ok(Uploaded {
            patient: patient.to_string(),
            locator: format!("{}{cid}", hdx_sdk::cid::IPFS_SCHEME),
            cid,
            content_hash: protocol::hex(&hash),
            bytes: body.len() as u64,
        })
    }

    /// `GET /v1/records/{patient}/{index}?entry=N`: a provider redeems a
    /// granted read entry for the record's data.
    pub fn release(&self, request: &Request) -> Result<Release, Refused> {
        let mut row = TrailRow::default();
        self.release_checked(request, &mut row)
            .map_err(|refusal| Box::new((refusal, row)))
    }

    fn release_checked(&self, request: &Request, row: &mut TrailRow) -> Result<Release, Refusal> {
        let (patient, index) = parse_release_path(&request.path)?;
        row.patient = Some(patient.to_string());
        row.record = Some(index);
        let sequence = parse_entry(request.query.as_deref())?;
        row.entry = Some(sequence);
        let path = request.path.clone();
        let signer = self.check_signed(request, |time, nonce| {
            protocol::release_line(&path, sequence, time, nonce)
        })?;
        row.signer = Some(signer.to_string());
        let provider = read(
            self.chain.provider_by_key(&signer),
            Reason::NotAProvider,
            || format!("{} is not a registered provider's current key", signer),
        )?;
        match provider.status {
            ProviderStatus::Verified => {}
            ProviderStatus::Suspended => {
                return refuse(
                    Reason::ProviderSuspended,
                    format!("provider {} is suspended", provider.id),
                )
            }
            ProviderStatus::Pending => {
                return refuse(
                    Reason::ProviderNotVerified,
                    format!("provider {} is not verified", provider.id),
                )
            }
        }
        read(self.chain.patient(&patient), Reason::NotAPatient, || {
            format!("{patient} is not a registered patient")
        })?;
        let entry = self.entry(&patient, sequence)?;
        let cluster_now = self.cluster_time()?;
        check_entry(
            &entry,
            &provider.number,
            index,
            cluster_now,
            self.config.window_secs,
        )
        .map_err(|(reason, message)| Refusal::new(reason, message))?;
        let patient_key = patient.to_string();
        if self.store.is_redeemed(&patient_key, sequence).map_err(db)? {
            return refuse(
                Reason::AlreadyRedeemed,
                format!("log entry {sequence} of patient {patient} was redeemed before"),
            );
        }
        let record = read(
            self.chain.record(&patient, index),
            Reason::RecordNotFound,
            || format!("patient {patient} has no record {index}"),
        )?;
        let unavailable = |e: ClientError| Refusal::new(Reason::ClusterUnavailable, e.to_string());
        if Action::from_code(entry.action) == Some(Action::EmergencyRead) {
            // An emergency read: the provider's window must still be open and
            // the patient's emergency preferences must still allow it.
            let windows = self
                .chain
                .emergency_windows(hdx_sdk::client::WindowFilter {
                    patient: Some(patient),
                    provider: Some(provider.id),
                    unreviewed: false,
                })
                .map_err(unavailable)?;
            let owner = self.chain.patient(&patient).map_err(unavailable)?;
            emergency_still_allows(&windows, &owner, record.category, cluster_now)
                .map_err(|m| Refusal::new(Reason::ConsentNotLive, m))?;
        } else {
            let consent = self
                .chain
                .consent(&patient, &provider.id)
                .map_err(unavailable)?;
            consent_still_allows(consent.as_ref(), &entry, record.clinical_day, cluster_now)
                .map_err(|m| Refusal::new(Reason::ConsentNotLive, m))?;
        }
        let locator = String::from_utf8_lossy(&record.locator).to_string();
        let cid = match hdx_sdk::cid::hash_of_locator(&locator) {
            Some(Ok(named)) if named == record.content_hash => hdx_sdk::cid::of_hash(&named),
            Some(Ok(_)) => {
                return refuse(
                    Reason::NotAGatewayRecord,
                    format!("record {index}'s locator names other content than its content hash"),
                )
            }
            _ => {
                return refuse(
                    Reason::NotAGatewayRecord,
                    format!("record {index}'s locator is not an ipfs:// CID"),
                )
            }
        };
        row.cid = Some(cid.clone());
        let data = self.open_blob(&patient_key, &cid, &record.content_hash)?;
        row.bytes = Some(data.len() as u64);
        let trail = TrailRow {
            at: now(),
            reason: Reason::Released.name().into(),
            method: request.method.clone(),
            path: request.path.clone(),
            message: format!("released against log entry {sequence}"),
            ..row.clone()
        };
        let provider_key = provider.id.to_string();
        match self.store.redeem(
            &Redemption {
                patient: &patient_key,
                sequence,
                provider: &provider_key,
                record: index,
            },
            &trail,
        ) {
            Ok(_) => Ok(Release {
                data,
                entry: sequence,
                content_hash: record.content_hash,
            }),
            Err(StoreError::AlreadyRedeemed) => refuse(
                Reason::AlreadyRedeemed,
                format!("log entry {sequence} of patient {patient} was redeemed before"),
            ),
            Err(e) => Err(db(e)),
        }
    }

    /// The log entry `sequence` of `patient`.
    fn entry(&self, patient: &Pubkey, sequence: u64) -> Result<LogEntry, Refusal> {
        let missing = || format!("patient {patient}'s log has no entry {sequence}");
        let page = u32::try_from(sequence / LOG_PAGE_CAPACITY as u64)
            .or_else(|_| refuse(Reason::EntryNotFound, missing()))?;
        let page = read(
            self.chain.log_page(patient, page),
            Reason::EntryNotFound,
            missing,
        )?;
        let found = page.used().find(|(s, _)| *s == sequence).map(|(_, e)| *e);
        found.ok_or_else(|| Refusal::new(Reason::EntryNotFound, missing()))
    }

    fn open_blob(&self, patient: &str, cid: &str, hash: &[u8; 32]) -> Result<Vec<u8>, Refusal> {
        let Some(row) = self.store.blob(patient, cid).map_err(db)? else {
            return refuse(
                Reason::BlobNotFound,
                format!("the gateway holds no data for {cid}"),
            );
        };
        let ciphertext = self.store.blob_file(patient, cid).map_err(|e| {
            Refusal::new(
                Reason::BlobCorrupt,
                format!("the sealed blob for {cid} cannot be read: {e}"),
            )
        })?;
        let data = self
            .key
            .open(
                cid,
                &Sealed {
                    ciphertext,
                    nonce: row.nonce,
                    wrapped_key: row.wrapped_key,
                    key_nonce: row.key_nonce,
                },
            )
            .map_err(|e| Refusal::new(Reason::BlobCorrupt, format!("{cid}: {e}")))?;
        let got: [u8; 32] = Sha256::digest(&data).into();
        if &got != hash {
            return refuse(
                Reason::HashMismatch,
                format!(
                    "the data's SHA-256 {} is not the record's content hash {}",
                    protocol::hex(&got),
                    protocol::hex(hash)
                ),
            );
        }
        Ok(data)
    }
}

/// The entry itself: granted, a read, by this provider, for this record, fresh.
pub fn check_entry(
    entry: &LogEntry,
    provider_number: &u32,
    index: u32,
    now: i64,
    window: i64,
) -> Result<(), (Reason, String)> {
    let outcome = Outcome::from_code(entry.outcome);
    if outcome != Some(Outcome::Granted) {
        return Err((
            Reason::EntryNotGranted,
            format!(
                "the entry was not granted ({})",
                outcome.map_or("unknown outcome", |o| o.name())
            ),
        ));
    }
    if !matches!(
        Action::from_code(entry.action),
        Some(Action::Read | Action::EmergencyRead)
    ) {
        return Err((Reason::EntryNotARead, "the entry is not a read".into()));
    }
    if entry.provider != *provider_number {
        return Err((
            Reason::OtherProvidersEntry,
            format!(
                "the entry is provider number {}'s, not the signer's ({provider_number})",
                entry.provider
            ),
        ));
    }
    if entry.record_index != index {
        return Err((
            Reason::OtherRecordsEntry,
            format!(
                "the entry is for record {}, not record {index}",
                entry.record_index
            ),
        ));
    }
    let age = now - i64::from(entry.time);
    if age > window {
        return Err((
            Reason::EntryStale,
            format!("the entry is {age}s old; the window is {window}s"),
        ));
    }
    Ok(())
}

/// Whether the consent still allows what the entry was granted: live, and
/// the entry's category, read, purpose and the record's day still in it.
/// The cap is not asked again: the access was counted when it was granted.
pub fn consent_still_allows(
    consent: Option<&Consent>,
    entry: &LogEntry,
    record_day: u32,
    now: i64,
) -> Result<(), String> {
    use hdx_sdk::codes::{Category, Purpose};
    let Some(c) = consent else {
        return Err("the consent was revoked".into());
    };
    if !c.is_live(now) {
        return Err(if now >= c.expires_at {
            "the consent has expired".into()
        } else {
            "the consent is not live yet".into()
        });
    }
    let category = Category::from_code(entry.category);
    let purpose = Purpose::from_code(entry.purpose);
    let allowed = category.is_some_and(|k| c.allows_category(k))
        && c.allows_mode(Action::Read.mode_bit())
        && purpose.is_some_and(|p| c.allows_purpose(p))
        && c.covers_day(record_day);
    if !allowed {
        return Err("the consent no longer covers this record, reading or this purpose".into());
    }
    Ok(())
}

/// Whether an emergency read may still be released: the program's own
/// emergency decision (`decide_emergency`) at this moment, on the provider's
/// latest window for the patient (one window per pair is open at a time).
pub fn emergency_still_allows(
    windows: &[hdx_sdk::program::state::EmergencyWindow],
    patient: &hdx_sdk::program::state::Patient,
    category: hdx_sdk::codes::Category,
    now: i64,
) -> Result<(), String> {
    let latest = windows.iter().max_by_key(|w| w.index);
    let outcome = latest.map_or(Outcome::EmergencyWindowEnded, |w| {
        hdx_sdk::program::instructions::decide_emergency(w, patient, category, now)
    });
    match outcome {
        Outcome::Granted => Ok(()),
        Outcome::EmergencyOptedOut => Err("the patient opted out of emergency access".into()),
        Outcome::EmergencyCategoryExcluded => {
            Err("the patient excluded this category from emergency access".into())
        }
        _ => Err("the emergency window has ended".into()),
    }
}

fn segments<'a>(path: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix(prefix)?;
    let (a, b) = rest.split_once('/')?;
    (!b.contains('/')).then_some((a, b))
}

fn parse_patient(s: &str) -> Result<Pubkey, Refusal> {
    s.parse().map_err(|_| {
        Refusal::new(
            Reason::BadRequest,
            format!(
                "{:?} is not a patient id (base58)",
                s.chars().take(60).collect::<String>()
            ),
        )
    })
}

/// `/v1/blobs/{patient}/{cid}`, the CID canonical (lowercase base32 CIDv1, raw, sha2-256).
pub fn parse_upload_path(path: &str) -> Result<(Pubkey, String), Refusal> {
    let (patient, cid) = segments(path, "/v1/blobs/").ok_or_else(|| {
        Refusal::new(
            Reason::BadRequest,
            "the path is not /v1/blobs/{patient}/{cid}",
        )
    })?;
    let patient = parse_patient(patient)?;
    let hash =
        hdx_sdk::cid::parse(cid).map_err(|e| Refusal::new(Reason::BadRequest, e.to_string()))?;
    if hdx_sdk::cid::of_hash(&hash) != cid {
        return refuse(
            Reason::BadRequest,
            "the CID is not in canonical form (lowercase base32)",
        );
    }
    Ok((patient, cid.to_string()))
}

/// `/v1/records/{patient}/{index}`.
pub fn parse_release_path(path: &str) -> Result<(Pubkey, u32), Refusal> {
    let (patient, index) = segments(path, "/v1/records/").ok_or_else(|| {
        Refusal::new(
            Reason::BadRequest,
            "the path is not /v1/records/{patient}/{index}",
        )
    })?;
    let patient = parse_patient(patient)?;
    let index = (index.bytes().all(|b| b.is_ascii_digit()) && !index.is_empty())
        .then(|| index.parse::<u32>().ok())
        .flatten()
        .ok_or_else(|| {
            Refusal::new(
                Reason::BadRequest,
                format!(
                    "{:?} is not a record index",
                    index.chars().take(60).collect::<String>()
                ),
            )
        })?;
    Ok((patient, index))
}

/// `entry=N`, the only query a release takes.
pub fn parse_entry(query: Option<&str>) -> Result<u64, Refusal> {
    let value = query
        .and_then(|q| q.strip_prefix("entry="))
        .ok_or_else(|| {
            Refusal::new(
                Reason::BadRequest,
                "name the log entry to redeem: ?entry=SEQUENCE",
            )
        })?;
    value
        .parse::<u64>()
        .ok()
        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            Refusal::new(
                Reason::BadRequest,
                format!(
                    "entry {:?} is not a log sequence number",
                    value.chars().take(40).collect::<String>()
                ),
            )
        })
}

/// How the gateway's releases compare with the chain.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Reconciliation {
    pub releases: u64,
    /// Releases matched by exactly one granted read entry of theirs.
    pub matched: u64,
    /// Releases whose entry is missing, not granted, not a read, or another's.
    pub unmatched: Vec<String>,
}

impl Reconciliation {
    pub fn ok(&self) -> bool {
        self.unmatched.is_empty() && self.matched == self.releases
    }
}

/// Checks every redemption against the chain: its entry exists, is a
/// granted read, by the provider and for the record it released to. Each
/// (patient, sequence) is redeemed at most once by the store's key, so a
/// full match means one granted entry per release.
pub fn reconcile(store: &Store, chain: &Chain) -> anyhow::Result<Reconciliation> {
    let mut out = Reconciliation::default();
    let mut pages: std::collections::BTreeMap<(Pubkey, u32), Vec<(u64, LogEntry)>> =
        Default::default();
    let mut numbers: std::collections::BTreeMap<Pubkey, u32> = Default::default();
    let releases = store.trail(0, usize::MAX)?;
    let released: Vec<&TrailRow> = releases
        .iter()
        .filter(|r| r.reason == Reason::Released.name())
        .collect();
    let redemptions = store.redemptions()?;
    anyhow::ensure!(
        released.len() == redemptions.len(),
        "the trail has {} releases but the store {} redemptions",
        released.len(),
        redemptions.len()
    );
    for (patient, sequence, provider, record) in redemptions {
        out.releases += 1;
        let patient: Pubkey = patient.parse()?;
        let provider: Pubkey = provider.parse()?;
        let number = match numbers.get(&provider) {
            Some(n) => *n,
            None => {
                let n = chain.provider(&provider)?.number;
                numbers.insert(provider, n);
                n
            }
        };
        let page = (sequence / LOG_PAGE_CAPACITY as u64) as u32;
        let entries = match pages.entry((patient, page)) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(match chain.log_page(&patient, page) {
                    Ok(p) => p.used().map(|(s, e)| (s, *e)).collect(),
                    Err(ClientError::NotFound(_)) => vec![],
                    Err(e) => return Err(e.into()),
                })
            }
        };
        let entry = entries
            .iter()
            .find(|(s, _)| *s == sequence)
            .map(|(_, e)| *e);
        let matched = entry.is_some_and(|e| {
            Outcome::from_code(e.outcome) == Some(Outcome::Granted)
                && matches!(
                    Action::from_code(e.action),
                    Some(Action::Read | Action::EmergencyRead)
                )
                && e.provider == number
                && e.record_index == record
        });
        if matched {
            out.matched += 1;
        } else {
            out.unmatched.push(format!(
                "patient {patient} entry {sequence} (record {record}, provider {provider})"
            ));
        }
    }
    Ok(out)
}
