//! `verify_provider`, `suspend_provider` and `reinstate_provider` share one
//! account list and one rule: only the registry authority moves a provider,
//! and only along the transitions in [`TRANSITIONS`].

use anchor_lang::prelude::*;

use crate::codes::ProviderStatus;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderStatusChanged;
use crate::state::{Provider, Registry};

use ProviderStatus::{Pending, Suspended, Verified};

/// Each status change: the statuses it starts from, and where it goes.
pub const TRANSITIONS: [(&str, &[ProviderStatus], ProviderStatus); 3] = [
    ("verify", &[Pending], Verified),
    ("suspend", &[Pending, Verified], Suspended),
    ("reinstate", &[Suspended], Verified),
];

#[derive(Accounts)]
pub struct SetProviderStatus<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    #[account(mut)]
    pub provider: Account<'info, Provider>,
}

fn set_status(ctx: Context<SetProviderStatus>, transition: usize) -> Result<()> {
    let (_, allowed_from, to) = TRANSITIONS[transition];
    let provider = &mut ctx.accounts.provider;
    let from = provider.status;
    require!(
        allowed_from.contains(&from),
        HdxError::InvalidStatusTransition
    );
    provider.status = to;
    provider.status_changed_at = Clock::get()?.unix_timestamp;
    emit_event!(ProviderStatusChanged {
        provider: provider.id,
        number: provider.number,
        previous: from,
        status: to,
    });
    Ok(())
}

pub fn handle_verify_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, 0)
}

pub fn handle_suspend_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, 1)
}

pub fn handle_reinstate_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, 2)
}
