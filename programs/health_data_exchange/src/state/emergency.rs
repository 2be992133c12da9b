use anchor_lang::prelude::*;

use crate::codes::{EndedBy, Verdict};

/// One emergency ("break-the-glass") window, at
/// `["emergency", patient_id, index]`. It stays for good: it is the record
/// the review is written on. `patient` sits at offset 8, `provider` at 40,
/// `verdict` at 72, so unreviewed windows are one `getProgramAccounts`
/// filter (`verdict == 0` at 72, with the discriminator).
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct EmergencyWindow {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The registry authority's verdict.
    pub verdict: Verdict,
    /// How it ended before its expiry, if it did.
    pub ended_by: EndedBy,
    /// `codes::EmergencyReason` code.
    pub reason: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Index among the patient's windows.
    pub index: u32,
    /// Emergency reads granted inside it.
    pub reads: u32,
    pub opened_at: i64,
    /// Unix seconds at which it ends on its own (exclusive).
    pub expires_at: i64,
    /// When it was closed or ended early; 0 if it was not.
    pub ended_at: i64,
    /// When the verdict was recorded; 0 while unreviewed.
    pub reviewed_at: i64,
    /// When the patient acknowledged it; 0 if they have not.
    pub acknowledged_at: i64,
}

impl EmergencyWindow {
    pub const SPACE: usize = 8 + EmergencyWindow::INIT_SPACE;

    /// When it ends (or ended): the early end if any, else its expiry.
    pub fn ends_at(&self) -> i64 {
        if self.ended_at != 0 {
            self.ended_at.min(self.expires_at)
        } else {
            self.expires_at
        }
    }

    /// `opened_at <= now < ends_at`.
    pub fn is_open(&self, now: i64) -> bool {
        self.opened_at <= now && now < self.ends_at()
    }
}

/// When a provider's last emergency window for a patient ends, at
/// `["emergency-tracker", patient_id, provider_id]`: one open window per
/// pair at a time, and the cooldown after it.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct EmergencyTracker {
    pub patient: Pubkey,
    pub provider: Pubkey,
    /// The last window's index among the patient's windows.
    pub last_window: u32,
    /// Stored canonical bump.
    pub bump: u8,
    /// When the last window ends (or ended early).
    pub last_ends_at: i64,
}

impl EmergencyTracker {
    pub const SPACE: usize = 8 + EmergencyTracker::INIT_SPACE;
}

const _: () = assert!(
    EmergencyWindow::SPACE <= 160,
    "emergency window: <= 160 bytes"
);
