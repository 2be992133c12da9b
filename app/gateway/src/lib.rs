//! # hdx-gateway — the data custodian
//!
//! Every Solana account is public, so a record's locator protects nothing by
//! itself. The gateway holds records' data sealed at rest and releases a
//! record's data only to the provider who was just granted it on-chain:
//! against a fresh, granted, unredeemed read entry of the patient's log, by
//! that provider, for that record, while the consent still allows it and the
//! provider is still verified, only through the record the data was uploaded
//! for (its binding: the record's index, category and creator, compared with
//! the record on-chain), and only if the data's hash is the record's
//! on-chain content hash. Every upload, release and refusal goes to the
//! gateway's own trail with a [`Reason`]; a release names the log entry it
//! redeemed, so the two trails reconcile ([`reconcile`]).
//!
//! The protocol (paths, signed lines, headers) is in `hdx_sdk::gateway`.

mod addresses;
mod group;
pub mod reason;
pub mod seal;
pub mod server;
pub mod store;
pub mod study;

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use hdx_sdk::client::{ClientError, HdxClient};
use hdx_sdk::codes::{Action, Category, Outcome, ProviderStatus, MODE_WRITE};
use hdx_sdk::gateway::{self as protocol, Uploaded};
use hdx_sdk::program::state::{Consent, LogEntry, LOG_PAGE_CAPACITY};
use sha2::{Digest, Sha256};
use solana_sdk::signature::Signature;

use addresses::{Addresses, Seeds};
pub use group::Batches;
pub use reason::{Reason, Refusal};
use seal::{MasterKey, Sealed};
use store::{Binding, Redemption, Store, StoreError, TrailRow};

/// The chain as the gateway reads it.
pub type Chain = HdxClient;

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
    addresses: Addresses,
    /// The key studies name as their custodian: it signs `record_release`.
    custodian: Option<solana_sdk::signature::Keypair>,
    /// Held while a study query is answered: a study's releases are
    /// recorded one after another, each at the index the last one left.
    studies: std::sync::Mutex<()>,
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

