use anchor_lang::prelude::*;

use crate::codes::{ProviderKind, ProviderStatus};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderRegistered;
use crate::state::{seeds, Provider};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterProviderArgs {
    pub kind: ProviderKind,
    /// SHA-256 of (salt || credential identifier), computed off-chain.
    pub credential_commitment: [u8; 32],
}

/// A provider registers itself; it stays pending until the registry authority verifies it.
#[derive(Accounts)]
pub struct RegisterProvider<'info> {
    #[account(mut)]
    pub signer: Signer<'info>,
    #[account(
        init,
        payer = signer,
        space = Provider::SPACE,
        seeds = [seeds::PROVIDER, signer.key().as_ref()],
        bump,
    )]
    pub provider: Account<'info, Provider>,
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
    ctx.accounts.provider.set_inner(Provider {
        signer,
        status: ProviderStatus::Pending,
        kind: args.kind,
        roles: 0,
        bump: ctx.bumps.provider,
        credential_commitment: args.credential_commitment,
        registered_at: now,
        status_changed_at: now,
        reserved: [0; 32],
    });
    emit_event!(ProviderRegistered {
        provider: signer,
        kind: args.kind,
    });
    Ok(())
}
