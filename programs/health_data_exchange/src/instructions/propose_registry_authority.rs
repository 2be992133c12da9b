use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::AuthorityProposed;
use crate::state::Registry;

/// Step one of the hand-over: the current authority names its successor.
/// Proposing again replaces the earlier proposal.
#[derive(Accounts)]
pub struct ProposeRegistryAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_propose_registry_authority(
    ctx: Context<ProposeRegistryAuthority>,
    new_authority: Pubkey,
) -> Result<()> {
    require_keys_neq!(new_authority, Pubkey::default(), HdxError::InvalidAuthority);
    ctx.accounts.registry.pending_authority = new_authority;
    emit_event!(AuthorityProposed {
        authority: ctx.accounts.authority.key(),
        proposed: new_authority,
    });
    Ok(())
}
