use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::AuthorityAccepted;
use crate::state::Registry;

/// Step two of the hand-over: the proposed authority signs to take the role.
#[derive(Accounts)]
pub struct AcceptRegistryAuthority<'info> {
    /// The proposed authority.
    pub new_authority: Signer<'info>,
    /// The registry (the one: type and owner checked).
    #[account(mut)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_accept_registry_authority(ctx: Context<AcceptRegistryAuthority>) -> Result<()> {
    let registry = &mut ctx.accounts.registry;
    require!(
        registry.has_pending_authority(),
        HdxError::NoPendingAuthority
    );
    require_keys_eq!(
        registry.pending_authority,
        ctx.accounts.new_authority.key(),
        HdxError::NotPendingAuthority
    );
    let previous = registry.authority;
    registry.authority = registry.pending_authority;
    registry.pending_authority = Pubkey::default();
    emit_event!(AuthorityAccepted {
        previous,
        authority: registry.authority,
    });
    Ok(())
}
