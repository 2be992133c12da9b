//! The cost report: real transactions in the native harness, measured for
//! account sizes, rent, serialized size and writable accounts, and the log's
//! cost per access. `hdx cost [--json]` prints it; a test asserts the budgets.

use std::collections::BTreeSet;

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::{
    Category, EmergencyReason, GuardianMode, ProviderKind, Purpose, Verdict, ALL_PURPOSES, MAX_DAY,
    MODE_READ, MODE_WRITE, ROLE_EMERGENCY,
};
use health_data_exchange::instructions::{AddRecordArgs, WriteRecordArgs};
use health_data_exchange::state::{
    Consent, Directory, EmergencyTracker, EmergencyWindow, Enrollment, GuardianSet, LogPage,
    Patient, Proposal, Provider, Record, Registry, ReleaseFacts, Study, StudyRelease, StudyTerms,
    LOG_PAGE_CAPACITY,
};
use health_data_exchange::{ConsentTerms, EmergencyPreferences, ProposalAction};
use serde::Serialize;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;

use hdx_node::embedded::EmbeddedLedger;
use hdx_sdk::client::HdxClient;
use hdx_sdk::ix;

/// Budgets from docs/DESIGN.md.
pub mod budget {
    pub const LOG_BYTES_PER_ACCESS: f64 = 24.0;
    pub const LOG_RENT_PER_ACCESS: u64 = 167_040;
    pub const CONSENT_ACCOUNT_BYTES: usize = 160;
    pub const ACCESS_TX_BYTES: usize = 700;
    /// Fee payer, the log page, the (patient, provider) consent.
    pub const ACCESS_WRITABLE_ACCOUNTS: usize = 3;
    /// One (study, patient) enrolment: there is one per patient per study joined.
    pub const ENROLLMENT_ACCOUNT_BYTES: usize = 128;
    /// One study release (an entry of the study's log).
    pub const STUDY_RELEASE_BYTES: usize = 192;
    /// A study release writes the custodian (fee payer), the study and the new release.
    pub const STUDY_RELEASE_WRITABLE_ACCOUNTS: usize = 3;
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedAccount {
    pub address: String,
    pub bytes: usize,
    pub rent_lamports: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstructionCost {
    pub instruction: String,
    pub tx_bytes: usize,
    pub writable_accounts: usize,
    pub accounts_created: Vec<CreatedAccount>,
    pub rent_locked: u64,
}

/// One account type's layout: its size and the bytes it keeps for later fields.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLayout {
    pub account: String,
    /// Bytes, with the 8-byte discriminator.
    pub bytes: usize,
    /// Reserved bytes (zero today) for what the roadmap adds (docs/DESIGN.md, "Layouts").
    pub reserved: usize,
}

/// Every account type's layout.
pub fn layouts() -> Vec<AccountLayout> {
    let row = |account: &str, bytes: usize, reserved: usize| AccountLayout {
        account: account.into(),
        bytes,
        reserved,
    };
    vec![
        row("Registry", Registry::SPACE, Registry::RESERVED),
        row("Provider", Provider::SPACE, Provider::RESERVED),
        row("Directory", Directory::SPACE, Directory::RESERVED),
        row("Patient", Patient::SPACE, Patient::RESERVED),
        row("Record", Record::SPACE, Record::RESERVED),
        row("Consent", Consent::SPACE, Consent::RESERVED),
        row("LogPage", LogPage::SPACE, LogPage::RESERVED),
        row(
            "EmergencyWindow",
            EmergencyWindow::SPACE,
            EmergencyWindow::RESERVED,
        ),
        row(
            "EmergencyTracker",
            EmergencyTracker::SPACE,
            EmergencyTracker::RESERVED,
        ),
        row("GuardianSet", GuardianSet::SPACE, GuardianSet::RESERVED),
        row("Proposal", Proposal::SPACE, Proposal::RESERVED),
        row("Study", Study::SPACE, Study::RESERVED),
        row("Enrollment", Enrollment::SPACE, Enrollment::RESERVED),
        row("StudyRelease", StudyRelease::SPACE, StudyRelease::RESERVED),
    ]
}

#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    pub log_entry_bytes: usize,
    pub log_page_bytes: usize,
    pub log_page_capacity: usize,
    /// What opening a page locks up front (paid by the provider whose access found the page full).
    pub log_page_rent: u64,
    /// Page bytes (with the 128-byte account overhead rent charges for) amortised over its entries.
    pub log_bytes_per_access: f64,
    pub log_rent_per_access: u64,
    pub consent_account_bytes: usize,
    pub access_tx_bytes: usize,
    pub access_writable_accounts: usize,
    pub access_loaded_bytes_first: usize,
    pub access_loaded_bytes_after_1000: usize,
    /// An emergency read (granted): within the access budgets too.
    pub emergency_read_tx_bytes: usize,
    pub emergency_read_writable_accounts: usize,
    pub emergency_window_bytes: usize,
    pub enrollment_account_bytes: usize,
    pub study_release_bytes: usize,
    pub study_release_writable_accounts: usize,
    pub within_budget: bool,
    /// Every account type's size and reserve.
    pub accounts: Vec<AccountLayout>,
    pub instructions: Vec<InstructionCost>,
}

