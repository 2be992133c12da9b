use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentRevoked;
use crate::state::Consent;

/// The patient revokes a consent: the account is closed, rent returns to the
/// patient, and the next access is denied. Works while the program is paused.
#[derive(Accounts)]
pub struct RevokeConsent<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        mut,
        close = owner,
        constraint = consent.patient == owner.key() @ HdxError::ConsentMismatch,
    )]
    pub consent: Account<'info, Consent>,
}

pub fn handle_revoke_consent(ctx: Context<RevokeConsent>) -> Result<()> {
    emit_event!(ConsentRevoked {
        patient: ctx.accounts.consent.patient,
        provider: ctx.accounts.consent.provider,
    });
    Ok(())
}