/// The accounts a release is decided on, all of one slot.
struct ReleaseView {
    clock: i64,
    /// The provider whose id is the one the view was read for.
    provider: Option<hdx_sdk::program::state::Provider>,
    patient: Option<hdx_sdk::program::state::Patient>,
    entry: Option<LogEntry>,
    record: Option<hdx_sdk::program::state::Record>,
    consent: Option<hdx_sdk::program::state::Consent>,
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
            addresses: Addresses::new(Addresses::CAPACITY),
            custodian: None,
            studies: std::sync::Mutex::new(()),
        })
    }

    /// The gateway answers the queries of studies that name `key`'s
    /// public key as their custodian, recording each release with it.
    pub fn with_custodian(mut self, key: solana_sdk::signature::Keypair) -> Gateway {
        self.custodian = Some(key);
        self
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
        let signed = verify_signed(request, line)?;
        self.check_time(&signed, self.cluster_time()?)?;
        match self
            .store
            .use_nonce(&signed.signer.to_string(), &signed.nonce, signed.time)
        {
            Ok(()) => Ok(signed.signer),
            Err(StoreError::NonceUsed) => Err(replayed(&signed)),
            Err(e) => Err(db(e)),
        }
    }

    /// Whether the signed request's time is within the window of the cluster's clock `cluster`.
    fn check_time(&self, signed: &Signed, cluster: i64) -> Result<(), Refusal> {
        let time = signed.time;
        // Any i64 may arrive: the distance is taken without overflow.
        let off = i128::from(time) - i128::from(cluster);
        if off.unsigned_abs() > u128::from(self.config.window_secs.unsigned_abs()) {
            return refuse(
                Reason::StaleRequest,
                format!(
                    "the request's time {time} is {off}s from the cluster's clock {cluster} (the window is {}s)",
                    self.config.window_secs
                ),
            );
        }
        Ok(())
    }

    /// `PUT /v1/blobs/{patient}/{cid}?record=N&category=C`: the data of
    /// record N of the patient, uploaded by whoever creates that record: the
    /// patient's current authority (`add_record`) or a verified provider
    /// with a live consent to write that category (`write_record`). The blob
    /// is bound to (record, category, uploader); an identical upload again
    /// changes nothing. Returns the receipt.
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
        let (record, category) = parse_upload_query(request.query.as_deref())?;
        row.record = Some(record);
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
            protocol::upload_line(&path, record, category, &hash, time, nonce)
        })?;
        row.signer = Some(signer.to_string());
        let named = hdx_sdk::cid::parse(&cid)
            .map_err(|e| Refusal::new(Reason::BadRequest, e.to_string()))?;
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
        let uploader = self.uploader(&owner, &signer, category)?;
        // A record that exists already must be the one this upload is for.
        if record < owner.record_count {
            let on_chain = read(
                self.chain.record(&patient, record),
                Reason::RecordNotFound,
                || format!("patient {patient} has no record {record}"),
            )?;
            let binding = Binding {
                patient: patient.to_string(),
                record,
                cid: cid.clone(),
                category: category.code(),
                uploader: uploader.to_string(),
            };
            binding_matches(&binding, &on_chain).map_err(|m| {
                Refusal::new(
                    Reason::BindingMismatch,
                    format!("record {record} exists on-chain and is not this upload's: {m}"),
                )
            })?;
        }
        let binding = Binding {
            patient: patient.to_string(),
            record,
            cid: cid.clone(),
            category: category.code(),
            uploader: uploader.to_string(),
        };
        let trail = TrailRow {
            at: now(),
            reason: Reason::Uploaded.name().into(),
            method: request.method.clone(),
            path: request.path.clone(),
            message: format!(
                "{} bytes for record {record} ({}) by {uploader}",
                body.len(),
                category.name()
            ),
            ..row.clone()
        };
        let put = self
            .store
            .put(
                &binding,
                body.len() as u64,
                |held| self.opens_to(&patient.to_string(), &cid, held, &hash),
                || {
                    self.key.seal(&cid, body).map_err(|e| {
                        StoreError::Io(std::io::Error::other(format!(
                            "cannot seal the upload: {e}"
                        )))
                    })
                },
                &trail,
            )
            .map_err(db)?;
        Ok(Uploaded {
            patient: patient.to_string(),
            record,
            category: category.name().into(),
            uploader: uploader.to_string(),
            created: put.bound,
            locator: format!("{}{cid}", hdx_sdk::cid::IPFS_SCHEME),
            cid,
            content_hash: protocol::hex(&hash),
            bytes: body.len() as u64,
        })
    }

    /// Who an upload signed by `signer` is from: the patient (its id) when
    /// the signer is its current authority; a provider (its id) when the
    /// signer is the current key of a verified provider whose consent lets
    /// it write `category` now.
    fn uploader(
        &self,
        patient: &hdx_sdk::program::state::Patient,
        signer: &Pubkey,
        category: Category,
    ) -> Result<Pubkey, Refusal> {
        if patient.authority == *signer {
            return Ok(patient.id);
        }
        let provider = match self.chain.provider_by_key(signer) {
            Ok(p) => p,
            Err(ClientError::NotFound(_)) => {
                return refuse(
                    Reason::NotPatientAuthority,
                    format!(
                        "{signer} is neither the current authority of patient {} nor a provider's current key",
                        patient.id
                    ),
                )
            }
            Err(e) => {
                return refuse(
                    Reason::ClusterUnavailable,
                    format!("cannot read the cluster: {e}"),
                )
            }
        };
        require_verified(&provider)?;
        let consent = self
            .chain
            .consent(&patient.id, &provider.id)
            .map_err(|e| Refusal::new(Reason::ClusterUnavailable, e.to_string()))?;
        let now = self.cluster_time()?;
        let writes = consent.as_ref().is_some_and(|c| {
            c.terms.is_live(now)
                && c.terms.allows_category(category)
                && c.terms.allows_mode(MODE_WRITE)
        });
        if !writes {
            return refuse(
                Reason::NoWriteConsent,
                format!(
                    "provider {} has no live consent of patient {} to write {}",
                    provider.id,
                    patient.id,
                    category.name()
                ),
            );
        }
        Ok(provider.id)
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
        let signed = verify_signed(request, |time, nonce| {
            protocol::release_line(&path, sequence, time, nonce)
        })?;
        row.signer = Some(signed.signer.to_string());
        // Everything the decision reads, in one read at one slot: the
        // clock, the provider, the patient, the entry's page, the record
        // and the consent.
        let mut view = self.release_view(&patient, &signed.signer, sequence, index)?;
        self.check_time(&signed, view.clock)?;
        let signer = signed.signer.to_string();
        if self.store.nonce_seen(&signer, &signed.nonce).map_err(db)? {
            return Err(replayed(&signed));
        }
        // From here on the request's nonce is spent whatever the answer: a
        // release records it with its redemption, a refusal on its own.
        match self.release_decided(request, row, &signed, sequence, patient, index, &mut view) {
            Ok(release) => Ok(release),
            Err(refusal) if refusal.reason == Reason::Replay => Err(refusal),
            Err(refusal) => match self.store.use_nonce(&signer, &signed.nonce, signed.time) {
                Err(StoreError::NonceUsed) | Ok(()) => Err(refusal),
                Err(e) => Err(db(e)),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn release_decided(
        &self,
        request: &Request,
        row: &mut TrailRow,
        signed: &Signed,
        sequence: u64,
        patient: Pubkey,
        index: u32,
        view: &mut ReleaseView,
    ) -> Result<Release, Refusal> {
        let signer = signed.signer;
        // A provider's id is its first key: the read above found it unless
        // the key was rotated, then it is found by its current key and read again.
        let provider = match view.provider.take() {
            Some(p) if p.signer == signer => p,
            _ => {
                let found = read(
                    self.chain.provider_by_key(&signer),
                    Reason::NotAProvider,
                    || format!("{} is not a registered provider's current key", signer),
                )?;
                *view = self.release_view(&patient, &found.id, sequence, index)?;
                self.check_time(signed, view.clock)?;
                match view.provider.take() {
                    Some(p) if p.signer == signer => p,
                    _ => {
                        return refuse(
                            Reason::NotAProvider,
                            format!("{} is not a registered provider's current key", signer),
                        )
                    }
                }
            }
        };
        require_verified(&provider)?;
        let owner = view.patient.take().ok_or_else(|| {
            Refusal::new(
                Reason::NotAPatient,
                format!("{patient} is not a registered patient"),
            )
        })?;
        let entry = view.entry.ok_or_else(|| {
            Refusal::new(
                Reason::EntryNotFound,
                format!("patient {patient}'s log has no entry {sequence}"),
            )
        })?;
        let cluster_now = view.clock;
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
        let record = view.record.take().ok_or_else(|| {
            Refusal::new(
                Reason::RecordNotFound,
                format!("patient {patient} has no record {index}"),
            )
        })?;
        let unavailable = |e: ClientError| Refusal::new(Reason::ClusterUnavailable, e.to_string());
        if Action::from_code(entry.action) == Some(Action::EmergencyRead) {
            // An emergency read: the window the entry names must still be
            // open, and the patient's emergency preferences (of the same
            // slot as the rest) must still allow it.
            let window = match self.chain.emergency_window(&patient, entry.basis) {
                Ok(w) if w.provider == provider.id => Some(w),
                Ok(_) | Err(ClientError::NotFound(_)) => None,
                Err(e) => return Err(unavailable(e)),
            };
            emergency_still_allows(window.as_ref(), &owner, record.category, cluster_now)
                .map_err(|m| Refusal::new(Reason::ConsentNotLive, m))?;
        } else {
            consent_still_allows(
                view.consent.as_ref(),
                &entry,
                record.clinical_day,
                cluster_now,
            )
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
        let (binding, held) = self.binding_for(&record, &cid)?;
        let data = self.open_blob(&patient_key, &cid, held, &record.content_hash)?;
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
        // Durable before the first byte leaves: the redemption (with the
        // request's nonce and the trail row) is in a committed batch when
        // this returns.
        match self.store.redeem_with_nonce(
            &Redemption {
                patient: &patient_key,
                sequence,
                provider: &provider_key,
                binding: &binding,
            },
            Some((&signer.to_string(), &signed.nonce, signed.time)),
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
            Err(StoreError::NonceUsed) => Err(replayed(signed)),
            Err(e) => Err(db(e)),
        }
    }

    /// What a release is decided on, read in one `getMultipleAccounts` (so
    /// all of it is of one slot): the Clock sysvar, the provider, the
    /// patient, the page of entry `sequence` and that entry, record `index`
    /// and the consent of (patient, provider). An account that is not there
    /// is `None`.
    fn release_view(
        &self,
        patient: &Pubkey,
        provider: &Pubkey,
        sequence: u64,
        index: u32,
    ) -> Result<ReleaseView, Refusal> {
        use hdx_sdk::accounts::{decode, decode_log_page};
        use hdx_sdk::program::state::{Consent, Patient, Provider, Record};
        let unavailable = |what: String| {
            Refusal::new(
                Reason::ClusterUnavailable,
                format!("cannot read the cluster: {what}"),
            )
        };
        // An entry past any page a u32 can index is not there.
        let page_index = u32::try_from(sequence / LOG_PAGE_CAPACITY as u64).ok();
        let addresses = [
            solana_sdk::sysvar::clock::ID,
            self.addresses.of(Seeds::Provider(*provider)),
            self.addresses.of(Seeds::Patient(*patient)),
            self.addresses
                .of(Seeds::LogPage(*patient, page_index.unwrap_or(u32::MAX))),
            self.addresses.of(Seeds::Record(*patient, index)),
            self.addresses.of(Seeds::Consent(*patient, *provider)),
        ];
        let accounts = self
            .chain
            .transport
            .accounts(&addresses)
            .map_err(|e| unavailable(e.to_string()))?;
        let [clock, registered, owner, page, record, consent] = <[_; 6]>::try_from(accounts)
            .map_err(|got: Vec<_>| unavailable(format!("{} accounts for 6", got.len())))?;
        let clock: solana_sdk::clock::Clock = clock
            .and_then(|a| bincode::deserialize(&a.data).ok())
            .ok_or_else(|| unavailable("the Clock sysvar does not decode".into()))?;
        let ours = |a: Option<solana_sdk::account::Account>| {
            a.filter(|a| a.owner == hdx_sdk::PROGRAM_ID && !a.data.is_empty())
        };
        let decoded = |e: hdx_sdk::accounts::DecodeError| unavailable(e.to_string());
        let entry = match (page_index, ours(page)) {
            (Some(_), Some(a)) => decode_log_page(&a.data)
                .map_err(decoded)?
                .used()
                .find(|(s, _)| *s == sequence)
                .map(|(_, e)| *e),
            _ => None,
        };
        Ok(ReleaseView {
            clock: clock.unix_timestamp,
            provider: ours(registered)
                .map(|a| decode::<Provider>(&a.data))
                .transpose()
                .map_err(decoded)?,
            patient: ours(owner)
                .map(|a| decode::<Patient>(&a.data))
                .transpose()
                .map_err(decoded)?,
            entry,
            record: ours(record)
                .map(|a| decode::<Record>(&a.data))
                .transpose()
                .map_err(decoded)?,
            consent: ours(consent)
                .map(|a| decode::<Consent>(&a.data))
                .transpose()
                .map_err(decoded)?,
        })
    }

    /// The binding `record` is released through: the blob `cid` uploaded
    /// for this very record, of its category, by its creator. The content
    /// alone never suffices (another record naming the same CID is refused).
    /// With it, the held copy of `cid`.
    fn binding_for(
        &self,
        record: &hdx_sdk::program::state::Record,
        cid: &str,
    ) -> Result<(Binding, store::BlobRow), Refusal> {
        let patient = record.patient.to_string();
        let Some(held) = self.store.blob(&patient, cid).map_err(db)? else {
            return refuse(
                Reason::BlobNotFound,
                format!("the gateway holds no data for {cid}"),
            );
        };
        let bindings = self
            .store
            .bindings(&patient, record.index, cid)
            .map_err(db)?;
        if bindings.is_empty() {
            return refuse(
                Reason::BlobNotBound,
                format!(
                    "the gateway holds {cid}, but it was not uploaded for record {} of patient {patient}",
                    record.index
                ),
            );
        }
        let mut why = Vec::new();
        for b in bindings {
            match binding_matches(&b, record) {
                Ok(()) => return Ok((b, held)),
                Err(m) => why.push(m),
            }
        }
        refuse(
            Reason::BindingMismatch,
            format!(
                "record {} is not the record {cid} was uploaded for: {}",
                record.index,
                why.join("; ")
            ),
        )
    }

    /// Whether the held copy `row` of `cid` opens to data with SHA-256 `hash`.
    fn opens_to(&self, patient: &str, cid: &str, row: &store::BlobRow, hash: &[u8; 32]) -> bool {
        let Ok(ciphertext) = self.store.blob_file(patient, row) else {
            return false;
        };
        let sealed = Sealed {
            ciphertext,
            nonce: row.nonce,
            wrapped_key: row.wrapped_key.clone(),
            key_nonce: row.key_nonce,
        };
        self.key
            .open(cid, &sealed)
            .is_ok_and(|data| <[u8; 32]>::from(Sha256::digest(&data)) == *hash)
    }

    /// Opens the held copy `row` of `cid` to data whose SHA-256 is `hash`.
    fn open_blob(
        &self,
        patient: &str,
        cid: &str,
        row: store::BlobRow,
        hash: &[u8; 32],
    ) -> Result<Vec<u8>, Refusal> {
        let ciphertext = self.store.blob_file(patient, &row).map_err(|e| {
            Refusal::new(
                Reason::BlobCorrupt,
                format!("the sealed blob for {cid} cannot be read: {e}"),
            )
        })?;
        let data = self
            .key
            .open_owned(
                cid,
                Sealed {
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

/// A request whose signature headers are present, well-formed and valid
/// over its line (not yet checked against the clock or the nonces).
struct Signed {
    signer: Pubkey,
    time: i64,
    nonce: String,
}

fn replayed(signed: &Signed) -> Refusal {
    Refusal::new(
        Reason::Replay,
        format!(
            "{} used nonce {} before: a replayed request",
            signed.signer, signed.nonce
        ),
    )
}

/// The signature headers, present, well-formed and valid over `line`.
fn verify_signed(request: &Request, line: impl Fn(i64, &str) -> String) -> Result<Signed, Refusal> {
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
    Ok(Signed {
        signer,
        time,
        nonce,
    })
}

fn require_verified(provider: &hdx_sdk::program::state::Provider) -> Result<(), Refusal> {
    match provider.status {
        ProviderStatus::Verified => Ok(()),
        ProviderStatus::Suspended => refuse(
            Reason::ProviderSuspended,
            format!("provider {} is suspended", provider.id),
        ),
        ProviderStatus::Pending => refuse(
            Reason::ProviderNotVerified,
            format!("provider {} is not verified", provider.id),
        ),
    }
}

/// Whether the on-chain `record` is the one `binding` was uploaded for: the
/// same patient and index, a locator naming the binding's CID, the same
/// category, and created by the uploader (the patient's id for a record
/// the patient added, the provider's id for one it wrote). The message
/// names each difference.
pub fn binding_matches(
    binding: &Binding,
    record: &hdx_sdk::program::state::Record,
) -> Result<(), String> {
    let mut why = Vec::new();
    if binding.patient != record.patient.to_string() || binding.record != record.index {
        why.push(format!(
            "it was uploaded for record {} of patient {}",
            binding.record, binding.patient
        ));
    }
    let locator = String::from_utf8_lossy(&record.locator);
    let named = hdx_sdk::cid::hash_of_locator(&locator).and_then(Result::ok);
    if named.map(|h| hdx_sdk::cid::of_hash(&h)) != Some(binding.cid.clone()) {
        why.push(format!(
            "the record's locator does not name {}",
            binding.cid
        ));
    }
    if binding.category != record.category.code() {
        why.push(format!(
            "it was uploaded as {}, the record is {}",
            Category::from_code(binding.category).map_or("an unknown category", |c| c.name()),
            record.category.name()
        ));
    }
    if binding.uploader != record.author.to_string() {
        why.push(format!(
            "it was uploaded by {}, the record was created by {}",
            binding.uploader, record.author
        ));
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join(", "))
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
    let age = now.saturating_sub(i64::from(entry.time));
    if age > window {
        return Err((
            Reason::EntryStale,
            format!("the entry is {age}s old; the window is {window}s"),
        ));
    }
    Ok(())
}

/// Whether the consent still allows what the entry was granted: the
/// program's own gate for an access already counted
/// (`gate::decide_counted`: every check but the cap, which counted the
/// access when it was granted), on the entry's category and purpose, a
/// read, the record's day, at `now`.
pub fn consent_still_allows(
    consent: Option<&Consent>,
    entry: &LogEntry,
    record_day: u32,
    now: i64,
) -> Result<(), String> {
    use hdx_sdk::codes::{Category, Purpose};
    use hdx_sdk::program::gate::{decide_counted, Request};
    let (Some(category), Some(purpose)) = (
        Category::from_code(entry.category),
        Purpose::from_code(entry.purpose),
    ) else {
        return Err("the entry names no category or purpose".into());
    };
    let request = Request {
        category,
        action: Action::Read,
        purpose,
        record_day,
        now,
    };
    match decide_counted(consent, &request) {
        Outcome::Granted => Ok(()),
        Outcome::NoConsent => Err("the consent was revoked".into()),
        Outcome::Expired => Err("the consent has expired".into()),
        Outcome::NotYetValid => Err("the consent is not live yet".into()),
        other => Err(format!(
            "the consent no longer covers this record, reading or this purpose ({})",
            other.name()
        )),
    }
}

/// Whether an emergency read may still be released: the program's own
/// emergency decision (`gate::decide_emergency`) at this moment, on the
/// window the entry names.
pub fn emergency_still_allows(
    window: Option<&hdx_sdk::program::state::EmergencyWindow>,
    patient: &hdx_sdk::program::state::Patient,
    category: hdx_sdk::codes::Category,
    now: i64,
) -> Result<(), String> {
    let outcome = window.map_or(Outcome::EmergencyWindowEnded, |w| {
        hdx_sdk::program::gate::decide_emergency(w, patient, category, now)
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

/// `/v1/studies/{study}/query`.
pub fn parse_study_path(path: &str) -> Result<Pubkey, Refusal> {
    let (study, query) = segments(path, "/v1/studies/").ok_or_else(|| {
        Refusal::new(
            Reason::BadRequest,
            "the path is not /v1/studies/{study}/query",
        )
    })?;
    if query != "query" {
        return refuse(
            Reason::BadRequest,
            "the path is not /v1/studies/{study}/query",
        );
    }
    study.parse().map_err(|_| {
        Refusal::new(
            Reason::BadRequest,
            format!(
                "{:?} is not a study address (base58)",
                study.chars().take(60).collect::<String>()
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

/// `record=N&category=NAME` (in either order, each once, nothing else): the
/// record an upload is for.
pub fn parse_upload_query(query: Option<&str>) -> Result<(u32, Category), Refusal> {
    let bad = |m: String| Refusal::new(Reason::BadRequest, m);
    let usage = "name the record the upload is for: ?record=INDEX&category=NAME";
    let query = query.ok_or_else(|| bad(usage.into()))?;
    let (mut record, mut category) = (None, None);
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').ok_or_else(|| bad(usage.into()))?;
        let shown = || v.chars().take(40).collect::<String>();
        match k {
            "record" if record.is_none() => {
                record = Some(
                    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| v.parse::<u32>().ok())
                        .flatten()
                        .ok_or_else(|| {
                            bad(format!("record {:?} is not a record index", shown()))
                        })?,
                )
            }
            "category" if category.is_none() => {
                category = Some(
                    Category::ALL
                        .iter()
                        .copied()
                        .find(|c| c.name() == v)
                        .ok_or_else(|| bad(format!("category {:?} is not a category", shown())))?,
                )
            }
            _ => {
                return Err(bad(format!(
                    "unexpected query parameter {:?}: {usage}",
                    k.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    match (record, category) {
        (Some(r), Some(c)) => Ok((r, c)),
        _ => Err(bad(usage.into())),
    }
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
    /// Releases matched by exactly one granted read entry of theirs, through
    /// the binding of the record the entry is for.
    pub matched: u64,
    /// Releases whose entry is missing, not granted, not a read, or
    /// another's, or whose binding is not the record's.
    pub unmatched: Vec<String>,
}

impl Reconciliation {
    pub fn ok(&self) -> bool {
        self.unmatched.is_empty() && self.matched == self.releases
    }
}

/// Checks every redemption against the chain: its entry exists, is a
/// granted read, by the provider and for the record it released to; and the
/// data went out through that record's binding (the record on-chain names
/// the blob, has the binding's category and was created by its uploader).
/// Each (patient, sequence) is redeemed at most once by the store's key, so
/// a full match means one granted entry per release.
pub fn reconcile(store: &Store, chain: &Chain) -> anyhow::Result<Reconciliation> {
    use std::collections::btree_map::{BTreeMap, Entry};
    let mut out = Reconciliation::default();
    let mut pages: BTreeMap<(Pubkey, u32), Vec<(u64, LogEntry)>> = Default::default();
    let mut numbers: BTreeMap<Pubkey, u32> = Default::default();
    let releases = store.trail(0, usize::MAX)?;
    let released = releases
        .iter()
        .filter(|r| r.reason == Reason::Released.name())
        .count();
    let redemptions = store.redemptions()?;
    anyhow::ensure!(
        released == redemptions.len(),
        "the trail has {} releases but the store {} redemptions",
        released,
        redemptions.len()
    );
    for r in redemptions {
        out.releases += 1;
        let patient: Pubkey = r.patient.parse()?;
        let provider: Pubkey = r.provider.parse()?;
        let index = r.binding.record;
        let number = match numbers.get(&provider) {
            Some(n) => *n,
            None => {
                let n = chain.provider(&provider)?.number;
                numbers.insert(provider, n);
                n
            }
        };
        let page = (r.sequence / LOG_PAGE_CAPACITY as u64) as u32;
        let entries = match pages.entry((patient, page)) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(match chain.log_page(&patient, page) {
                Ok(p) => p.used().map(|(s, e)| (s, *e)).collect(),
                Err(ClientError::NotFound(_)) => vec![],
                Err(e) => return Err(e.into()),
            }),
        };
        let entry = entries
            .iter()
            .find(|(s, _)| *s == r.sequence)
            .map(|(_, e)| *e);
        let entry_ok = entry.is_some_and(|e| {
            Outcome::from_code(e.outcome) == Some(Outcome::Granted)
                && matches!(
                    Action::from_code(e.action),
                    Some(Action::Read | Action::EmergencyRead)
                )
                && e.provider == number
                && e.record_index == index
        });
        let binding = match chain.record(&patient, index) {
            Ok(record) => binding_matches(&r.binding, &record),
            Err(ClientError::NotFound(_)) => Err(format!("record {index} does not exist")),
            Err(e) => return Err(e.into()),
        }
        .and_then(|()| match store.is_bound(&r.binding) {
            Ok(true) => Ok(()),
            Ok(false) => Err("the store holds no such binding".into()),
            Err(e) => Err(e.to_string()),
        });
        match (entry_ok, binding) {
            (true, Ok(())) => out.matched += 1,
            (entry_ok, binding) => out.unmatched.push(format!(
                "patient {patient} entry {} (record {index}, provider {provider}){}{}",
                r.sequence,
                if entry_ok {
                    String::new()
                } else {
                    ": no granted read of this record by this provider".into()
                },
                binding
                    .err()
                    .map_or(String::new(), |m| format!(": binding: {m}"))
            )),
        }
    }
    Ok(out)
}
