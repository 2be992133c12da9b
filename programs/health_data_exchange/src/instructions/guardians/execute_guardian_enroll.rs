use anchor_lang::prelude::*;

use super::{check_execution, mark_executed};
use crate::codes::{Actor, ProposalKind};
use crate::error::HdxError;
use crate::instructions::study::{apply_enroll, check_enroll, EnrollArgs};
use crate::state::{seeds, GuardianSet, Patient, Proposal, ProposalAction, Study};

/// A guardian executes an approved enrolment proposal: exactly the
/// patient's own enrolment (same checks, same consent version, same event),
/// made by the guardians.
#[derive(Accounts)]
pub struct ExecuteGuardianEnroll<'info> {
    /// A guardian of the patient; pays for the enrolment.
    #[account(mut)]
    pub guardian: Signer<'info>,
    /// The patient; counts the consent version.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address.
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The enrolment proposal (the patient's).
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    /// The study the proposal names; counts the enrolment.
    #[account(mut)]
    pub study: Account<'info, Study>,
    /// The enrolment, created here (or reactivated).
    /// CHECK: the (study, patient) enrolment PDA, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::ENROLLMENT, study.key().as_ref(), patient.id.as_ref()],
        bump,
    )]
    pub enrollment: UncheckedAccount<'info>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
    /// The system program (creates the enrolment).
    pub system_program: Program<'info, System>,
}

pub fn handle_execute_guardian_enroll(ctx: Context<ExecuteGuardianEnroll>) -> Result<()> {
    // Checks.
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let guardian = a.guardian.key();
    check_execution(
        &guardian,
        &a.guardian_set,
        &a.proposal,
        ProposalKind::Enroll,
        now,
    )?;
    let ProposalAction::Enroll {
        study,
        categories,
        until,
    } = a.proposal.action
    else {
        return err!(HdxError::ProposalMismatch);
    };
    require_keys_eq!(a.study.key(), study, HdxError::ProposalMismatch);
    let args = EnrollArgs { categories, until };
    let target = a.enrollment.to_account_info();
    let again = check_enroll(&a.study, &target, &args, now)?;
    // Effects.
    let index = a.proposal.index;
    let payer = a.guardian.to_account_info();
    let bump = ctx.bumps.enrollment;
    let a = &mut *ctx.accounts;
    mark_executed(&a.guardian_set, &mut a.proposal, guardian);
    apply_enroll(
        &payer,
        &mut a.patient,
        &mut a.study,
        &target,
        bump,
        args,
        again,
        (Actor::Guardians, guardian, Some(index)),
        now,
    )
}
