use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentUpdated;
use crate::state::{Consent, ConsentTerms};

/// The patient replaces a consent's scope and window (narrow, widen, renew, shorten).
#[derive(Accounts)]
pub struct UpdateConsent<'info> {
    pub owner: Signer<'info>,
    #[account(mut, constraint = consent.patient == owner.key() @ HdxError::ConsentMismatch)]
    pub consent: Account<'info, Consent>,
}

pub fn handle_update_consent(ctx: Context<UpdateConsent>, terms: ConsentTerms) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    terms.validate(now)?;
    let consent = &mut ctx.accounts.consent;
    consent.set_terms(&terms);
    consent.updated_at = now;
    emit_event!(ConsentUpdated {
        patient: consent.patient,
        provider: consent.provider,
        categories: terms.categories,
        modes: terms.modes,
        purposes: terms.purposes,
        not_before: terms.not_before,
        expires_at: terms.expires_at,
    });
    Ok(())
}
