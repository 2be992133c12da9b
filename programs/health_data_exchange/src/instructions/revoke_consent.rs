use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentRevoked;
use crate::state::{Consent, Patient};

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
}

pub fn handle_revoke_consent(ctx: Context<RevokeConsent>) -> Result<()> {
    let consent = &ctx.accounts.consent;
    emit_event!(ConsentRevoked {
        patient: consent.patient,
        provider: consent.provider,
        revision: consent.revision,
        at: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
