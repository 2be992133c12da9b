use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::RegistryInitialized;
use crate::state::{seeds, Registry};
use crate::utils::{create_new_pda_account, write_account};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeRegistryArgs {
    /// The registry authority (a multisig address in production).
    pub authority: Pubkey,
}

/// Only the program's upgrade authority can initialise the registry, so the
/// first caller after a deploy cannot hijack it.
#[derive(Accounts)]
pub struct InitializeRegistry<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The upgrade authority recorded in the program's ProgramData account.
    pub upgrade_authority: Signer<'info>,
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = bpf_loader_upgradeable::ID,
        constraint = program_data.upgrade_authority_address == Some(upgrade_authority.key())
            @ HdxError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
    /// CHECK: the canonical registry PDA (checked by `seeds`); created in the
    /// handler, refused with `AlreadyRegistered` if it exists.
    #[account(mut, seeds = [seeds::REGISTRY], bump)]
    pub registry: UncheckedAccount<'info>,
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
    let bump = ctx.bumps.registry;
    create_new_pda_account(
        &ctx.accounts.payer.to_account_info(),
        &registry,
        Registry::SPACE,
        &[seeds::REGISTRY, &[bump]],
    )?;
    write_account(
        &registry,
        &Registry {
            authority: args.authority,
            pending_authority: Pubkey::default(),
            paused: false,
            bump,
            provider_count: 0,
            created_at: Clock::get()?.unix_timestamp,
            emergency_max_secs: crate::codes::DEFAULT_EMERGENCY_MAX_SECS,
            emergency_cooldown_secs: crate::codes::DEFAULT_EMERGENCY_COOLDOWN_SECS,
        },
    )?;
    emit_event!(RegistryInitialized {
        authority: args.authority
    });
    Ok(())
}
