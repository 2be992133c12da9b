use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentUpdated;
use crate::state::{seeds, Consent, ConsentTerms, Patient};

/// The patient's authority replaces a consent's terms (narrow, widen, renew,
/// shorten; a new cap, range or renewal policy). The access count is kept
/// (the cap counts real accesses); the renewal count starts again with the
/// new policy.
#[derive(Accounts)]
pub struct UpdateConsent<'info> {
    pub authority: Signer<'info>,
    /// Counts the new consent version.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// Only `grant_consent` creates consents, at their canonical address:
    /// type, owner and the patient match suffice.
    #[account(mut, constraint = consent.patient == patient.id @ HdxError::ConsentMismatch)]
    pub consent: Account<'info, Consent>,
    /// CHECK: the patient's consent-history address (no account lives
    /// there): carried so consent changes can be listed by address.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_update_consent(ctx: Context<UpdateConsent>, terms: ConsentTerms) -> Result<()> {
    require!(
        ctx.accounts.patient.self_may_act(),
        HdxError::GuardiansActForPatient
    );
    let a = &mut *ctx.accounts;
    apply_update(&mut a.patient, &mut a.consent, terms)
}

/// Replaces a consent's terms as a new version. Shared by the patient's
/// update and the guardians' executed proposal.
pub fn apply_update(
    patient: &mut Patient,
    consent: &mut Consent,
    terms: ConsentTerms,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    terms.validate(now)?;
    let revision = patient.next_consent_revision()?;
    consent.set_terms(&terms);
    consent.updated_at = now;
    consent.revision = revision;
    emit_event!(ConsentUpdated {
        patient: consent.patient,
        provider: consent.provider,
        revision,
        terms,
        at: now,
    });
    Ok(())
}
