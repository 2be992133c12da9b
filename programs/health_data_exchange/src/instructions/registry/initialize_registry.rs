use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::RegistryInitialized;
use crate::state::{require_absent, seeds, Registry};

/// Arguments of `initialize_registry`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitializeRegistryArgs {
    /// The registry authority (a multisig address in production).
    pub authority: Pubkey,
}

/// Only the program's upgrade authority can initialise the registry, so the
/// first caller after a deploy cannot hijack it.
#[derive(Accounts)]
pub struct InitializeRegistry<'info> {
    /// Pays the registry's rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The upgrade authority recorded in the program's ProgramData account.
    pub upgrade_authority: Signer<'info>,
    /// The program's ProgramData (its canonical address), naming the upgrade authority.
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = bpf_loader_upgradeable::ID,
        constraint = program_data.upgrade_authority_address == Some(upgrade_authority.key())
            @ HdxError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
    /// The registry, created here at its canonical address (refused if it exists).
    /// CHECK: the canonical registry PDA, checked by `seeds`.
    #[account(mut, seeds = [seeds::REGISTRY], bump)]
    pub registry: UncheckedAccount<'info>,
    /// The system program (creates the registry).
    pub system_program: Program<'info, System>,
}

pub fn handle_initialize_registry(
    ctx: Context<InitializeRegistry>,
    args: InitializeRegistryArgs,
) -> Result<()> {
    require_keys_neq!(
        args.authority,
        Pubkey::default(),
        HdxError::InvalidAuthority
    );
    let registry = ctx.accounts.registry.to_account_info();
    require_absent(&registry)?;
    let now = Clock::get()?.unix_timestamp;
    Registry::create(
        &ctx.accounts.payer.to_account_info(),
        &registry,
        ctx.bumps.registry,
        args.authority,
        now,
    )?;
    emit_event!(RegistryInitialized {
        authority: args.authority
    });
    Ok(())
}
