//! High-level operations over any [`Transport`]: sign and send, fetch and
//! decode, and the provider's access and write with the log page handled
//! and denials turned into [`Denied`].

use std::collections::BTreeMap;
use std::sync::Arc;

use anchor_lang::{AccountDeserialize, AnchorDeserialize, Discriminator};
use health_data_exchange::codes::{EmergencyReason, ProviderStatus, Purpose, Verdict};
use health_data_exchange::instructions::{AddRecordArgs, WriteRecordArgs};
use health_data_exchange::state::{
    Consent, Directory, EmergencyWindow, LogPage, Patient, Provider, Record, Registry, Versioned,
};
use health_data_exchange::AccessResult;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::{Transaction, TransactionError};

use crate::accounts::{decode, decode_log_page, offsets, DecodeError};
use crate::audit::{page_entries, ChainCheck, ChainError, Entry, Log};
use crate::errors::{lookup, Denied};
use crate::history::HistoryError;
use crate::transport::{ClusterError, Memcmp, Receipt, SendError, Transport};
use crate::{ix, pda};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A verified provider's attempt was logged as denied.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The program refused the instruction with a named error; nothing changed.
    #[error("{name} (error {code}): {message}")]
    Program {
        code: u32,
        name: String,
        message: String,
        logs: Vec<String>,
    },
    /// The transaction failed for another reason; nothing changed.
    #[error("transaction failed: {error}")]
    Transaction {
        error: TransactionError,
        logs: Vec<String>,
    },
    /// An account (or a provider number, a window) that is not there.
    #[error("{0} not found")]
    NotFound(String),
    /// A name that fits more than one account (a key that is the current
    /// key of several providers).
    #[error("{0}")]
    Ambiguous(String),
    /// The cluster could not be reached or refused the request; nothing is
    /// known to have changed. `retryable()` says whether trying again may help.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// An account that is not what its address says (another type, an
    /// unknown layout version).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A patient's log that does not verify against its hash chain.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A consent history that does not match the accounts.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// A landed transaction that did not leave what the program always
    /// leaves (an access without its result).
    #[error("{0}")]
    Unexpected(String),
}

impl ClientError {
    /// Whether trying the same thing again later may succeed (the cluster
    /// could not be reached).
    pub fn retryable(&self) -> bool {
        matches!(self, ClientError::Cluster(c) if c.retryable())
    }

    /// The custom program error code, if this is one.
    pub fn program_code(&self) -> Option<u32> {
        match self {
            ClientError::Program { code, .. } => Some(*code),
            ClientError::Transaction {
                error: TransactionError::InstructionError(_, InstructionError::Custom(code)),
                ..
            } => Some(*code),
            _ => None,
        }
    }

    pub fn logs(&self) -> &[String] {
        match self {
            ClientError::Program { logs, .. } | ClientError::Transaction { logs, .. } => logs,
            _ => &[],
        }
    }
}

impl From<SendError> for ClientError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Failed {
                error: TransactionError::InstructionError(i, InstructionError::Custom(code)),
                logs,
            } => match lookup(code) {
                Some(named) => ClientError::Program {
                    code,
                    name: named.name.clone(),
                    message: named.message.clone(),
                    logs,
                },
                None => ClientError::Transaction {
                    error: TransactionError::InstructionError(i, InstructionError::Custom(code)),
                    logs,
                },
            },
            SendError::Failed { error, logs } => ClientError::Transaction { error, logs },
            SendError::Cluster(e) => ClientError::Cluster(e),
        }
    }
}

/// A granted read: the record's pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub sequence: u64,
    pub record_index: u32,
    pub locator: Vec<u8>,
    pub content_hash: [u8; 32],
}

/// Log pages fetched per `getMultipleAccounts` call (its limit is 100 keys).
pub const PAGES_PER_BATCH: usize = 100;

/// How many times a send is tried again when the log page filled or moved
/// under it ([`HdxClient::send_on_log_page`]).
pub const PAGE_RETRIES: usize = 8;

/// Whether the program refused a transaction because the log page it named
/// filled, or stopped being the current one, before it landed.
pub fn page_moved(e: &ClientError) -> bool {
    use health_data_exchange::error::HdxError;
    [HdxError::LogPageFull, HdxError::NotCurrentLogPage]
        .iter()
        .any(|h| e.program_code() == Some(u32::from(*h)))
}

