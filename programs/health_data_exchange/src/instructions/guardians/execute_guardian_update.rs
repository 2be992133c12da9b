use anchor_lang::prelude::*;

use super::{check_execution, mark_executed};
use crate::codes::{Actor, ProposalKind};
use crate::error::HdxError;
use crate::instructions::consent::{apply_update, check_update, Change};
use crate::state::{seeds, Consent, GuardianSet, Patient, Proposal, ProposalAction};

/// A guardian executes an approved update proposal: exactly the patient's
/// own update, made by the guardians.
#[derive(Accounts)]
pub struct ExecuteGuardianUpdate<'info> {
    /// A guardian of the patient.
    pub guardian: Signer<'info>,
    /// The patient; counts the consent version.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address.
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The update proposal (the patient's).
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    /// The consent the proposal names (the patient's).
    #[account(mut, constraint = consent.patient == patient.id @ HdxError::ProposalMismatch)]
    pub consent: Account<'info, Consent>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_execute_guardian_update(ctx: Context<ExecuteGuardianUpdate>) -> Result<()> {
    // Checks.
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let guardian = a.guardian.key();
    check_execution(
        &guardian,
        &a.guardian_set,
        &a.proposal,
        ProposalKind::Update,
        now,
    )?;
    let ProposalAction::Update { provider, terms } = a.proposal.action else {
        return err!(HdxError::ProposalMismatch);
    };
    require_keys_eq!(a.consent.provider, provider, HdxError::ProposalMismatch);
    let revision = check_update(&a.patient, &terms, now)?;
    // Effects.
    let index = a.proposal.index;
    let a = &mut *ctx.accounts;
    mark_executed(&a.guardian_set, &mut a.proposal, guardian);
    apply_update(
        &mut a.patient,
        &mut a.consent,
        Change {
            terms,
            revision,
            now,
            actor: Actor::Guardians,
            signer: guardian,
            proposal: Some(index),
        },
    );
    Ok(())
}
