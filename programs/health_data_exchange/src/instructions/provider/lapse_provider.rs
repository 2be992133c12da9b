use anchor_lang::prelude::*;

use crate::codes::{ProviderStatus, StatusBasis};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderLapsed;
use crate::state::{lapse_reason, Provider, Registry};

/// Anyone suspends a provider whose licence attestation no longer holds
/// (expired, closed by its issuer, replaced, or no longer the registry's
/// policy), with an event; `hdx provider lapse-due` cranks it. A new
/// attestation verifies the provider again (`verify_provider_by_attestation`).
#[derive(Accounts)]
pub struct LapseProvider<'info> {
    /// The registry: its credential policy (the one: type and owner checked).
    pub registry: Account<'info, Registry>,
    /// The provider to lapse.
    #[account(mut)]
    pub provider: Account<'info, Provider>,
    /// The attestation that verified the provider, as it is now (possibly closed).
    /// CHECK: its address must be the provider's stored attestation; its state is read by `lapse_reason`.
    #[account(address = provider.attestation @ HdxError::AttestationAddressMismatch)]
    pub attestation: UncheckedAccount<'info>,
}

pub fn handle_lapse_provider(ctx: Context<LapseProvider>) -> Result<()> {
    let provider = &ctx.accounts.provider;
    require!(
        provider.status == ProviderStatus::Verified && provider.basis == StatusBasis::Attestation,
        HdxError::NotAttested
    );
    let now = Clock::get()?.unix_timestamp;
    let info = ctx.accounts.attestation.to_account_info();
    let reason = lapse_reason(
        info.owner,
        info.lamports(),
        &info.try_borrow_data()?,
        provider,
        &ctx.accounts.registry.credential_policy,
        now,
    )
    .ok_or_else(|| error!(HdxError::AttestationStillHolds))?;

    let provider = &mut ctx.accounts.provider;
    provider.status = ProviderStatus::Suspended;
    provider.basis = StatusBasis::Lapsed;
    provider.status_changed_at = now;
    emit_event!(ProviderLapsed {
        provider: provider.id,
        number: provider.number,
        attestation: provider.attestation,
        reason,
    });
    Ok(())
}
