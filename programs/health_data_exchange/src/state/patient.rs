use anchor_lang::prelude::*;

use crate::codes::GuardianMode;

/// A patient, at `["patient", id]`. `id` sits at offset 8, `authority` at 40.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Patient {
    /// Stable id: the key that registered the patient. Every seed of the
    /// patient's accounts (records, consents, log pages) uses it.
    pub id: Pubkey,
    /// The key that currently controls the patient (rotatable, see `rotate_patient_authority`).
    pub authority: Pubkey,
    /// Stored canonical bump.
    pub bump: u8,
    /// Number of records; the next record's index.
    pub record_count: u32,
    /// Number of log pages opened; the current page is `log_pages - 1`.
    pub log_pages: u32,
    /// Consent versions written so far (grants, updates, renewals): each
    /// version of any of this patient's consents gets the next number, so
    /// (consent, revision) names one set of terms for good, across re-grants.
    pub consent_revisions: u32,
    /// Unix time of registration.
    pub registered_at: i64,
    /// The patient opted out of emergency access altogether.
    pub emergency_opt_out: bool,
    /// Categories (bitmask) the patient excluded from emergency access.
    pub emergency_excluded: u16,
    /// Emergency windows opened for this patient: the next window's index.
    pub emergency_windows: u32,
    /// How guardians act for the patient (`GuardianMode::None` without guardians).
    pub guardian_mode: GuardianMode,
}

impl Patient {
    pub const SPACE: usize = 8 + Patient::INIT_SPACE;

    /// Whether the patient's own key may act (not while guardians act alone).
    pub fn self_may_act(&self) -> bool {
        self.guardian_mode != GuardianMode::Alone
    }

    pub fn current_log_page(&self) -> u32 {
        self.log_pages.saturating_sub(1)
    }

    /// The number of the next consent version (and counts it).
    pub fn next_consent_revision(&mut self) -> Result<u32> {
        self.consent_revisions = self
            .consent_revisions
            .checked_add(1)
            .ok_or(crate::error::HdxError::CounterOverflow)?;
        Ok(self.consent_revisions)
    }
}
