use anchor_lang::prelude::*;

use crate::codes::{IdentifierSystem, ProviderKind};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderRegistered;
use crate::state::{next, require_absent, seeds, Provider, Registry};

/// Arguments of `register_provider`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterProviderArgs {
    /// The provider's kind.
    pub kind: ProviderKind,
    /// `sha256("hdx-credential-v1" || salt (32 bytes) || identifier)`,
    /// computed off-chain (docs/DESIGN.md, "The provider directory"); not all zeros.
    pub credential_commitment: [u8; 32],
    /// The identifier system the commitment opens to (the US NPI, ...).
    pub identifier_system: IdentifierSystem,
}

/// A provider registers itself: the signing key becomes its stable id (and
/// its first signing key), the registry gives it the next number. It stays
/// pending until the registry authority verifies it. Registering the same
/// id twice is refused with `AccountAlreadyExists`.
#[derive(Accounts)]
pub struct RegisterProvider<'info> {
    /// The provider's key: its id and first signing key; pays the rent.
    #[account(mut)]
    pub id: Signer<'info>,
    /// The registry, which hands out the provider's number (the one: type and owner checked).
    #[account(mut)]
    pub registry: Account<'info, Registry>,
    /// The provider account, created here at the canonical address of `id`.
    /// CHECK: the canonical provider PDA of `id`, checked by `seeds`.
    #[account(mut, seeds = [seeds::PROVIDER, id.key().as_ref()], bump)]
    pub provider: UncheckedAccount<'info>,
    /// The system program (creates the provider account).
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
    let provider_info = ctx.accounts.provider.to_account_info();
    require_absent(&provider_info)?;
    let number = ctx.accounts.registry.provider_count;
    let count = next(number)?;
    let now = Clock::get()?.unix_timestamp;
    let id = ctx.accounts.id.key();
    Provider::new(
        id,
        args.kind,
        number,
        args.credential_commitment,
        args.identifier_system,
        ctx.bumps.provider,
        now,
    )
    .create(&ctx.accounts.id.to_account_info(), &provider_info)?;
    ctx.accounts.registry.provider_count = count;
    emit_event!(ProviderRegistered {
        provider: id,
        number,
        kind: args.kind,
        identifier_system: args.identifier_system,
    });
    Ok(())
}
