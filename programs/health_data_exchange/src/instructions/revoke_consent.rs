use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentRevoked;
use crate::state::{seeds, Consent, Patient};

/// The patient's authority revokes a consent: the account is closed, rent
/// returns to the authority, and the next access is denied. Works while the
/// program is paused.
#[derive(Accounts)]
pub struct RevokeConsent<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    #[account(
        mut,
        close = authority,
        constraint = consent.patient == patient.id @ HdxError::ConsentMismatch,
    )]
    pub consent: Account<'info, Consent>,
    /// CHECK: the patient's consent-history address (no account lives
    /// there): carried so consent changes can be listed by address.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_revoke_consent(ctx: Context<RevokeConsent>) -> Result<()> {
    require!(
        ctx.accounts.patient.self_may_act(),
        HdxError::GuardiansActForPatient
    );
    let consent = &ctx.accounts.consent;
    emit_event!(ConsentRevoked {
        patient: consent.patient,
        provider: consent.provider,
        revision: consent.revision,
        at: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
