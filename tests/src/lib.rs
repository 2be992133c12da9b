//! Fixture for the integration tests: boots the program natively (through
//! `hdx_node::embedded`, the same runtime the demo and CLI use), offers
//! send-and-expect-success, send-and-expect-this-exact-error, read-and-decode
//! and clock control. Case files live in `tests/program/`.

pub mod model;
pub mod study_model;

use anchor_lang::AccountDeserialize;
use hdx_node::embedded::EmbeddedLedger;
use hdx_sdk::client::{ClientError, HdxClient};
use hdx_sdk::transport::{Receipt, SendError};
use hdx_sdk::{ix, pda};
use health_data_exchange::codes::{ProviderKind, ALL_PURPOSES, MODE_READ};
use health_data_exchange::error::HdxError;
use health_data_exchange::{AddRecordArgs, ConsentTerms, WriteRecordArgs};
use solana_sdk::account::Account;
use solana_sdk::instruction::{Instruction, InstructionError};

use solana_sdk::transaction::TransactionError;

pub use hdx_sdk::codes::{Category, Outcome, Purpose};
pub use solana_sdk::pubkey::Pubkey;
pub use solana_sdk::signature::{Keypair, Signer};

pub const DAY: i64 = 86_400;

/// The error a failing instruction at `index` returns for a custom code.
pub fn custom(index: u8, code: u32) -> TransactionError {
    TransactionError::InstructionError(index, InstructionError::Custom(code))
}

/// An `HdxError` as its on-chain code.
pub fn hdx(e: HdxError) -> u32 {
    e.into()
}

/// An Anchor framework error as its on-chain code.
pub fn anchor(e: anchor_lang::error::ErrorCode) -> u32 {
    e.into()
}

/// Checks, then effects (docs/DESIGN.md): a refused transaction's account
/// writes are rolled back, so what an effect made before a check can only
/// show in its logs. A refused instruction emitted no event and created no
/// account (no system program call) before it was refused.
#[track_caller]
pub fn assert_checks_before_effects(logs: &[String]) {
    let system = format!("Program {} invoke", anchor_lang::system_program::ID);
    assert!(
        !logs
            .iter()
            .any(|l| l.starts_with("Program data:") || l.starts_with(&system)),
        "an event was emitted or an account created before a check refused the transaction:\n{}",
        logs.join("\n")
    );
}

/// The committed IDL (the tests read the repository; the SDK reads nothing
/// outside its package).
pub const IDL_JSON: &str = include_str!("../../idl/health_data_exchange.json");

pub struct Fixture {
    pub client: HdxClient,
    ledger: EmbeddedLedger,
    pub upgrade_authority: Keypair,
    pub authority: Keypair,
}

impl Fixture {
    /// A ledger with the program and no registry yet.
    pub fn bare() -> Self {
        let upgrade_authority = Keypair::new();
        let ledger = EmbeddedLedger::new(&upgrade_authority.pubkey()).expect("ledger starts");
        let f = Self {
            client: ledger.client(),
            ledger,
            upgrade_authority,
            authority: Keypair::new(),
        };
        f.fund(&f.upgrade_authority.pubkey());
        f.fund(&f.authority.pubkey());
        f
    }

    /// A ledger with the registry initialised by the upgrade authority.
    pub fn new() -> Self {
        let f = Self::bare();
        f.ok(
            &[ix::initialize_registry(
                f.upgrade_authority.pubkey(),
                f.upgrade_authority.pubkey(),
                f.authority.pubkey(),
            )],
            &f.upgrade_authority,
            &[],
        );
        f
    }

    pub fn ledger(&self) -> &EmbeddedLedger {
        &self.ledger
    }

    pub fn fund(&self, key: &Pubkey) {
        self.ledger()
            .airdrop(key, 100_000_000_000)
            .expect("airdrop");
    }

    pub fn funded(&self) -> Keypair {
        let k = Keypair::new();
        self.fund(&k.pubkey());
        k
    }

    pub fn now(&self) -> i64 {
        self.ledger().now()
    }

    pub fn advance(&self, seconds: i64) {
        self.ledger().advance(seconds)
    }

