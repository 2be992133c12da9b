use anchor_lang::prelude::*;

use crate::codes::Actor;
use crate::error::HdxError;
use crate::instructions::consent::revoked;
use crate::state::{seeds, Consent, GuardianSet, Patient};

/// Any single guardian revokes a consent at once (guardians acting alone or
/// alongside; not recovery-only guardians): revoking is never harder than
/// granting. The rent goes back to the patient's authority.
#[derive(Accounts)]
pub struct GuardianRevokeConsent<'info> {
    /// A guardian of the patient.
    pub guardian: Signer<'info>,
    /// The patient.
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address.
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The consent, closed here (the patient's).
    #[account(
        mut,
        close = refund,
        constraint = consent.patient == patient.id @ HdxError::ConsentMismatch,
    )]
    pub consent: Account<'info, Consent>,
    /// The patient's current authority, who paid for the consent: its rent goes back there.
    /// CHECK: must be the patient's authority, checked by `address`.
    #[account(mut, address = patient.authority @ HdxError::NotPatientAuthority)]
    pub refund: UncheckedAccount<'info>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_guardian_revoke_consent(ctx: Context<GuardianRevokeConsent>) -> Result<()> {
    let a = &ctx.accounts;
    let guardian = a.guardian.key();
    a.guardian_set.require_single_guardian(&guardian)?;
    let now = Clock::get()?.unix_timestamp;
    revoked(&a.consent, Actor::Guardian, guardian, now);
    Ok(())
}
