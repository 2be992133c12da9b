use anchor_lang::prelude::*;

use crate::codes::{EmergencyReason, EndedBy, Verdict};
use crate::state::{create_account, seeds, LAYOUT_VERSION};

/// One emergency ("break-the-glass") window, at
/// `["emergency", patient_id, index]`. It stays for good: it is the record
/// the review is written on, and every log entry of the emergency names it
/// (`LogEntry::basis`). `patient` sits at offset 8, `provider` at 40,
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
    /// Why the provider broke the glass.
    pub reason: EmergencyReason,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Index among the patient's windows.
    pub index: u32,
    /// Emergency reads granted inside it.
    pub reads: u32,
    /// Unix seconds at which it opened.
    pub opened_at: i64,
    /// Unix seconds at which it ends on its own (exclusive).
    pub expires_at: i64,
    /// When it was closed or ended early; 0 if it was not.
    pub ended_at: i64,
    /// When the verdict was recorded; 0 while unreviewed.
    pub reviewed_at: i64,
    /// When the patient acknowledged it; 0 if they have not.
    pub acknowledged_at: i64,
    /// Reserved, zero: a review's coded finding (1 byte) and the patient's
    /// coded response (1), and 14 bytes after them.
    pub reserved: [u8; 16],
}

impl EmergencyWindow {
    pub const SPACE: usize = 8 + EmergencyWindow::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 16;

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

    /// Creates window `index` of `patient`, opened by `provider` at `now`
    /// until `expires_at`, at `target` (its canonical PDA, `bump`).
    #[allow(clippy::too_many_arguments)]
    pub fn create<'info>(
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
        patient: Pubkey,
        provider: Pubkey,
        index: u32,
        reason: EmergencyReason,
        bump: u8,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        let window = EmergencyWindow {
            patient,
            provider,
            verdict: Verdict::Unreviewed,
            ended_by: EndedBy::NotEnded,
            reason,
            version: LAYOUT_VERSION,
            bump,
            index,
            reads: 0,
            opened_at: now,
            expires_at,
            ended_at: 0,
            reviewed_at: 0,
            acknowledged_at: 0,
            reserved: [0; Self::RESERVED],
        };
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::EMERGENCY,
                patient.as_ref(),
                &index.to_le_bytes(),
                &[bump],
            ],
            &window,
        )
    }
}

/// When a provider's last emergency window for a patient ends, at
/// `["emergency-tracker", patient_id, provider_id]`: one open window per
/// pair at a time, and the cooldown after it.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct EmergencyTracker {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// The last window's index among the patient's windows.
    pub last_window: u32,
    /// When the last window ends (or ended early).
    pub last_ends_at: i64,
    /// Reserved, zero: windows this provider opened for this patient (a
    /// count, 4 bytes) and 4 after it.
    pub reserved: [u8; 8],
}

impl EmergencyTracker {
    pub const SPACE: usize = 8 + EmergencyTracker::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 8;

    /// Creates the tracker of (patient, provider) at `target` (its
    /// canonical PDA, `bump`), naming window `last_window` that ends at `last_ends_at`.
    pub fn create<'info>(
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
        patient: Pubkey,
        provider: Pubkey,
        bump: u8,
        last_window: u32,
        last_ends_at: i64,
    ) -> Result<()> {
        let tracker = EmergencyTracker {
            patient,
            provider,
            version: LAYOUT_VERSION,
            bump,
            last_window,
            last_ends_at,
            reserved: [0; Self::RESERVED],
        };
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::EMERGENCY_TRACKER,
                patient.as_ref(),
                provider.as_ref(),
                &[bump],
            ],
            &tracker,
        )
    }
}

const _: () = assert!(
    EmergencyWindow::SPACE <= 160,
    "emergency window: <= 160 bytes"
);
