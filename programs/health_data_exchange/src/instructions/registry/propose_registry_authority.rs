use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::AuthorityProposed;
use crate::state::Registry;

/// Arguments of `propose_registry_authority`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposeRegistryAuthorityArgs {
    /// The proposed successor (not the default address).
    pub new_authority: Pubkey,
}

/// Step one of the hand-over: the current authority names its successor.
/// Proposing again replaces the earlier proposal.
#[derive(Accounts)]
pub struct ProposeRegistryAuthority<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_propose_registry_authority(
    ctx: Context<ProposeRegistryAuthority>,
    args: ProposeRegistryAuthorityArgs,
) -> Result<()> {
    require_keys_neq!(
        args.new_authority,
        Pubkey::default(),
        HdxError::InvalidAuthority
    );
    ctx.accounts.registry.pending_authority = args.new_authority;
    emit_event!(AuthorityProposed {
        authority: ctx.accounts.authority.key(),
        proposed: args.new_authority,
    });
    Ok(())
}