struct Bench {
    client: HdxClient,
    ledger: EmbeddedLedger,
    rows: Vec<InstructionCost>,
}

impl Bench {
    fn measure(
        &mut self,
        name: &str,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> anyhow::Result<Transaction> {
        let signers: Vec<&dyn Signer> = signers.iter().map(|k| *k as &dyn Signer).collect();
        let tx = self.client.transaction(ixs, payer, &signers)?;
        let keys: BTreeSet<Pubkey> = tx.message.account_keys.iter().copied().collect();
        let absent: Vec<Pubkey> = keys
            .iter()
            .filter(|k| self.client.transport.account(k).ok().flatten().is_none())
            .copied()
            .collect();
        self.client
            .transport
            .send(&tx)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let mut created = Vec::new();
        for k in absent {
            if let Some(acc) = self.client.transport.account(&k)? {
                if acc.owner == hdx_sdk::PROGRAM_ID {
                    created.push(CreatedAccount {
                        address: k.to_string(),
                        bytes: acc.data.len(),
                        rent_lamports: acc.lamports,
                    });
                }
            }
        }
        self.rows.push(InstructionCost {
            instruction: name.to_string(),
            tx_bytes: tx_bytes(&tx),
            writable_accounts: writable_accounts(&tx),
            rent_locked: created.iter().map(|c| c.rent_lamports).sum(),
            accounts_created: created,
        });
        Ok(tx)
    }

    fn loaded_bytes(&self, tx: &Transaction) -> anyhow::Result<usize> {
        let mut total = 0;
        for k in &tx.message.account_keys {
            if let Some(acc) = self.client.transport.account(k)? {
                if acc.owner == hdx_sdk::PROGRAM_ID {
                    total += acc.data.len();
                }
            }
        }
        Ok(total)
    }
}

/// A study's life: created by a verified researcher, approved, five
/// patients enrolled (`p`, whose authority is `patient`, first, measured),
/// one release recorded, a withdrawal, the closing.
fn measure_studies(
    b: &mut Bench,
    authority: &Keypair,
    patient: &Keypair,
    p: &Pubkey,
) -> anyhow::Result<()> {
    let pk = |k: &Keypair| k.pubkey();
    let researcher = Keypair::new();
    let custodian = Keypair::new();
    for k in [&researcher, &custodian] {
        b.ledger.airdrop(&k.pubkey(), 1_000_000_000_000)?;
    }
    let r = pk(&researcher);
    b.client.send(
        &[ix::register_provider(r, ProviderKind::Researcher, [3; 32])],
        &researcher,
        &[],
    )?;
    b.client
        .send(&[ix::verify_provider(pk(authority), &r)], authority, &[])?;
    let now = b.ledger.now();
    let terms = StudyTerms {
        custodian: pk(&custodian),
        duo: health_data_exchange::codes::DuoTerm::HealthMedicalBiomedical.bit(),
        disease: 0,
        categories: Category::LabResults.bit(),
        from_day: 1,
        to_day: MAX_DAY,
        min_cohort: health_data_exchange::codes::MIN_STUDY_COHORT,
        irb_commitment: [4; 32],
        epsilon_milli: 1_000,
        enrollment_closes_at: now + 30 * 86_400,
        use_until: 0,
    };
    b.measure(
        "create_study",
        &[ix::create_study(r, &r, 0, terms)],
        &researcher,
        &[],
    )?;
    let study = hdx_sdk::pda::study(&r, 0).0;
    b.measure(
        "approve_study",
        &[ix::approve_study(pk(authority), study)],
        authority,
        &[],
    )?;
    let until = now + 365 * 86_400;
    b.measure(
        "enroll_in_study",
        &[ix::enroll_in_study(
            pk(patient),
            p,
            study,
            terms.categories,
            until,
        )],
        patient,
        &[],
    )?;
    for _ in 1..terms.min_cohort {
        let other = Keypair::new();
        b.ledger.airdrop(&other.pubkey(), 1_000_000_000)?;
        let o = pk(&other);
        b.client.send(&[ix::register_patient(o)], &other, &[])?;
        b.client.send(
            &[ix::enroll_in_study(o, &o, study, terms.categories, until)],
            &other,
            &[],
        )?;
    }
    b.measure(
        "record_release",
        &[ix::record_release(
            pk(&custodian),
            &r,
            study,
            0,
            ReleaseFacts {
                query_hash: [5; 32],
                epsilon_milli: 100,
                cohort_size: terms.min_cohort,
                cohort_hash: [6; 32],
                cohort_slot: 0,
            },
        )],
        &custodian,
        &[],
    )?;
    b.measure(
        "withdraw_from_study",
        &[ix::withdraw_from_study(pk(patient), p, study)],
        patient,
        &[],
    )?;
    b.measure(
        "close_study",
        &[ix::close_study(r, &r, study)],
        &researcher,
        &[],
    )?;
    Ok(())
}

pub fn tx_bytes(tx: &Transaction) -> usize {
    bincode::serialize(tx).map(|b| b.len()).unwrap_or(0)
}

pub fn writable_accounts(tx: &Transaction) -> usize {
    (0..tx.message.account_keys.len())
        .filter(|i| tx.message.is_maybe_writable(*i, None))
        .count()
}

/// Runs the benchmark on a fresh embedded ledger.
pub fn run() -> anyhow::Result<CostReport> {
    let upgrade = Keypair::new();
    let ledger = EmbeddedLedger::quiet(&upgrade.pubkey())?;
    let authority = Keypair::new();
    let hospital = Keypair::new();
    let lab = Keypair::new();
    let patient = Keypair::new();
    let new_key = Keypair::new();
    for k in [&upgrade, &authority, &hospital, &lab, &patient, &new_key] {
        ledger.airdrop(&k.pubkey(), 1_000_000_000_000)?;
    }
    let mut b = Bench {
        client: ledger.client(),
        ledger,
        rows: Vec::new(),
    };
    let now = b.ledger.now();
    // Every optional part set, so the consent is measured at its full size
    // and a granted access really writes it (the cap counts).
    let terms = ConsentTerms {
        categories: 1,
        modes: MODE_READ | MODE_WRITE,
        purposes: ALL_PURPOSES,
        not_before: now,
        expires_at: now + 30 * 86_400,
        access_limit: 1_000_000,
        from_day: 1,
        to_day: MAX_DAY,
        renewal_period_secs: 30 * 86_400,
        renewals_allowed: 12,
    };
    let pk = |k: &Keypair| k.pubkey();
    let (h, p) = (pk(&hospital), pk(&patient));
    b.measure(
        "initialize_registry",
        &[ix::initialize_registry(
            pk(&upgrade),
            pk(&upgrade),
            pk(&authority),
        )],
        &upgrade,
        &[],
    )?;
    b.measure(
        "register_provider",
        &[ix::register_provider(h, ProviderKind::Hospital, [1; 32])],
        &hospital,
        &[],
    )?;
    b.measure(
        "verify_provider",
        &[ix::verify_provider(pk(&authority), &h)],
        &authority,
        &[],
    )?;
    b.measure(
        "suspend_provider",
        &[ix::suspend_provider(pk(&authority), &h)],
        &authority,
        &[],
    )?;
    b.measure(
        "reinstate_provider",
        &[ix::reinstate_provider(pk(&authority), &h)],
        &authority,
        &[],
    )?;
    b.client.send(
        &[ix::register_provider(
            pk(&lab),
            ProviderKind::Laboratory,
            [2; 32],
        )],
        &lab,
        &[],
    )?;
    b.client.send(
        &[ix::verify_provider(pk(&authority), &pk(&lab))],
        &authority,
        &[],
    )?;
    b.measure(
        "register_patient",
        &[ix::register_patient(p)],
        &patient,
        &[],
    )?;
    // A 64-byte locator: a custodian handle or a small ciphertext.
    let record = |locator: u8, hash: u8| AddRecordArgs {
        category: Category::LabResults,
        clinical_day: 20_000,
        locator: vec![locator; 64],
        content_hash: [hash; 32],
    };
    b.measure(
        "add_record",
        &[ix::add_record(p, &p, 0, record(0xab, 7))],
        &patient,
        &[],
    )?;
    b.measure(
        "grant_consent",
        &[ix::grant_consent(p, &p, &h, terms)],
        &patient,
        &[],
    )?;
    b.measure(
        "update_consent",
        &[ix::update_consent(p, &p, &h, terms)],
        &patient,
        &[],
    )?;
    let access = ix::access_record(h, &h, &p, 0, 0, Purpose::Treatment);
    let first = b.measure("access_record (granted)", &[access], &hospital, &[])?;
    let access_loaded_first = b.loaded_bytes(&first)?;
    b.measure(
        "access_record (denied: no consent)",
        &[ix::access_record(
            pk(&lab),
            &pk(&lab),
            &p,
            0,
            0,
            Purpose::Treatment,
        )],
        &lab,
        &[],
    )?;
    let write = WriteRecordArgs {
        category: Category::LabResults,
        clinical_day: 20_000,
        locator: vec![0xcd; 64],
        content_hash: [8; 32],
        purpose: Purpose::Treatment,
    };
    b.measure(
        "write_record (granted)",
        &[ix::write_record(h, &h, &p, 1, 0, write)],
        &hospital,
        &[],
    )?;

    // Emergency access: the lab gets the role; a window with no cooldown so
    // it can be opened again to measure the patient ending one.
    let l = pk(&lab);
    b.measure(
        "set_emergency_policy",
        &[ix::set_emergency_policy(pk(&authority), 3_600, 0)],
        &authority,
        &[],
    )?;
    b.measure(
        "set_provider_roles",
        &[ix::set_provider_roles(pk(&authority), &l, ROLE_EMERGENCY)],
        &authority,
        &[],
    )?;
    b.measure(
        "set_emergency_preferences",
        &[ix::set_emergency_preferences(
            p,
            &p,
            false,
            Category::MentalHealth.bit(),
        )],
        &patient,
        &[],
    )?;
    b.measure(
        "open_emergency",
        &[ix::open_emergency(
            l,
            &l,
            &p,
            0,
            0,
            EmergencyReason::PatientCannotConsent,
            3_600,
        )],
        &lab,
        &[],
    )?;
    b.measure(
        "emergency_access (granted)",
        &[ix::emergency_access(l, &l, &p, 0, 0, 0)],
        &lab,
        &[],
    )?;
    b.measure(
        "close_emergency",
        &[ix::close_emergency(l, &l, &p, 0)],
        &lab,
        &[],
    )?;
    b.measure(
        "review_emergency",
        &[ix::review_emergency(
            pk(&authority),
            &p,
            0,
            Verdict::Justified,
        )],
        &authority,
        &[],
    )?;
    b.measure(
        "acknowledge_emergency",
        &[ix::acknowledge_emergency(p, &p, 0)],
        &patient,
        &[],
    )?;
    b.client.send(
        &[ix::open_emergency(
            l,
            &l,
            &p,
            1,
            0,
            EmergencyReason::UrgentTreatment,
            600,
        )],
        &lab,
        &[],
    )?;
    b.measure(
        "end_emergency",
        &[ix::end_emergency(p, &p, &l, 1)],
        &patient,
        &[],
    )?;

    // Fill the log to 1,000 entries through the SDK (it opens pages as they fill).
    let mut last = 6u64;
    while last < 999 {
        last = b
            .client
            .access_record(&hospital, &h, &p, 0, Purpose::Treatment)?
            .sequence;
    }
    let page = b.client.writable_log_page(&hospital, &p)?;
    let at_1000 = b.measure(
        "access_record (entry 1,001)",
        &[ix::access_record(h, &h, &p, 0, page, Purpose::Treatment)],
        &hospital,
        &[],
    )?;
    let access_loaded_after = b.loaded_bytes(&at_1000)?;
    // Open one more page explicitly to measure it.
    while !b.client.log_page(&p, page)?.is_full() {
        b.client
            .access_record(&hospital, &h, &p, 0, Purpose::Treatment)?;
    }
    b.measure(
        "open_log_page",
        &[ix::open_log_page(pk(&lab), &p, page)],
        &lab,
        &[],
    )?;
    // Into the last tenth of the window, then renew (permissionless: the lab pays).
    b.ledger.advance(28 * 86_400);
    b.measure("renew_consent", &[ix::renew_consent(&p, &h)], &lab, &[])?;
    b.measure(
        "rotate_provider_key",
        &[ix::rotate_provider_key(h, pk(&new_key), &h)],
        &hospital,
        &[&new_key],
    )?;
    b.measure(
        "rotate_patient_authority",
        &[ix::rotate_patient_authority(p, pk(&new_key), &p)],
        &patient,
        &[&new_key],
    )?;
    measure_studies(&mut b, &authority, &new_key, &p)?;
    b.measure(
        "set_paused",
        &[ix::set_paused(pk(&authority), false)],
        &authority,
        &[],
    )?;
    b.measure(
        "propose_registry_authority",
        &[ix::propose_registry_authority(pk(&authority), pk(&lab))],
        &authority,
        &[],
    )?;
    b.measure(
        "accept_registry_authority",
        &[ix::accept_registry_authority(pk(&lab))],
        &lab,
        &[],
    )?;
    b.measure(
        "revoke_consent",
        &[ix::revoke_consent(pk(&new_key), &p, &h)],
        &new_key,
        &[],
    )?;

    // Guardians: a fresh patient with two guardians (alongside, both needed).
    let child = Keypair::new();
    let (mum, dad, grown) = (Keypair::new(), Keypair::new(), Keypair::new());
    for k in [&child, &mum, &dad, &grown] {
        b.ledger.airdrop(&k.pubkey(), 1_000_000_000_000)?;
    }
    let c = pk(&child);
    b.client.send(&[ix::register_patient(c)], &child, &[])?;
    b.measure(
        "set_guardians",
        &[ix::set_guardians(
            c,
            &c,
            vec![pk(&mum), pk(&dad)],
            2,
            GuardianMode::Alongside,
        )],
        &child,
        &[],
    )?;
    let grant = ProposalAction::Grant {
        provider: pk(&lab),
        terms,
    };
    b.measure(
        "propose_guardian_action (grant)",
        &[ix::propose_guardian_action(pk(&mum), &c, 0, grant)],
        &mum,
        &[],
    )?;
    b.measure(
        "approve_guardian_action",
        &[ix::approve_guardian_action(pk(&dad), &c, 0)],
        &dad,
        &[],
    )?;
    b.measure(
        "execute_guardian_grant",
        &[ix::execute_guardian_grant(pk(&dad), &c, 0, &pk(&lab))],
        &dad,
        &[],
    )?;
    let update = ProposalAction::Update {
        provider: pk(&lab),
        terms,
    };
    b.client.send(
        &[ix::propose_guardian_action(pk(&mum), &c, 1, update)],
        &mum,
        &[],
    )?;
    b.client
        .send(&[ix::approve_guardian_action(pk(&dad), &c, 1)], &dad, &[])?;
    b.measure(
        "execute_guardian_update",
        &[ix::execute_guardian_update(pk(&dad), &c, 1, &pk(&lab))],
        &dad,
        &[],
    )?;
    b.measure(
        "guardian_revoke_consent",
        &[ix::guardian_revoke_consent(pk(&mum), &c, &pk(&lab), c)],
        &mum,
        &[],
    )?;
    let preferences = ProposalAction::EmergencyPreferences {
        preferences: EmergencyPreferences {
            opt_out: false,
            excluded: Category::Genomics.bit(),
        },
    };
    b.client.send(
        &[ix::propose_guardian_action(pk(&mum), &c, 2, preferences)],
        &mum,
        &[],
    )?;
    b.client
        .send(&[ix::approve_guardian_action(pk(&dad), &c, 2)], &dad, &[])?;
    b.measure(
        "execute_guardian_preferences",
        &[ix::execute_guardian_preferences(pk(&dad), &c, 2)],
        &dad,
        &[],
    )?;
    let recover = ProposalAction::Recover {
        new_authority: pk(&grown),
    };
    b.client.send(
        &[ix::propose_guardian_action(pk(&mum), &c, 3, recover)],
        &mum,
        &[],
    )?;
    b.client
        .send(&[ix::approve_guardian_action(pk(&dad), &c, 3)], &dad, &[])?;
    b.measure(
        "execute_guardian_recovery",
        &[ix::execute_guardian_recovery(pk(&dad), &c, 3, pk(&grown))],
        &dad,
        &[&grown],
    )?;

    let page_rent = b.client.transport.minimum_balance(LogPage::SPACE)?;
    let access_row = b
        .rows
        .iter()
        .find(|r| r.instruction == "access_record (granted)")
        .expect("measured");
    let log_bytes_per_access = (LogPage::SPACE + 128) as f64 / LOG_PAGE_CAPACITY as f64;
    let log_rent_per_access = page_rent.div_ceil(LOG_PAGE_CAPACITY as u64);
    let consent_account_bytes = Consent::SPACE;
    let emergency_row = b
        .rows
        .iter()
        .find(|r| r.instruction == "emergency_access (granted)")
        .expect("measured")
        .clone();
    let mut report = CostReport {
        log_entry_bytes: health_data_exchange::state::LogEntry::SIZE,
        log_page_bytes: LogPage::SPACE,
        log_page_capacity: LOG_PAGE_CAPACITY,
        log_page_rent: page_rent,
        log_bytes_per_access,
        log_rent_per_access,
        consent_account_bytes,
        access_tx_bytes: access_row.tx_bytes,
        access_writable_accounts: access_row.writable_accounts,
        access_loaded_bytes_first: access_loaded_first,
        access_loaded_bytes_after_1000: access_loaded_after,
        emergency_read_tx_bytes: emergency_row.tx_bytes,
        emergency_read_writable_accounts: emergency_row.writable_accounts,
        emergency_window_bytes: EmergencyWindow::SPACE,
        enrollment_account_bytes: Enrollment::SPACE,
        study_release_bytes: StudyRelease::SPACE,
        study_release_writable_accounts: b
            .rows
            .iter()
            .find(|r| r.instruction == "record_release")
            .expect("measured")
            .writable_accounts,
        within_budget: false,
        accounts: layouts(),
        instructions: b.rows.clone(),
    };
    report.within_budget = report.budget_failures().is_empty();
    Ok(report)
}

impl CostReport {
    /// Each budget the report breaks, as a sentence.
    pub fn budget_failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.log_bytes_per_access > budget::LOG_BYTES_PER_ACCESS {
            out.push(format!(
                "log bytes per access {} > {}",
                self.log_bytes_per_access,
                budget::LOG_BYTES_PER_ACCESS
            ));
        }
        if self.log_rent_per_access > budget::LOG_RENT_PER_ACCESS {
            out.push(format!(
                "log rent per access {} > {}",
                self.log_rent_per_access,
                budget::LOG_RENT_PER_ACCESS
            ));
        }
        if self.consent_account_bytes > budget::CONSENT_ACCOUNT_BYTES {
            out.push(format!(
                "consent account {} bytes > {}",
                self.consent_account_bytes,
                budget::CONSENT_ACCOUNT_BYTES
            ));
        }
        if self.access_tx_bytes > budget::ACCESS_TX_BYTES {
            out.push(format!(
                "access transaction {} bytes > {}",
                self.access_tx_bytes,
                budget::ACCESS_TX_BYTES
            ));
        }
        if self.access_writable_accounts > budget::ACCESS_WRITABLE_ACCOUNTS {
            out.push(format!(
                "access transaction writes {} accounts > {}",
                self.access_writable_accounts,
                budget::ACCESS_WRITABLE_ACCOUNTS
            ));
        }
        if self.emergency_read_tx_bytes > budget::ACCESS_TX_BYTES {
            out.push(format!(
                "emergency read transaction {} bytes > {}",
                self.emergency_read_tx_bytes,
                budget::ACCESS_TX_BYTES
            ));
        }
        if self.emergency_read_writable_accounts > budget::ACCESS_WRITABLE_ACCOUNTS {
            out.push(format!(
                "emergency read writes {} accounts > {}",
                self.emergency_read_writable_accounts,
                budget::ACCESS_WRITABLE_ACCOUNTS
            ));
        }
        if self.enrollment_account_bytes > budget::ENROLLMENT_ACCOUNT_BYTES {
            out.push(format!(
                "enrolment account {} bytes > {}",
                self.enrollment_account_bytes,
                budget::ENROLLMENT_ACCOUNT_BYTES
            ));
        }
        if self.study_release_bytes > budget::STUDY_RELEASE_BYTES {
            out.push(format!(
                "study release account {} bytes > {}",
                self.study_release_bytes,
                budget::STUDY_RELEASE_BYTES
            ));
        }
        if self.study_release_writable_accounts > budget::STUDY_RELEASE_WRITABLE_ACCOUNTS {
            out.push(format!(
                "study release writes {} accounts > {}",
                self.study_release_writable_accounts,
                budget::STUDY_RELEASE_WRITABLE_ACCOUNTS
            ));
        }
        if self.access_loaded_bytes_after_1000 != self.access_loaded_bytes_first {
            out.push(format!(
                "access loads {} bytes after 1,000 entries vs {} at the first",
                self.access_loaded_bytes_after_1000, self.access_loaded_bytes_first
            ));
        }
        out
    }

