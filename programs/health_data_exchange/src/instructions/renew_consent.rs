use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentRenewed;
use crate::state::{seeds, Consent, Patient, Provider, MAX_CONSENT_DURATION_SECS};

/// Anyone (a provider's cron job, the patient) extends a consent by one
/// period of the renewal policy the patient set, only: in the last tenth of
/// its window, before it expires, while renewals remain and the provider is
/// still verified. A patient's update sets a new policy (and restarts the
/// count); a revocation closes the consent, so nothing is left to renew.
#[derive(Accounts)]
pub struct RenewConsent<'info> {
    /// Counts the new consent version.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    pub provider: Account<'info, Provider>,
    #[account(
        mut,
        seeds = [seeds::CONSENT, patient.id.as_ref(), provider.id.as_ref()],
        bump = consent.bump,
    )]
    pub consent: Account<'info, Consent>,
    /// CHECK: the patient's consent-history address (no account lives
    /// there): carried so consent changes can be listed by address.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_renew_consent(ctx: Context<RenewConsent>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let consent = &ctx.accounts.consent;
    require!(consent.renewal_period_secs != 0, HdxError::NoRenewalPolicy);
    require!(
        consent.renewals_used < consent.renewals_allowed,
        HdxError::NoRenewalsLeft
    );
    require!(now < consent.expires_at, HdxError::ConsentExpired);
    require!(now >= consent.renewal_opens_at(), HdxError::RenewalNotDue);
    ctx.accounts.provider.require_verified()?;
    let expires_at = consent
        .expires_at
        .checked_add(i64::from(consent.renewal_period_secs))
        .ok_or(HdxError::CounterOverflow)?;
    require!(
        expires_at - now <= MAX_CONSENT_DURATION_SECS,
        HdxError::ExpiryTooFar
    );
    let revision = ctx.accounts.patient.next_consent_revision()?;
    let consent = &mut ctx.accounts.consent;
    consent.expires_at = expires_at;
    consent.renewals_used += 1;
    consent.revision = revision;
    emit_event!(ConsentRenewed {
        patient: consent.patient,
        provider: consent.provider,
        revision,
        expires_at,
        renewals_used: consent.renewals_used,
        at: now,
    });
    Ok(())
}
