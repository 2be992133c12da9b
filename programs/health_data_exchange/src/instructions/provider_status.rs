//! `verify_provider`, `suspend_provider` and `reinstate_provider` share one
//! account list and one rule: only the registry authority moves a provider,
//! and only along pending -> verified, pending|verified -> suspended,
//! suspended -> verified (reinstate).

use anchor_lang::prelude::*;

use crate::codes::ProviderStatus;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderStatusChanged;
use crate::state::{Provider, Registry};

#[derive(Accounts)]
pub struct SetProviderStatus<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    #[account(mut)]
    pub provider: Account<'info, Provider>,
}

fn set_status(
    ctx: Context<SetProviderStatus>,
    allowed_from: &[ProviderStatus],
    to: ProviderStatus,
) -> Result<()> {
    let provider = &mut ctx.accounts.provider;
    let from = provider.status;
    require!(
        allowed_from.contains(&from),
        HdxError::InvalidStatusTransition
    );
    provider.status = to;
    provider.status_changed_at = Clock::get()?.unix_timestamp;
    emit_event!(ProviderStatusChanged {
        provider: provider.signer,
        previous: from,
        status: to,
    });
    Ok(())
}

pub fn handle_verify_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, &[ProviderStatus::Pending], ProviderStatus::Verified)
}

pub fn handle_suspend_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(
        ctx,
        &[ProviderStatus::Pending, ProviderStatus::Verified],
        ProviderStatus::Suspended,
    )
}

pub fn handle_reinstate_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, &[ProviderStatus::Suspended], ProviderStatus::Verified)
}
