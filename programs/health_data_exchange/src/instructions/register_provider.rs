use anchor_lang::prelude::*;

use crate::codes::{ProviderKind, ProviderStatus};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderRegistered;
use crate::state::{seeds, Provider, Registry};
use crate::utils::{create_new_pda_account, write_account};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterProviderArgs {
    pub kind: ProviderKind,
    /// SHA-256 of (salt || credential identifier), computed off-chain.
    pub credential_commitment: [u8; 32],
}

/// A provider registers itself: the signing key becomes its stable id (and
/// its first signing key), the registry gives it the next number. It stays
/// pending until the registry authority verifies it. Registering the same
/// id twice is refused with `AlreadyRegistered`.
#[derive(Accounts)]
pub struct RegisterProvider<'info> {
    #[account(mut)]
    pub id: Signer<'info>,
    /// Hands out the provider's number (the one registry: type and owner checked).
    #[account(mut)]
    pub registry: Account<'info, Registry>,
    /// CHECK: the canonical provider PDA of `id` (checked by `seeds`);
    /// created in the handler.
    #[account(mut, seeds = [seeds::PROVIDER, id.key().as_ref()], bump)]
    pub provider: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_register_provider(
    ctx: Context<RegisterProvider>,
    args: RegisterProviderArgs,
) -> Result<()> {
    require!(
        args.credential_commitment != [0u8; 32],
        HdxError::EmptyCredentialCommitment
    );
    let now = Clock::get()?.unix_timestamp;
    let id = ctx.accounts.id.key();
    let bump = ctx.bumps.provider;
    let provider = ctx.accounts.provider.to_account_info();
    let registry = &mut ctx.accounts.registry;
    let number = registry.provider_count;
    registry.provider_count = number.checked_add(1).ok_or(HdxError::CounterOverflow)?;
    create_new_pda_account(
        &ctx.accounts.id.to_account_info(),
        &provider,
        Provider::SPACE,
        &[seeds::PROVIDER, id.as_ref(), &[bump]],
    )?;
    write_account(
        &provider,
        &Provider {
            id,
            signer: id,
            status: ProviderStatus::Pending,
            kind: args.kind,
            number,
            bump,
            credential_commitment: args.credential_commitment,
            registered_at: now,
            status_changed_at: now,
            roles: 0,
        },
    )?;
    emit_event!(ProviderRegistered {
        provider: id,
        number,
        kind: args.kind,
    });
    Ok(())
}
