use anchor_lang::prelude::*;

use crate::codes::ALL_ROLES;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderRolesChanged;
use crate::state::{Provider, Registry};

/// Arguments of `set_provider_roles`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetProviderRolesArgs {
    /// The role bits (`ROLE_EMERGENCY`); no unknown bits.
    pub roles: u8,
}

/// The registry authority gives or takes a provider's roles (the emergency
/// role); effective in the next transaction.
#[derive(Accounts)]
pub struct SetProviderRoles<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    /// The provider whose roles change.
    #[account(mut)]
    pub provider: Account<'info, Provider>,
}

pub fn handle_set_provider_roles(
    ctx: Context<SetProviderRoles>,
    args: SetProviderRolesArgs,
) -> Result<()> {
    require!(args.roles & !ALL_ROLES == 0, HdxError::InvalidRoles);
    let provider = &mut ctx.accounts.provider;
    let previous = provider.roles;
    provider.roles = args.roles;
    emit_event!(ProviderRolesChanged {
        provider: provider.id,
        previous,
        roles: args.roles,
    });
    Ok(())
}
