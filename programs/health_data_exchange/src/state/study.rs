use anchor_lang::prelude::*;
use solana_sha256_hasher::hashv;

use crate::codes::{
    DuoTerm, StudyStatus, ALL_CATEGORIES, ALL_DUO_TERMS, DUO_PERMISSIONS, MAX_STUDY_DURATION_SECS,
    MAX_STUDY_EPSILON_MILLI, MAX_TIME, MIN_STUDY_COHORT,
};
use crate::error::HdxError;
use crate::state::{create_account, day_range_covers, day_range_is_valid, seeds, LAYOUT_VERSION};

/// Domain tag of a study log's genesis: `head_0 = sha256(STUDY_LOG_GENESIS_TAG || study)`.
#[constant]
pub const STUDY_LOG_GENESIS_TAG: &[u8] = b"hdx-study-log-v1";

/// What a sponsor asks for when creating a study: everything but who, when
/// and what was spent.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct StudyTerms {
    /// The custodian (a gateway's key) that answers the study's queries and
    /// records each release.
    pub custodian: Pubkey,
    /// DUO bitmask (`1 << DuoTerm`): exactly one data-use permission, any modifiers.
    pub duo: u16,
    /// The disease studied (a MONDO number) with `DuoTerm::DiseaseSpecific`, else 0.
    pub disease: u32,
    /// Category bitmask (`1 << Category`) the study may use.
    pub categories: u16,
    /// Records whose clinical day is in `from_day..=to_day` (day numbers); both 0 = any day.
    pub from_day: u32,
    /// Last day of the clinical date range (inclusive).
    pub to_day: u32,
    /// No release describes fewer patients (at least `MIN_STUDY_COHORT`).
    pub min_cohort: u32,
    /// SHA-256 commitment to the IRB approval (document and salt); never the document.
    pub irb_commitment: [u8; 32],
    /// The privacy budget, in milli-epsilon (1..=`MAX_STUDY_EPSILON_MILLI`).
    pub epsilon_milli: u64,
    /// Unix seconds at which enrolment closes (exclusive).
    pub enrollment_closes_at: i64,
    /// With `DuoTerm::TimeLimit`, unix seconds at which use ends (exclusive:
    /// no release from then on), else 0.
    pub use_until: i64,
}

impl StudyTerms {
    /// Rejects unknown or empty masks, not exactly one DUO permission, a
    /// disease without DS (or DS without one), an IRB term without a
    /// commitment, a time limit without an end (or an end without it), a
    /// half-set or reversed date range, a cohort below the floor, a budget
    /// of 0 or over the cap, times outside `0..=MAX_TIME`, and a close or
    /// end not in `now..now + MAX_STUDY_DURATION_SECS`.
    pub fn validate(&self, now: i64) -> Result<()> {
        require!(
            self.custodian != Pubkey::default(),
            HdxError::InvalidCustodian
        );
        require!(self.duo & !ALL_DUO_TERMS == 0, HdxError::UnknownDuoBits);
        require!(
            (self.duo & DUO_PERMISSIONS).count_ones() == 1,
            HdxError::InvalidDuoPermission
        );
        require!(
            (self.duo & DuoTerm::DiseaseSpecific.bit() != 0) == (self.disease != 0),
            HdxError::InvalidDuoPermission
        );
        require!(
            self.duo & DuoTerm::IrbRequired.bit() == 0 || self.irb_commitment != [0; 32],
            HdxError::MissingIrbCommitment
        );
        require!(self.categories != 0, HdxError::EmptyCategories);
        require!(
            self.categories & !ALL_CATEGORIES == 0,
            HdxError::UnknownCategoryBits
        );
        require!(
            day_range_is_valid(self.from_day, self.to_day),
            HdxError::InvalidDateRange
        );
        require!(
            self.min_cohort >= MIN_STUDY_COHORT,
            HdxError::StudyCohortTooSmall
        );
        require!(
            (1..=MAX_STUDY_EPSILON_MILLI).contains(&self.epsilon_milli),
            HdxError::InvalidStudyBudget
        );
        let ahead = |t: i64| {
            (0..=MAX_TIME).contains(&t)
                && t > now
                && t.checked_sub(now)
                    .is_some_and(|d| d <= MAX_STUDY_DURATION_SECS)
        };
        require!(
            ahead(self.enrollment_closes_at),
            HdxError::InvalidStudyTimes
        );
        let limited = self.duo & DuoTerm::TimeLimit.bit() != 0;
        require!(
            if limited {
                ahead(self.use_until) && self.use_until >= self.enrollment_closes_at
            } else {
                self.use_until == 0
            },
            HdxError::InvalidStudyTimes
        );
        Ok(())
    }

    /// Whether a record of `clinical_day` is in the study's date range.
    pub fn covers_day(&self, clinical_day: u32) -> bool {
        day_range_covers(self.from_day, self.to_day, clinical_day)
    }
}

/// A research study, at `["study", sponsor_id, number]`. `sponsor` sits at
/// offset 8 and `custodian` at 40, so a sponsor's or a custodian's studies
/// are one `getProgramAccounts` filter.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Study {
    /// The sponsor's provider id (a verified researcher).
    pub sponsor: Pubkey,
    /// The custodian that answers for it (`terms.custodian`, also here at a fixed offset).
    pub custodian: Pubkey,
    /// The sponsor's number for it.
    pub number: u32,
    /// Proposed, approved or closed.
    pub status: StudyStatus,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Patients enrolled now (enrolments minus withdrawals): no cohort is larger.
    pub enrolled: u32,
    /// Releases recorded: the next release's index.
    pub releases: u32,
    /// Milli-epsilon spent by the releases so far (never above `terms.epsilon_milli`).
    pub epsilon_spent_milli: u64,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Unix seconds of the registry authority's approval (0 until then).
    pub approved_at: i64,
    /// Unix seconds of the closing (0 while open).
    pub closed_at: i64,
    /// The head of the study's release log: `STUDY_LOG_GENESIS_TAG`'s genesis
    /// folded with every release ([`StudyRelease::next_head`]).
    pub log_head: [u8; 32],
    /// What the sponsor asked for and the authority approved.
    pub terms: StudyTerms,
    /// Reserved, zero: a data access committee's key (32 bytes) and 32 after it.
    pub reserved: [u8; 64],
}