/// The program's operations over a cluster: one client type whatever the
/// cluster is (an RPC cluster, the embedded node), holding it as
/// `Arc<dyn Transport>`.
#[derive(Clone)]
pub struct HdxClient {
    pub transport: Arc<dyn Transport>,
}

impl HdxClient {
    pub fn new(transport: impl Transport + 'static) -> Self {
        Self {
            transport: Arc::new(transport),
        }
    }

    /// A client over a transport others hold too (a node a server shares).
    pub fn shared(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// Signs with `payer` (fee payer) and `signers`, sends, and maps failures to named errors.
    ///
    /// The same instructions signed by the same keys against the same
    /// blockhash are the same transaction, which a cluster processes once
    /// ("already processed"). Sending them again means a new attempt, so the
    /// transaction is signed again with a newer blockhash (waiting up to about
    /// a second for the cluster to have one).
    pub fn send(
        &self,
        instructions: &[Instruction],
        payer: &dyn Signer,
        signers: &[&dyn Signer],
    ) -> Result<Receipt, ClientError> {
        let mut tx = self.transaction(instructions, payer, signers)?;
        for _ in 0..3 {
            match self.transport.send(&tx) {
                Err(SendError::Failed {
                    error: TransactionError::AlreadyProcessed,
                    ..
                }) => {
                    let used = tx.message.recent_blockhash;
                    let mut fresh = self.transport.latest_blockhash()?;
                    for _ in 0..30 {
                        if fresh != used {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        fresh = self.transport.latest_blockhash()?;
                    }
                    tx = self.sign(instructions, payer, signers, fresh);
                }
                other => return Ok(other?),
            }
        }
        Ok(self.transport.send(&tx)?)
    }

    fn sign(
        &self,
        instructions: &[Instruction],
        payer: &dyn Signer,
        signers: &[&dyn Signer],
        blockhash: solana_sdk::hash::Hash,
    ) -> Transaction {
        let mut all: Vec<&dyn Signer> = vec![payer];
        for s in signers {
            if s.pubkey() != payer.pubkey() {
                all.push(*s);
            }
        }
        Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &all, blockhash)
    }

    /// Builds and signs a transaction without sending it.
    pub fn transaction(
        &self,
        instructions: &[Instruction],
        payer: &dyn Signer,
        signers: &[&dyn Signer],
    ) -> Result<Transaction, ClientError> {
        let blockhash = self.transport.latest_blockhash()?;
        Ok(self.sign(instructions, payer, signers, blockhash))
    }

    pub fn fetch<A: AccountDeserialize + Versioned>(
        &self,
        address: &Pubkey,
    ) -> Result<Option<A>, ClientError> {
        match self.transport.account(address)? {
            Some(acc) if acc.owner == crate::PROGRAM_ID && !acc.data.is_empty() => {
                Ok(Some(decode(&acc.data)?))
            }
            _ => Ok(None),
        }
    }

    fn require<A: AccountDeserialize + Versioned>(
        &self,
        address: &Pubkey,
        what: String,
    ) -> Result<A, ClientError> {
        self.fetch(address)?.ok_or(ClientError::NotFound(what))
    }

    pub fn registry(&self) -> Result<Registry, ClientError> {
        self.require(&pda::registry().0, "registry".into())
    }

    /// The provider directory's published hash, if the registry authority published one.
    pub fn published_directory(&self) -> Result<Option<Directory>, ClientError> {
        self.fetch(&pda::directory().0)
    }

    /// Providers verified through a licence attestation that no longer holds
    /// at `now` (the chain's clock), each with the attestation's address and
    /// why: what `lapse_provider` would suspend (`hdx provider lapse-due`).
    pub fn lapse_due(
        &self,
        now: i64,
    ) -> Result<Vec<(Provider, Pubkey, health_data_exchange::codes::LapseReason)>, ClientError>
    {
        let policy = self.registry()?.credential_policy;
        let mut due = Vec::new();
        for p in self.providers(Some(ProviderStatus::Verified))? {
            if p.basis != health_data_exchange::codes::StatusBasis::Attestation {
                continue;
            }
            let (owner, lamports, data) = match self.transport.account(&p.attestation)? {
                Some(a) => (a.owner, a.lamports, a.data),
                None => (Pubkey::default(), 0, Vec::new()),
            };
            if let Some(reason) =
                health_data_exchange::state::lapse_reason(&owner, lamports, &data, &p, &policy, now)
            {
                let attestation = p.attestation;
                due.push((p, attestation, reason));
            }
        }
        Ok(due)
    }

    /// The provider with this id.
    pub fn provider(&self, id: &Pubkey) -> Result<Provider, ClientError> {
        self.require(&pda::provider(id).0, format!("provider {id}"))
    }

    /// The provider whose current signing key is `key`: the one registered
    /// with it (if never rotated away), else the one it was rotated to.
    pub fn provider_by_key(&self, key: &Pubkey) -> Result<Provider, ClientError> {
        if let Some(p) = self.fetch::<Provider>(&pda::provider(key).0)? {
            if p.signer == *key {
                return Ok(p);
            }
        }
        let found: Vec<Provider> =
            self.program_accounts(vec![Memcmp::new(offsets::PROVIDER_SIGNER, key.as_ref())])?;
        match found.len() {
            1 => Ok(found.into_iter().next().expect("one")),
            0 => Err(ClientError::NotFound(format!(
                "a provider whose current key is {key} ({key} is not a registered provider's key)"
            ))),
            _ => Err(ClientError::Ambiguous(format!(
                "{key} is the current key of {} providers; name the provider by id",
                found.len()
            ))),
        }
    }

    /// The patient with this id.
    pub fn patient(&self, id: &Pubkey) -> Result<Patient, ClientError> {
        self.require(&pda::patient(id).0, format!("patient {id}"))
    }

    /// Every patient whose current authority is `key`, ordered by id (the
    /// patient registered with `key` first, if `key` still controls it).
    pub fn patients_by_authority(&self, key: &Pubkey) -> Result<Vec<Patient>, ClientError> {
        let mut found: Vec<Patient> =
            self.program_accounts(vec![Memcmp::new(offsets::PATIENT_AUTHORITY, key.as_ref())])?;
        found.sort_by_key(|p| (p.id != *key, p.id));
        Ok(found)
    }

    pub fn record(&self, patient: &Pubkey, index: u32) -> Result<Record, ClientError> {
        self.require(
            &pda::record(patient, index).0,
            format!("record {index} of patient {patient}"),
        )
    }

    /// The consent of (patient id, provider id), if there is one.
    pub fn consent(
        &self,
        patient: &Pubkey,
        provider: &Pubkey,
    ) -> Result<Option<Consent>, ClientError> {
        self.fetch(&pda::consent(patient, provider).0)
    }

    pub fn log_page(&self, patient: &Pubkey, page: u32) -> Result<LogPage, ClientError> {
        let address = pda::log_page(patient, page).0;
        let acc = self
            .transport
            .account(&address)?
            .filter(|a| a.owner == crate::PROGRAM_ID)
            .ok_or_else(|| {
                ClientError::NotFound(format!("log page {page} of patient {patient}"))
            })?;
        Ok(decode_log_page(&acc.data)?)
    }

    /// Streams a patient's log: pages fetched [`PAGES_PER_BATCH`] at a time
    /// (`getMultipleAccounts`), each checked against the hash chain as it
    /// comes, every entry handed to `each` in order. Memory holds one batch
    /// however long the log. Returns the head; a chain that does not verify
    /// stops the stream with a [`crate::audit::ChainError`].
    pub fn stream_log<E: From<ClientError>>(
        &self,
        patient: &Pubkey,
        progress: &mut dyn FnMut(u64, u64),
        each: &mut dyn FnMut(Entry) -> Result<(), E>,
    ) -> Result<[u8; 32], E> {
        let count = self.patient(patient)?.log_pages;
        let mut check = ChainCheck::new(patient);
        let mut index = 0u32;
        while index < count {
            let end = count.min(index.saturating_add(PAGES_PER_BATCH as u32));
            let addresses: Vec<Pubkey> =
                (index..end).map(|i| pda::log_page(patient, i).0).collect();
            let accounts = self
                .transport
                .accounts(&addresses)
                .map_err(ClientError::from)?;
            for (i, acc) in (index..end).zip(accounts) {
                let acc = acc
                    .filter(|a| a.owner == crate::PROGRAM_ID)
                    .ok_or_else(|| {
                        ClientError::NotFound(format!("log page {i} of patient {patient}"))
                    })?;
                let page = decode_log_page(&acc.data).map_err(ClientError::from)?;
                check.page(&page).map_err(ClientError::from)?;
                for e in page_entries(&page) {
                    each(e)?;
                }
            }
            index = end;
            progress(u64::from(index), u64::from(count));
        }
        Ok(check.head())
    }

    /// Every page of a patient's log, in order (by patient id).
    pub fn log(&self, patient: &Pubkey) -> Result<Log, ClientError> {
        self.log_with_progress(patient, &mut |_, _| {})
    }

    /// Every page of a patient's log, fetched in batches; `progress(done, total)`
    /// is called after each batch (pages).
    pub fn log_with_progress(
        &self,
        patient: &Pubkey,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Log, ClientError> {
        let count = self.patient(patient)?.log_pages;
        let addresses: Vec<Pubkey> = (0..count).map(|i| pda::log_page(patient, i).0).collect();
        let mut pages = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(100) {
            for (address, acc) in chunk.iter().zip(self.transport.accounts(chunk)?) {
                let index = pages.len() as u32;
                let acc = acc
                    .filter(|a| a.owner == crate::PROGRAM_ID)
                    .ok_or_else(|| {
                        ClientError::NotFound(format!(
                            "log page {index} ({address}) of patient {patient}"
                        ))
                    })?;
                pages.push(decode_log_page(&acc.data)?);
            }
            progress(pages.len() as u64, u64::from(count));
        }
        Ok(Log {
            patient: *patient,
            pages,
        })
    }

    /// Program accounts of type `A` matching `filters` (the type's discriminator is added).
    pub fn program_accounts<A: AccountDeserialize + Discriminator + Versioned>(
        &self,
        mut filters: Vec<Memcmp>,
    ) -> Result<Vec<A>, ClientError> {
        filters.insert(0, Memcmp::new(0, A::DISCRIMINATOR));
        self.transport
            .program_accounts(&filters)?
            .into_iter()
            .map(|(_, acc)| Ok(decode(&acc.data)?))
            .collect()
    }

    /// Registered providers, optionally only those with `status`, ordered by number.
    pub fn providers(&self, status: Option<ProviderStatus>) -> Result<Vec<Provider>, ClientError> {
        let filters = status
            .map(|s| vec![Memcmp::new(offsets::PROVIDER_STATUS, &[s.code()])])
            .unwrap_or_default();
        let mut all: Vec<Provider> = self.program_accounts(filters)?;
        all.sort_by_key(|p| p.number);
        Ok(all)
    }

    /// Every provider by registry number: how log entries are resolved.
    pub fn provider_index(&self) -> Result<ProviderIndex, ClientError> {
        Ok(ProviderIndex {
            by_number: self
                .providers(None)?
                .into_iter()
                .map(|p| (p.number, p))
                .collect(),
        })
    }

    /// Live consents, by patient id and/or provider id, ordered by (patient, provider).
    pub fn consents(
        &self,
        patient: Option<&Pubkey>,
        provider: Option<&Pubkey>,
    ) -> Result<Vec<Consent>, ClientError> {
        let mut filters = Vec::new();
        if let Some(p) = patient {
            filters.push(Memcmp::new(offsets::CONSENT_PATIENT, p.as_ref()));
        }
        if let Some(p) = provider {
            filters.push(Memcmp::new(offsets::CONSENT_PROVIDER, p.as_ref()));
        }
        let mut all: Vec<Consent> = self.program_accounts(filters)?;
        all.sort_by_key(|c| (c.patient, c.provider));
        Ok(all)
    }

    /// Every record of a patient (by id), by index.
    pub fn records(&self, patient: &Pubkey) -> Result<Vec<Record>, ClientError> {
        let count = self.patient(patient)?.record_count;
        let addresses: Vec<Pubkey> = (0..count).map(|i| pda::record(patient, i).0).collect();
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(100) {
            for (address, acc) in chunk.iter().zip(self.transport.accounts(chunk)?) {
                let acc = acc
                    .filter(|a| a.owner == crate::PROGRAM_ID)
                    .ok_or_else(|| ClientError::NotFound(format!("record account {address}")))?;
                out.push(decode(&acc.data)?);
            }
        }
        Ok(out)
    }

    /// The patient's current page index, opening the next page first (paid
    /// by `payer`) when the current one is full. If another caller opened it
    /// in the meantime, that page is used.
    pub fn writable_log_page(
        &self,
        payer: &dyn Signer,
        patient: &Pubkey,
    ) -> Result<u32, ClientError> {
        let current = self.patient(patient)?.current_log_page();
        if !self.log_page(patient, current)?.is_full() {
            return Ok(current);
        }
        // Sent once, not through `send`'s AlreadyProcessed retry: threads
        // sharing a key open the same page with the same transaction under
        // the same blockhash, and "already processed" then means another
        // thread's copy landed; waiting for a new blockhash to send it again
        // would only stall (up to a block interval) to be refused.
        let tx = self.transaction(
            &[ix::open_log_page(payer.pubkey(), patient, current)],
            payer,
            &[],
        )?;
        let opened = self.transport.send(&tx);
        match opened {
            Ok(_) => Ok(current + 1),
            Err(e) => {
                let now = self.patient(patient)?.current_log_page();
                if now > current {
                    Ok(now)
                } else {
                    Err(e.into())
                }
            }
        }
    }

    /// Sends what `build(page)` builds against the patient's writable log
    /// page. Another caller's entries can fill that page (or open the next)
    /// between reading it and landing: the program refuses the transaction
    /// (`LogPageFull`, `NotCurrentLogPage`), nothing of it is kept, and it is
    /// sent again against the page as it is now, at most [`PAGE_RETRIES`] times.
    pub fn send_on_log_page(
        &self,
        payer: &dyn Signer,
        signers: &[&dyn Signer],
        patient: &Pubkey,
        build: &dyn Fn(u32) -> Vec<Instruction>,
    ) -> Result<Receipt, ClientError> {
        let mut retries = 0;
        loop {
            let page = self.writable_log_page(payer, patient)?;
            match self.send(&build(page), payer, signers) {
                Err(e) if retries < PAGE_RETRIES && page_moved(&e) => retries += 1,
                other => return other,
            }
        }
    }

    /// A provider (`signer`, its current key) reads one record's pointer for
    /// a purpose. A denial comes back as `ClientError::Denied` (it is logged
    /// on-chain all the same).
    pub fn access_record(
        &self,
        signer: &dyn Signer,
        provider_id: &Pubkey,
        patient_id: &Pubkey,
        record_index: u32,
        purpose: Purpose,
    ) -> Result<Granted, ClientError> {
        let receipt = self.send_on_log_page(signer, &[], patient_id, &|page| {
            vec![ix::access_record(
                signer.pubkey(),
                provider_id,
                patient_id,
                record_index,
                page,
                purpose,
            )]
        })?;
        granted(&receipt)
    }

    /// A provider adds a record pointer to a patient; returns the new record's index.
    pub fn write_record(
        &self,
        signer: &dyn Signer,
        provider_id: &Pubkey,
        patient_id: &Pubkey,
        args: WriteRecordArgs,
    ) -> Result<u32, ClientError> {
        let next = self.patient(patient_id)?.record_count;
        self.write_record_at(signer, provider_id, patient_id, next, args)
    }

    /// [`HdxClient::write_record`] as record `index` (the patient's next one:
    /// another record landing first takes it, and this write is refused).
    pub fn write_record_at(
        &self,
        signer: &dyn Signer,
        provider_id: &Pubkey,
        patient_id: &Pubkey,
        index: u32,
        args: WriteRecordArgs,
    ) -> Result<u32, ClientError> {
        let receipt = self.send_on_log_page(signer, &[], patient_id, &|page| {
            vec![ix::write_record(
                signer.pubkey(),
                provider_id,
                patient_id,
                index,
                page,
                args.clone(),
            )]
        })?;
        Ok(granted(&receipt)?.record_index)
    }

    /// The patient's authority adds a record pointer; returns its index.
    pub fn add_record(
        &self,
        authority: &dyn Signer,
        patient_id: &Pubkey,
        args: AddRecordArgs,
    ) -> Result<u32, ClientError> {
        let index = self.patient(patient_id)?.record_count;
        self.send(
            &[ix::add_record(authority.pubkey(), patient_id, index, args)],
            authority,
            &[],
        )?;
        Ok(index)
    }
}

/// Which emergency windows to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowFilter {
    pub patient: Option<Pubkey>,
    pub provider: Option<Pubkey>,
    /// Only windows without a verdict.
    pub unreviewed: bool,
}

impl HdxClient {
    /// Emergency windows matching `filter` (one `getProgramAccounts`), ordered
    /// by patient, then index.
    pub fn emergency_windows(
        &self,
        filter: WindowFilter,
    ) -> Result<Vec<EmergencyWindow>, ClientError> {
        let mut filters = Vec::new();
        if let Some(p) = filter.patient {
            filters.push(Memcmp::new(offsets::EMERGENCY_PATIENT, p.as_ref()));
        }
        if let Some(p) = filter.provider {
            filters.push(Memcmp::new(offsets::EMERGENCY_PROVIDER, p.as_ref()));
        }
        if filter.unreviewed {
            filters.push(Memcmp::new(
                offsets::EMERGENCY_VERDICT,
                &[Verdict::Unreviewed.code()],
            ));
        }
        let mut found: Vec<EmergencyWindow> = self.program_accounts(filters)?;
        found.sort_by_key(|w| (w.patient, w.index));
        Ok(found)
    }

