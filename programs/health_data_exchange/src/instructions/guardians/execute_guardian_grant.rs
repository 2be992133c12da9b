use anchor_lang::prelude::*;

use super::{check_execution, mark_executed};
use crate::codes::{Actor, ProposalKind};
use crate::error::HdxError;
use crate::instructions::consent::{apply_grant, check_grant, Change};
use crate::state::{seeds, GuardianSet, Patient, Proposal, ProposalAction, Provider};

/// A guardian executes an approved grant proposal: exactly the patient's
/// own grant (same checks, same consent version, same event), made by the
/// guardians.
#[derive(Accounts)]
pub struct ExecuteGuardianGrant<'info> {
    /// A guardian of the patient; pays for the consent.
    #[account(mut)]
    pub guardian: Signer<'info>,
    /// The patient; counts the consent version.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address.
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The grant proposal (the patient's).
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    /// The provider the proposal names.
    pub provider: Account<'info, Provider>,
    /// The consent, created here at the canonical address of (patient, provider).
    /// CHECK: the canonical consent PDA of (patient, provider), checked by `seeds`.
    #[account(mut, seeds = [seeds::CONSENT, patient.id.as_ref(), provider.id.as_ref()], bump)]
    pub consent: UncheckedAccount<'info>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
    /// The system program (creates the consent).
    pub system_program: Program<'info, System>,
}

pub fn handle_execute_guardian_grant(ctx: Context<ExecuteGuardianGrant>) -> Result<()> {
    // Checks.
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let guardian = a.guardian.key();
    check_execution(
        &guardian,
        &a.guardian_set,
        &a.proposal,
        ProposalKind::Grant,
        now,
    )?;
    let ProposalAction::Grant { provider, terms } = a.proposal.action else {
        return err!(HdxError::ProposalMismatch);
    };
    require_keys_eq!(a.provider.id, provider, HdxError::ProposalMismatch);
    let consent = a.consent.to_account_info();
    let revision = check_grant(&a.patient, &consent, &terms, now)?;
    // Effects.
    let index = a.proposal.index;
    let a = &mut *ctx.accounts;
    mark_executed(&a.guardian_set, &mut a.proposal, guardian);
    apply_grant(
        &a.guardian.to_account_info(),
        &mut a.patient,
        provider,
        &consent,
        ctx.bumps.consent,
        Change {
            terms,
            revision,
            now,
            actor: Actor::Guardians,
            signer: guardian,
            proposal: Some(index),
        },
    )
}
