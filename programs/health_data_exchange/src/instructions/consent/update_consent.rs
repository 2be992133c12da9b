use anchor_lang::prelude::*;

use super::grant_consent::Change;
use crate::codes::Actor;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentUpdated;
use crate::state::{seeds, Consent, ConsentTerms, Patient};

/// The patient's authority replaces a consent's terms (narrow, widen,
/// shorten; a new cap, range or renewal policy). The access count is kept
/// (the cap counts real accesses); the renewal count starts again with the
/// new policy. Not while guardians act alone.
#[derive(Accounts)]
pub struct UpdateConsent<'info> {
    /// The patient's current authority.
    pub authority: Signer<'info>,
    /// The patient (its authority checked); counts the new consent version.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The consent (only `grant_consent` creates consents, at their canonical
    /// address: type, owner and the patient match suffice).
    #[account(mut, constraint = consent.patient == patient.id @ HdxError::ConsentMismatch)]
    pub consent: Account<'info, Consent>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_update_consent(ctx: Context<UpdateConsent>, terms: ConsentTerms) -> Result<()> {
    let patient = &ctx.accounts.patient;
    patient.require_self_may_act()?;
    let now = Clock::get()?.unix_timestamp;
    let revision = check_update(patient, &terms, now)?;
    let signer = ctx.accounts.authority.key();
    let a = &mut *ctx.accounts;
    apply_update(
        &mut a.patient,
        &mut a.consent,
        Change {
            terms,
            revision,
            now,
            actor: Actor::Patient,
            signer,
            proposal: None,
        },
    );
    Ok(())
}

/// The checks of an update: the terms are valid now and a version number is
/// left. Returns that number. Shared with the guardians' executed proposal.
pub fn check_update(patient: &Patient, terms: &ConsentTerms, now: i64) -> Result<u32> {
    terms.validate(now)?;
    patient.next_consent_revision()
}

/// The effects of an update, after every check.
pub fn apply_update(patient: &mut Patient, consent: &mut Consent, change: Change) {
    patient.consent_revisions = change.revision;
    consent.set_terms(change.terms, change.revision, change.now);
    emit_event!(ConsentUpdated {
        patient: consent.patient,
        provider: consent.provider,
        revision: change.revision,
        terms: change.terms,
        actor: change.actor,
        signer: change.signer,
        proposal: change.proposal,
        at: change.now,
    });
}
