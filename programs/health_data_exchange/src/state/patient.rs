use anchor_lang::prelude::*;

/// A patient, at `["patient", owner]`. `owner` sits at offset 8.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Patient {
    /// The patient's wallet: the only key that manages this patient's records and consents.
    pub owner: Pubkey,
    /// Stored canonical bump.
    pub bump: u8,
    /// Emergency-access opt-in (used by a later release).
    pub emergency_opt_in: bool,
    /// Guardian threshold M of N (0: no guardians; later release).
    pub guardian_threshold: u8,
    /// Number of records; the next record's index.
    pub record_count: u32,
    /// Number of log pages opened; the current page is `log_pages - 1`.
    pub log_pages: u32,
    /// Unix time of registration.
    pub registered_at: i64,
    /// Reserved for later fields (guardian set).
    pub reserved: [u8; 64],
}

impl Patient {
    pub const SPACE: usize = 8 + Patient::INIT_SPACE;

    pub fn current_log_page(&self) -> u32 {
        self.log_pages.saturating_sub(1)
    }
}
