use anchor_lang::prelude::*;

use crate::codes::{GuardianMode, ALL_CATEGORIES};
use crate::error::HdxError;
use crate::state::{create_account, next, seeds, LAYOUT_VERSION};

/// The patient's emergency preferences: what a provider breaking the glass
/// may read. Effective in the next transaction.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct EmergencyPreferences {
    /// Opted out of emergency access altogether.
    pub opt_out: bool,
    /// Categories (bitmask, `1 << Category`) excluded from emergency access.
    pub excluded: u16,
}

impl EmergencyPreferences {
    /// No bits that name no category.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.excluded & !ALL_CATEGORIES == 0,
            HdxError::UnknownCategoryBits
        );
        Ok(())
    }
}

/// A patient, at `["patient", id]`. `id` sits at offset 8, `authority` at 40.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Patient {
    /// Stable id: the key that registered the patient. Every seed of the
    /// patient's accounts (records, consents, log pages) uses it.
    pub id: Pubkey,
    /// The key that currently controls the patient (rotatable, see `rotate_patient_authority`).
    pub authority: Pubkey,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// How guardians act for the patient (`GuardianMode::None` without guardians).
    pub guardian_mode: GuardianMode,
    /// Number of records; the next record's index.
    pub record_count: u32,
    /// Number of log pages opened; the current page is `log_pages - 1`.
    pub log_pages: u32,
    /// Consent versions written so far (grants, updates, renewals): each
    /// version of any of this patient's consents gets the next number, so
    /// (consent, revision) names one set of terms for good, across re-grants.
    pub consent_revisions: u32,
    /// Emergency windows opened for this patient: the next window's index.
    pub emergency_windows: u32,
    /// Unix time of registration.
    pub registered_at: i64,
    /// The patient's emergency preferences.
    pub emergency: EmergencyPreferences,
    /// Reserved, zero: research studies (the number of studies joined, 4
    /// bytes, and a research opt-in, 1) and 27 bytes after them.
    pub reserved: [u8; 32],
}

impl Patient {
    pub const SPACE: usize = 8 + Patient::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 32;

    /// A new patient whose id and first authority is `id`, with log page 0 open.
    pub fn new(id: Pubkey, bump: u8, now: i64) -> Self {
        Patient {
            id,
            authority: id,
            version: LAYOUT_VERSION,
            bump,
            guardian_mode: GuardianMode::None,
            record_count: 0,
            log_pages: 1,
            consent_revisions: 0,
            emergency_windows: 0,
            registered_at: now,
            emergency: EmergencyPreferences::default(),
            reserved: [0; Self::RESERVED],
        }
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
            &[seeds::PATIENT, self.id.as_ref(), &[self.bump]],
            self,
        )
    }

    /// Whether the patient's own key may act (not while guardians act alone).
    pub fn self_may_act(&self) -> bool {
        self.guardian_mode != GuardianMode::Alone
    }

    /// The patient's own key acts: refused while guardians act alone (invariant 8).
    pub fn require_self_may_act(&self) -> Result<()> {
        require!(self.self_may_act(), HdxError::GuardiansActForPatient);
        Ok(())
    }

    pub fn current_log_page(&self) -> u32 {
        self.log_pages.saturating_sub(1)
    }

    /// The number the next consent version will have (counted by [`Patient::count_consent_revision`]).
    pub fn next_consent_revision(&self) -> Result<u32> {
        next(self.consent_revisions)
    }

    /// Counts a consent version; returns its number.
    pub fn count_consent_revision(&mut self) -> Result<u32> {
        self.consent_revisions = self.next_consent_revision()?;
        Ok(self.consent_revisions)
    }
}