    /// A patient's emergency window.
    pub fn emergency_window(
        &self,
        patient: &Pubkey,
        index: u32,
    ) -> Result<EmergencyWindow, ClientError> {
        self.require(
            &pda::emergency_window(patient, index).0,
            format!("emergency window {index} of patient {patient}"),
        )
    }

    /// A provider (`signer`, its current key, holding the emergency role)
    /// opens an emergency window for a patient; returns the window's index.
    pub fn open_emergency(
        &self,
        signer: &dyn Signer,
        provider_id: &Pubkey,
        patient_id: &Pubkey,
        reason: EmergencyReason,
        duration_secs: u32,
    ) -> Result<u32, ClientError> {
        let index = self.patient(patient_id)?.emergency_windows;
        self.send_on_log_page(signer, &[], patient_id, &|page| {
            vec![ix::open_emergency(
                signer.pubkey(),
                provider_id,
                patient_id,
                index,
                page,
                reason,
                duration_secs,
            )]
        })?;
        Ok(index)
    }

    /// An emergency read of one record inside window `window`; a denial
    /// (window over, opted out, category excluded) is `ClientError::Denied`.
    pub fn emergency_access(
        &self,
        signer: &dyn Signer,
        provider_id: &Pubkey,
        patient_id: &Pubkey,
        record_index: u32,
        window: u32,
    ) -> Result<Granted, ClientError> {
        let receipt = self.send_on_log_page(signer, &[], patient_id, &|page| {
            vec![ix::emergency_access(
                signer.pubkey(),
                provider_id,
                patient_id,
                record_index,
                window,
                page,
            )]
        })?;
        granted(&receipt)
    }
}

/// Every registered provider by registry number: resolves the provider
/// numbers in log entries. A number with no provider is an error, never a guess.
#[derive(Debug, Clone, Default)]
pub struct ProviderIndex {
    pub by_number: BTreeMap<u32, Provider>,
}

impl ProviderIndex {
    pub fn resolve(&self, number: u32) -> Result<&Provider, ClientError> {
        self.by_number.get(&number).ok_or_else(|| {
            ClientError::NotFound(format!(
                "provider number {number} (no registered provider has it)"
            ))
        })
    }

