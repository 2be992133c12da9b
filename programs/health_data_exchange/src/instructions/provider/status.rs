//! `verify_provider`, `suspend_provider` and `reinstate_provider` share one
//! account list and one rule: only the registry authority moves a provider,
//! and only along the transitions in [`TRANSITIONS`]. The status then rests
//! on the authority (`StatusBasis::Authority`): an attestation's expiry no
//! longer applies, and a provider the authority suspended stays suspended
//! whatever attestation it holds.

use anchor_lang::prelude::*;

use crate::codes::{ProviderStatus, StatusBasis};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderStatusChanged;
use crate::state::{Provider, Registry};

use ProviderStatus::{Pending, Suspended, Verified};

/// A status change: the statuses it starts from, and where it goes.
pub struct Transition {
    /// The instruction that makes it.
    pub name: &'static str,
    pub from: &'static [ProviderStatus],
    pub to: ProviderStatus,
}

/// Every status change, as a table.
pub const TRANSITIONS: [Transition; 3] = [
    Transition {
        name: "verify_provider",
        from: &[Pending],
        to: Verified,
    },
    Transition {
        name: "suspend_provider",
        from: &[Pending, Verified],
        to: Suspended,
    },
    Transition {
        name: "reinstate_provider",
        from: &[Suspended],
        to: Verified,
    },
];

/// The accounts of every status change.
#[derive(Accounts)]
pub struct SetProviderStatus<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    /// The provider whose status changes.
    #[account(mut)]
    pub provider: Account<'info, Provider>,
}

/// Applies `transition` when the provider's status allows it.
pub fn set_status(ctx: Context<SetProviderStatus>, transition: &Transition) -> Result<()> {
    let provider = &mut ctx.accounts.provider;
    let from = provider.status;
    require!(
        transition.from.contains(&from),
        HdxError::InvalidStatusTransition
    );
    let now = Clock::get()?.unix_timestamp;
    provider.status = transition.to;
    provider.basis = StatusBasis::Authority;
    provider.status_changed_at = now;
    emit_event!(ProviderStatusChanged {
        provider: provider.id,
        number: provider.number,
        previous: from,
        status: transition.to,
    });
    Ok(())
}
