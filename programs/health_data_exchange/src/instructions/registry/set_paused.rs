use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::PausedSet;
use crate::state::Registry;

/// Arguments of `set_paused`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetPausedArgs {
    /// Pause (true) or resume (false).
    pub paused: bool,
}

/// Pauses or resumes data flows: while paused, access, writes and emergency
/// reads and openings are refused. Revocation is never blocked.
#[derive(Accounts)]
pub struct SetPaused<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_set_paused(ctx: Context<SetPaused>, args: SetPausedArgs) -> Result<()> {
    ctx.accounts.registry.paused = args.paused;
    emit_event!(PausedSet {
        paused: args.paused
    });
    Ok(())
}
