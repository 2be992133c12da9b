use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::PausedSet;
use crate::state::Registry;

/// Pauses or resumes data flows: while paused, `access_record` and
/// `write_record` are refused. Revocation is never blocked.
#[derive(Accounts)]
pub struct SetPaused<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_set_paused(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
    ctx.accounts.registry.paused = paused;
    emit_event!(PausedSet { paused });
    Ok(())
}