impl Study {
    pub const SPACE: usize = 8 + Study::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 64;

    /// A new proposed study.
    pub fn new(sponsor: Pubkey, number: u32, bump: u8, terms: StudyTerms, now: i64) -> Self {
        Study {
            sponsor,
            custodian: terms.custodian,
            number,
            status: StudyStatus::Proposed,
            version: LAYOUT_VERSION,
            bump,
            enrolled: 0,
            releases: 0,
            epsilon_spent_milli: 0,
            created_at: now,
            approved_at: 0,
            closed_at: 0,
            log_head: [0; 32],
            terms,
            reserved: [0; Self::RESERVED],
        }
    }

    /// The log's starting head for the study at `address`.
    pub fn genesis_head(address: &Pubkey) -> [u8; 32] {
        hashv(&[STUDY_LOG_GENESIS_TAG, address.as_ref()]).to_bytes()
    }

    /// Budget left, in milli-epsilon.
    pub fn epsilon_left_milli(&self) -> u64 {
        self.terms
            .epsilon_milli
            .saturating_sub(self.epsilon_spent_milli)
    }

    /// Creates `self` at `target` (its canonical PDA).
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::STUDY,
                self.sponsor.as_ref(),
                &self.number.to_le_bytes(),
                &[self.bump],
            ],
            self,
        )
    }
}

/// A patient's enrolment in a study, at `["enrollment", study, patient_id]`.
/// `study` sits at offset 8 and `patient` at 40; `active` at 72, so a study's
/// cohort is one `getProgramAccounts` filter. A withdrawal keeps the account
/// (inactive); enrolling again reactivates it with a new revision.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Enrollment {
    /// The study's address.
    pub study: Pubkey,
    /// The patient's id.
    pub patient: Pubkey,
    /// Enrolled now (withdrawn when false).
    pub active: bool,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Categories (`1 << Category`) the patient lets the study use: a subset of the study's.
    pub categories: u16,
    /// The patient's consent revision this version of the enrolment got
    /// (enrolments and withdrawals count as consent versions).
    pub revision: u32,
    /// Unix seconds of the (latest) enrolment.
    pub joined_at: i64,
    /// Unix seconds at which the enrolment ends on its own (exclusive).
    pub until: i64,
    /// Unix seconds of the withdrawal (0 while active).
    pub withdrawn_at: i64,
    /// Reserved, zero.
    pub reserved: [u8; 16],
}

impl Enrollment {
    pub const SPACE: usize = 8 + Enrollment::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 16;

    /// Active and not past `until` at `now`: in the study's cohort.
    pub fn in_cohort(&self, now: i64) -> bool {
        self.active && now < self.until
    }

    /// Creates `self` at `target` (its canonical PDA).
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::ENROLLMENT,
                self.study.as_ref(),
                self.patient.as_ref(),
                &[self.bump],
            ],
            self,
        )
    }
}

/// What a custodian records before it answers a study's query.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct ReleaseFacts {
    /// SHA-256 of the query as the sponsor signed it.
    pub query_hash: [u8; 32],
    /// The epsilon this answer spends, in milli-epsilon (at least 1).
    pub epsilon_milli: u64,
    /// Patients in the cohort the answer describes.
    pub cohort_size: u32,
    /// SHA-256 over the cohort (its patients' ids, sorted).
    pub cohort_hash: [u8; 32],
    /// The slot the cohort was read at (not after this transaction's).
    pub cohort_slot: u64,
}

/// One answer released for a study, at `["study-release", study, index]`:
/// the study log's entry `index`, with the head after it.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct StudyRelease {
    /// The study's address.
    pub study: Pubkey,
    /// Index in the study's log.
    pub index: u32,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Unix seconds at which it was recorded.
    pub at: i64,
    /// What was released.
    pub facts: ReleaseFacts,
    /// The study log's head after this entry.
    pub head: [u8; 32],
    /// Reserved, zero.
    pub reserved: [u8; 8],
}

impl StudyRelease {
    pub const SPACE: usize = 8 + StudyRelease::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 8;

    /// `sha256(head || index u32 LE || at i64 LE || query_hash || epsilon
    /// u64 LE || cohort_size u32 LE || cohort_hash || cohort_slot u64 LE)`.
    pub fn next_head(head: &[u8; 32], index: u32, at: i64, facts: &ReleaseFacts) -> [u8; 32] {
        hashv(&[
            head,
            &index.to_le_bytes(),
            &at.to_le_bytes(),
            &facts.query_hash,
            &facts.epsilon_milli.to_le_bytes(),
            &facts.cohort_size.to_le_bytes(),
            &facts.cohort_hash,
            &facts.cohort_slot.to_le_bytes(),
        ])
        .to_bytes()
    }

    /// Creates `self` at `target` (its canonical PDA).
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::STUDY_RELEASE,
                self.study.as_ref(),
                &self.index.to_le_bytes(),
                &[self.bump],
            ],
            self,
        )
    }
}
