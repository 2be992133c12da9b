use anchor_lang::prelude::*;

use crate::codes::{ProviderKind, ProviderStatus};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderRegistered;
use crate::state::{seeds, Provider};
use crate::utils::{create_new_pda_account, write_account};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterProviderArgs {
    pub kind: ProviderKind,
    /// SHA-256 of (salt || credential identifier), computed off-chain.
    pub credential_commitment: [u8; 32],
}

/// A provider registers itself; it stays pending until the registry authority
/// verifies it. Registering twice is refused with `AlreadyRegistered`.
#[derive(Accounts)]
pub struct RegisterProvider<'info> {
    #[account(mut)]
    pub signer: Signer<'info>,
    /// CHECK: the canonical provider PDA of `signer` (checked by `seeds`);
    /// created in the handler.
    #[account(mut, seeds = [seeds::PROVIDER, signer.key().as_ref()], bump)]
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
    let signer = ctx.accounts.signer.key();
    let bump = ctx.bumps.provider;
    let provider = ctx.accounts.provider.to_account_info();
    create_new_pda_account(
        &ctx.accounts.signer.to_account_info(),
        &provider,
        Provider::SPACE,
        &[seeds::PROVIDER, signer.as_ref(), &[bump]],
    )?;
    write_account(
        &provider,
        &Provider {
            signer,
            status: ProviderStatus::Pending,
            kind: args.kind,
            roles: 0,
            bump,
            credential_commitment: args.credential_commitment,
            registered_at: now,
            status_changed_at: now,
            reserved: [0; 32],
        },
    )?;
    emit_event!(ProviderRegistered {
        provider: signer,
        kind: args.kind,
    });
    Ok(())
}