    /// Sends and expects success; on failure panics with the error and logs.
    pub fn ok(&self, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Receipt {
        let signers: Vec<&dyn Signer> = signers.iter().map(|k| *k as &dyn Signer).collect();
        let tx = self
            .client
            .transaction(ixs, payer, &signers)
            .expect("tx builds");
        match self.client.transport.send(&tx) {
            Ok(r) => r,
            Err(SendError::Failed { error, logs }) => {
                panic!(
                    "expected success, got {error:?}\nlogs:\n{}",
                    logs.join("\n")
                )
            }
            Err(e) => panic!("expected success, got {e}"),
        }
    }

    /// Sends and expects exactly `expected`; returns nothing changed is checked by callers.
    pub fn fails(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        expected: TransactionError,
    ) {
        let signers: Vec<&dyn Signer> = signers.iter().map(|k| *k as &dyn Signer).collect();
        let tx = self
            .client
            .transaction(ixs, payer, &signers)
            .expect("tx builds");
        match self.client.transport.send(&tx) {
            Ok(r) => panic!(
                "expected {expected:?}, the transaction succeeded\nlogs:\n{}",
                r.logs.join("\n")
            ),
            Err(SendError::Failed { error, logs }) => {
                assert_eq!(error, expected);
                assert_checks_before_effects(&logs);
            }
            Err(e) => panic!("expected {expected:?}, got {e}"),
        }
    }

    /// Shorthand: the first (only) instruction fails with `code`.
    pub fn fails_with(
        &self,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        code: u32,
    ) {
        let index = (ixs.len() - 1) as u8;
        self.fails(ixs, payer, signers, custom(index, code))
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.client
            .transport
            .account(address)
            .expect("account read")
    }

    pub fn decode<T: AccountDeserialize>(&self, address: &Pubkey) -> T {
        let acc = self.account(address).expect("account exists");
        T::try_deserialize(&mut &acc.data[..]).expect("decodes")
    }

    /// A registered provider (pending unless `verified`); its key is its id.
    pub fn provider(&self, kind: ProviderKind, verified: bool) -> Keypair {
        let p = self.funded();
        self.ok(&[ix::register_provider(p.pubkey(), kind, [7; 32])], &p, &[]);
        if verified {
            self.ok(
                &[ix::verify_provider(self.authority.pubkey(), &p.pubkey())],
                &self.authority,
                &[],
            );
        }
        p
    }

    pub fn verified_provider(&self) -> Keypair {
        self.provider(ProviderKind::Hospital, true)
    }

    /// A registered patient; its key is its id and authority.
    pub fn patient(&self) -> Keypair {
        let p = self.funded();
        self.ok(&[ix::register_patient(p.pubkey())], &p, &[]);
        p
    }

    /// Adds a record in `category` (clinical day unknown); returns its index.
    pub fn record(&self, patient: &Keypair, category: Category) -> u32 {
        self.record_on(patient, category, 0)
    }

    /// Adds a record in `category` with a clinical day; returns its index.
    pub fn record_on(&self, patient: &Keypair, category: Category, clinical_day: u32) -> u32 {
        let id = patient.pubkey();
        let index = self.client.patient(&id).unwrap().record_count;
        self.ok(
            &[ix::add_record(
                id,
                &id,
                index,
                AddRecordArgs {
                    category,
                    clinical_day,
                    locator: format!("vault://{index}").into_bytes(),
                    content_hash: [index as u8 + 1; 32],
                },
            )],
            patient,
            &[],
        );
        index
    }

    /// Terms live from now for `days` (no cap, range or renewal).
    pub fn terms(&self, categories: u16, modes: u8, purposes: u8, days: i64) -> ConsentTerms {
        ConsentTerms {
            categories,
            modes,
            purposes,
            not_before: self.now(),
            expires_at: self.now() + days * DAY,
            ..ConsentTerms::default()
        }
    }

    /// Lab results, read, treatment, a 10-day window and a 10-day renewal
    /// period with `renewals` renewals.
    pub fn renewable(&self, renewals: u16) -> ConsentTerms {
        ConsentTerms {
            renewal_period_secs: 10 * DAY as u32,
            renewals_allowed: renewals,
            ..self.terms(
                Category::LabResults.bit(),
                hdx_sdk::codes::MODE_READ,
                Purpose::Treatment.bit(),
                10,
            )
        }
    }

    /// The patient (key = id = authority) grants `terms` to `provider` (key = id).
    pub fn grant(&self, patient: &Keypair, provider: &Keypair, terms: ConsentTerms) {
        let id = patient.pubkey();
        self.ok(
            &[ix::grant_consent(id, &id, &provider.pubkey(), terms)],
            patient,
            &[],
        );
    }

    /// Read access to `category` for `purpose`, 30 days.
    pub fn grant_read(
        &self,
        patient: &Keypair,
        provider: &Keypair,
        category: Category,
        purpose: Purpose,
    ) {
        let terms = self.terms(category.bit(), MODE_READ, purpose.bit(), 30);
        self.grant(patient, provider, terms);
    }

    /// The common scene: a verified provider with a 30-day read consent for
    /// treatment on a patient's lab result (record returned).
    pub fn lab_consent(&self) -> (Keypair, Keypair, u32) {
        let provider = self.verified_provider();
        let patient = self.patient();
        let rec = self.record(&patient, Category::LabResults);
        self.grant_read(
            &patient,
            &provider,
            Category::LabResults,
            Purpose::Treatment,
        );
        (provider, patient, rec)
    }

    /// A broad consent: every category, given modes, every purpose, 30 days.
    pub fn grant_all(&self, patient: &Keypair, provider: &Keypair, modes: u8) {
        let terms = self.terms(
            health_data_exchange::codes::ALL_CATEGORIES,
            modes,
            ALL_PURPOSES,
            30,
        );
        self.grant(patient, provider, terms);
    }

    /// Access through the SDK (the provider's key is its id); Ok(locator) or the client error.
    pub fn access(
        &self,
        provider: &Keypair,
        patient: &Keypair,
        record: u32,
        purpose: Purpose,
    ) -> Result<hdx_sdk::client::Granted, ClientError> {
        self.client.access_record(
            provider,
            &provider.pubkey(),
            &patient.pubkey(),
            record,
            purpose,
        )
    }

    /// Expects a logged denial with `reason`.
    pub fn expect_denied(
        &self,
        provider: &Keypair,
        patient: &Keypair,
        record: u32,
        purpose: Purpose,
        reason: Outcome,
    ) {
        match self.access(provider, patient, record, purpose) {
            Err(ClientError::Denied(d)) => assert_eq!(d.reason, reason),
            other => panic!("expected denial {reason:?}, got {other:?}"),
        }
    }

    pub fn registry_address(&self) -> Pubkey {
        pda::registry().0
    }

    /// `access_record`'s accounts for `provider` (key = id) reading `patient`'s
    /// record at the patient's current page: the base an attack test
    /// substitutes into by name (`AccessRecord { consent: x, ..base }`).
    pub fn access_accounts(
        &self,
        provider: &Keypair,
        patient: &Keypair,
        record: u32,
    ) -> health_data_exchange::accounts::AccessRecord {
        let (p, t) = (provider.pubkey(), patient.pubkey());
        ix::access_record_accounts(p, &p, &t, record, self.current_page(&t))
    }

    /// The access instruction from (possibly substituted) accounts.
    pub fn access_ix(
        &self,
        accounts: health_data_exchange::accounts::AccessRecord,
        purpose: Purpose,
    ) -> Instruction {
        ix::build(
            accounts,
            health_data_exchange::instruction::AccessRecord {
                args: health_data_exchange::AccessArgs { purpose },
            },
        )
    }

    /// A write's arguments: a lab result, for treatment, clinical day unknown.
    pub fn write_args(&self) -> WriteRecordArgs {
        WriteRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: b"lab://result/1".to_vec(),
            content_hash: [3; 32],
            purpose: Purpose::Treatment,
        }
    }

