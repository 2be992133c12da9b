use anchor_lang::prelude::*;

/// The single registry of the program, at `["registry"]`. Only one can exist
/// (only `initialize_registry` creates one, at that address, once), so
/// handlers that only read it check its type and owner, not its address.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Registry {
    /// Verifies, suspends and reinstates providers, pauses the program (offset 8).
    pub authority: Pubkey,
    /// Proposed next authority; the default (all-zero) address when none.
    pub pending_authority: Pubkey,
    /// While true, `access_record` and `write_record` are refused.
    pub paused: bool,
    /// Stored canonical bump.
    pub bump: u8,
    /// Providers registered so far: the next provider's number (contiguous from 0, never reused).
    pub provider_count: u32,
    /// Unix time the registry was initialised.
    pub created_at: i64,
    /// Emergency policy: the longest window a provider may open, in seconds.
    pub emergency_max_secs: u32,
    /// Emergency policy: after a window ends, how long before the same
    /// provider may open another for the same patient, in seconds.
    pub emergency_cooldown_secs: u32,
}

impl Registry {
    pub const SPACE: usize = 8 + Registry::INIT_SPACE;

    pub fn has_pending_authority(&self) -> bool {
        self.pending_authority != Pubkey::default()
    }
}
