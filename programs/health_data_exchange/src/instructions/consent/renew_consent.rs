use anchor_lang::prelude::*;

use crate::emit_event;
use crate::events::ConsentRenewed;
use crate::state::{seeds, Consent, Patient, Provider};

/// Anyone (a provider's cron job, the patient) extends a consent by one
/// period of the renewal policy the patient set, only: in the last tenth of
/// its window, before it expires, while renewals remain and the provider is
/// still verified. A patient's update sets a new policy (and restarts the
/// count); a revocation closes the consent, so nothing is left to renew.
#[derive(Accounts)]
pub struct RenewConsent<'info> {
    /// The patient; counts the new consent version.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The consent's provider (it must still be verified).
    pub provider: Account<'info, Provider>,
    /// The consent of (patient, provider), at its canonical address.
    #[account(
        mut,
        seeds = [seeds::CONSENT, patient.id.as_ref(), provider.id.as_ref()],
        bump = consent.bump,
    )]
    pub consent: Account<'info, Consent>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_renew_consent(ctx: Context<RenewConsent>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let consent = &ctx.accounts.consent;
    let expires_at = consent.renewal(now)?;
    ctx.accounts.provider.require_verified(now)?;
    let revision = ctx.accounts.patient.next_consent_revision()?;
    let renewals_used = consent.renewals_used + 1;
    ctx.accounts.patient.consent_revisions = revision;
    let consent = &mut ctx.accounts.consent;
    consent.terms.expires_at = expires_at;
    consent.renewals_used = renewals_used;
    consent.revision = revision;
    emit_event!(ConsentRenewed {
        patient: consent.patient,
        provider: consent.provider,
        revision,
        expires_at,
        renewals_used,
        at: now,
    });
    Ok(())
}
