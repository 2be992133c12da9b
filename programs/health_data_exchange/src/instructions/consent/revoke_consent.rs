use anchor_lang::prelude::*;

use crate::codes::Actor;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentRevoked;
use crate::state::{seeds, Consent, Patient};

/// The patient's authority revokes a consent: the account is closed, rent
/// returns to the authority, and the next access is denied. Works while the
/// program is paused. Not while guardians act alone (then any one guardian
/// revokes: `guardian_revoke_consent`).
#[derive(Accounts)]
pub struct RevokeConsent<'info> {
    /// The patient's current authority; receives the consent's rent.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The patient (its authority checked).
    #[account(has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The consent, closed here.
    #[account(
        mut,
        close = authority,
        constraint = consent.patient == patient.id @ HdxError::ConsentMismatch,
    )]
    pub consent: Account<'info, Consent>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_revoke_consent(ctx: Context<RevokeConsent>) -> Result<()> {
    ctx.accounts.patient.require_self_may_act()?;
    let now = Clock::get()?.unix_timestamp;
    revoked(
        &ctx.accounts.consent,
        Actor::Patient,
        ctx.accounts.authority.key(),
        now,
    );
    Ok(())
}

/// Says a consent was revoked (an effect: the `close` constraint closes it
/// as the instruction ends). Shared with the guardian's revocation.
pub fn revoked(consent: &Consent, actor: Actor, signer: Pubkey, now: i64) {
    emit_event!(ConsentRevoked {
        patient: consent.patient,
        provider: consent.provider,
        revision: consent.revision,
        actor,
        signer,
        at: now,
    });
}