    /// The number of the provider with this id.
    pub fn number_of(&self, id: &Pubkey) -> Option<u32> {
        self.by_number
            .values()
            .find(|p| p.id == *id)
            .map(|p| p.number)
    }
}

/// What an access (or write) transaction returned: the pointer when
/// granted, `ClientError::Denied` with the reason and the log sequence
/// otherwise. For callers that build the transaction themselves (with a
/// priority fee, say) and send it with [`HdxClient::send`].
pub fn granted(receipt: &Receipt) -> Result<Granted, ClientError> {
    let result = access_result(receipt)?;
    outcome_of(&result)?;
    Ok(Granted {
        sequence: result.sequence,
        record_index: result.record_index,
        locator: result.locator,
        content_hash: result.content_hash,
    })
}

fn access_result(receipt: &Receipt) -> Result<AccessResult, ClientError> {
    let data = receipt.return_data.as_deref().ok_or_else(|| {
        ClientError::Unexpected(format!(
            "transaction {} returned no access result",
            receipt.signature
        ))
    })?;
    AccessResult::deserialize(&mut &data[..]).map_err(|e| {
        ClientError::Unexpected(format!(
            "transaction {} returned an access result that does not decode: {e}",
            receipt.signature
        ))
    })
}

fn outcome_of(result: &AccessResult) -> Result<(), ClientError> {
    if result.outcome.is_granted() {
        Ok(())
    } else {
        Err(Denied {
            reason: result.outcome,
            sequence: result.sequence,
        }
        .into())
    }
}