    /// `write_record`'s accounts for `provider` (key = id) writing `patient`'s next record.
    pub fn write_accounts(
        &self,
        provider: &Keypair,
        patient: &Keypair,
    ) -> health_data_exchange::accounts::WriteRecord {
        let (p, t) = (provider.pubkey(), patient.pubkey());
        let next = self.client.patient(&t).unwrap().record_count;
        ix::write_record_accounts(p, &p, &t, next, self.current_page(&t))
    }

    pub fn write_ix(
        &self,
        accounts: health_data_exchange::accounts::WriteRecord,
        args: WriteRecordArgs,
    ) -> Instruction {
        ix::build(
            accounts,
            health_data_exchange::instruction::WriteRecord { args },
        )
    }

    /// Revokes (patient key = id = authority).
    pub fn revoke(&self, patient: &Keypair, provider: &Keypair) {
        let id = patient.pubkey();
        self.ok(
            &[ix::revoke_consent(id, &id, &provider.pubkey())],
            patient,
            &[],
        );
    }

    /// Updates (patient key = id = authority).
    pub fn update(&self, patient: &Keypair, provider: &Keypair, terms: ConsentTerms) {
        let id = patient.pubkey();
        self.ok(
            &[ix::update_consent(id, &id, &provider.pubkey(), terms)],
            patient,
            &[],
        );
    }