    /// The human-readable report.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "Per instruction (native harness, real transactions):");
        let _ = writeln!(
            s,
            "{:<38} {:>8} {:>9} {:>12}  accounts created (bytes)",
            "instruction", "tx bytes", "writable", "rent locked"
        );
        for r in &self.instructions {
            let created: Vec<String> = r
                .accounts_created
                .iter()
                .map(|c| c.bytes.to_string())
                .collect();
            let _ = writeln!(
                s,
                "{:<38} {:>8} {:>9} {:>12}  {}",
                r.instruction,
                r.tx_bytes,
                r.writable_accounts,
                r.rent_locked,
                if created.is_empty() {
                    "-".to_string()
                } else {
                    created.join(", ")
                }
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Budgets (docs/DESIGN.md):");
        let row = |s: &mut String, name: &str, value: String, budget: String| {
            let _ = writeln!(s, "  {name:<44} {value:>12}   budget {budget}");
        };
        row(
            &mut s,
            "log entry bytes",
            self.log_entry_bytes.to_string(),
            "-".into(),
        );
        row(
            &mut s,
            "log bytes per access (page + overhead / 64)",
            format!("{:.2}", self.log_bytes_per_access),
            "<= 24".into(),
        );
        row(
            &mut s,
            "log rent per access (lamports)",
            self.log_rent_per_access.to_string(),
            "<= 167,040".into(),
        );
        row(
            &mut s,
            "log page rent, paid up front by its opener",
            self.log_page_rent.to_string(),
            "-".into(),
        );
        row(
            &mut s,
            "consent account bytes",
            self.consent_account_bytes.to_string(),
            "<= 160".into(),
        );
        row(
            &mut s,
            "access transaction bytes",
            self.access_tx_bytes.to_string(),
            "<= 700".into(),
        );
        row(
            &mut s,
            "access writable accounts",
            self.access_writable_accounts.to_string(),
            "<= 3: fee payer, log page, consent".into(),
        );
        row(
            &mut s,
            "emergency read transaction bytes",
            self.emergency_read_tx_bytes.to_string(),
            "<= 700".into(),
        );
        row(
            &mut s,
            "emergency read writable accounts",
            self.emergency_read_writable_accounts.to_string(),
            "<= 3: fee payer, log page, window".into(),
        );
        row(
            &mut s,
            "emergency window account bytes",
            self.emergency_window_bytes.to_string(),
            "<= 160".into(),
        );
        row(
            &mut s,
            "study enrolment account bytes",
            self.enrollment_account_bytes.to_string(),
            "<= 128".into(),
        );
        row(
            &mut s,
            "study release account bytes",
            self.study_release_bytes.to_string(),
            "<= 192".into(),
        );
        row(
            &mut s,
            "study release writable accounts",
            self.study_release_writable_accounts.to_string(),
            "<= 3: custodian, study, release".into(),
        );
        row(
            &mut s,
            "access loaded bytes at entry 1",
            self.access_loaded_bytes_first.to_string(),
            "-".into(),
        );
        row(
            &mut s,
            "access loaded bytes after 1,000 entries",
            self.access_loaded_bytes_after_1000.to_string(),
            "equal".into(),
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Accounts (bytes with discriminator; reserved for later fields):"
        );
        for a in &self.accounts {
            let _ = writeln!(
                s,
                "  {:<20} {:>6} bytes  {:>4} reserved",
                a.account, a.bytes, a.reserved
            );
        }
        let failures = self.budget_failures();
        if failures.is_empty() {
            let _ = writeln!(s, "\nAll budgets met.");
        } else {
            for f in failures {
                let _ = writeln!(s, "OVER BUDGET: {f}");
            }
        }
        s
    }
}
