use anchor_lang::prelude::*;

/// The single registry of the program, at `["registry"]`. Only one can exist,
/// so handlers that only read it check its type and owner, not its address.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Registry {
    /// Verifies, suspends and reinstates providers, pauses the program.
    pub authority: Pubkey,
    /// Proposed next authority; the default (all-zero) address when none.
    pub pending_authority: Pubkey,
    /// While true, `access_record` and `write_record` are refused.
    pub paused: bool,
    /// Stored canonical bump.
    pub bump: u8,
    /// Emergency-access policy: longest break-glass window, seconds (used by a later release).
    pub emergency_max_duration_secs: u32,
    /// Emergency-access policy: cooldown between break-glass windows, seconds.
    pub emergency_cooldown_secs: u32,
    /// Unix time the registry was initialised.
    pub created_at: i64,
    /// Reserved for later fields.
    pub reserved: [u8; 64],
}

impl Registry {
    pub const SPACE: usize = 8 + Registry::INIT_SPACE;

    pub fn has_pending_authority(&self) -> bool {
        self.pending_authority != Pubkey::default()
    }
}