    /// Rotates the provider whose id is `id` from `current` to a new funded key.
    pub fn rotate_provider(&self, id: &Pubkey, current: &Keypair) -> Keypair {
        let new = self.funded();
        self.ok(
            &[ix::rotate_provider_key(current.pubkey(), new.pubkey(), id)],
            current,
            &[&new],
        );
        new
    }

    /// Rotates the patient whose id is `id` from `current` to a new funded key.
    pub fn rotate_patient(&self, id: &Pubkey, current: &Keypair) -> Keypair {
        let new = self.funded();
        self.ok(
            &[ix::rotate_patient_authority(
                current.pubkey(),
                new.pubkey(),
                id,
            )],
            current,
            &[&new],
        );
        new
    }
}

/// Sets the signer and writable flags of the account `key` in `ix` (an
/// attack that drops a signature or a write lock names the account, not a position).
pub fn set_flags(mut ix: Instruction, key: &Pubkey, signer: bool, writable: bool) -> Instruction {
    for m in ix.accounts.iter_mut().filter(|m| m.pubkey == *key) {
        m.is_signer = signer;
        m.is_writable = writable;
    }
    ix
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Log helpers.
impl Fixture {
    pub fn log(&self, patient: &Pubkey) -> hdx_sdk::audit::Log {
        self.client.log(patient).expect("log reads")
    }

    pub fn log_len(&self, patient: &Pubkey) -> usize {
        self.log(patient).entries().len()
    }

    pub fn last_entry(&self, patient: &Pubkey) -> hdx_sdk::audit::Entry {
        *self
            .log(patient)
            .entries()
            .last()
            .expect("log has an entry")
    }

    /// A provider's registry number.
    pub fn number(&self, provider: &Keypair) -> u32 {
        self.client.provider(&provider.pubkey()).unwrap().number
    }

    pub fn current_page(&self, patient: &Pubkey) -> u32 {
        self.client.patient(patient).unwrap().current_log_page()
    }
}

/// Emergency helpers.
impl Fixture {
    /// A verified provider holding the emergency role.
    pub fn emergency_provider(&self) -> Keypair {
        let p = self.verified_provider();
        self.ok(
            &[ix::set_provider_roles(
                self.authority.pubkey(),
                &p.pubkey(),
                health_data_exchange::codes::ROLE_EMERGENCY,
            )],
            &self.authority,
            &[],
        );
        p
    }

    /// `provider` (key = id) opens an emergency window for `patient`: the instruction.
    pub fn open_emergency_ix(
        &self,
        provider: &Keypair,
        patient: &Pubkey,
        duration_secs: u32,
    ) -> Instruction {
        let index = self.client.patient(patient).unwrap().emergency_windows;
        ix::open_emergency(
            provider.pubkey(),
            &provider.pubkey(),
            patient,
            index,
            self.current_page(patient),
            health_data_exchange::codes::EmergencyReason::PatientCannotConsent,
            duration_secs,
        )
    }

    /// Opens a window; returns its index.
    pub fn open_emergency(&self, provider: &Keypair, patient: &Pubkey, duration_secs: u32) -> u32 {
        self.client
            .open_emergency(
                provider,
                &provider.pubkey(),
                patient,
                health_data_exchange::codes::EmergencyReason::PatientCannotConsent,
                duration_secs,
            )
            .unwrap()
    }

    /// An emergency read through the SDK.
    pub fn emergency_read(
        &self,
        provider: &Keypair,
        patient: &Pubkey,
        record: u32,
        window: u32,
    ) -> Result<hdx_sdk::client::Granted, ClientError> {
        self.client
            .emergency_access(provider, &provider.pubkey(), patient, record, window)
    }

    /// The emergency read's instruction at the patient's current page.
    pub fn emergency_read_ix(
        &self,
        provider: &Keypair,
        patient: &Pubkey,
        record: u32,
        window: u32,
    ) -> Instruction {
        ix::emergency_access(
            provider.pubkey(),
            &provider.pubkey(),
            patient,
            record,
            window,
            self.current_page(patient),
        )
    }
}

/// The one event a transaction emitted (panics naming them when it is not exactly one).
pub fn only(r: &Receipt) -> hdx_sdk::events::HdxEvent {
    match &hdx_sdk::events::parse_logs(&r.logs)[..] {
        [e] => e.clone(),
        other => panic!("expected one event, got {other:?}"),
    }
}
