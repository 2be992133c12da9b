use anchor_lang::prelude::*;

use crate::codes::Actor;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyWithdrawn;
use crate::state::{seeds, Enrollment, GuardianSet, Patient, Study};

/// The patient's authority withdraws the patient from a study, at once: no
/// release recorded after this transaction may count the patient. A new
/// version in the patient's consent history; the enrolment stays,
/// inactive. Works while the program is paused and after the study closed.
/// Not while guardians act alone (then any one guardian withdraws:
/// `guardian_withdraw_from_study`).
#[derive(Accounts)]
pub struct WithdrawFromStudy<'info> {
    /// The patient's current authority.
    pub authority: Signer<'info>,
    /// The patient (its authority checked); counts the consent version.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The study; counts the withdrawal.
    #[account(mut)]
    pub study: Account<'info, Study>,
    /// The patient's enrolment in the study.
    #[account(
        mut,
        constraint = enrollment.study == study.key()
            && enrollment.patient == patient.id @ HdxError::EnrollmentMismatch,
    )]
    pub enrollment: Account<'info, Enrollment>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_withdraw_from_study(ctx: Context<WithdrawFromStudy>) -> Result<()> {
    ctx.accounts.patient.require_self_may_act()?;
    let signer = ctx.accounts.authority.key();
    let a = ctx.accounts;
    withdraw(
        &mut a.patient,
        &mut a.study,
        &mut a.enrollment,
        Actor::Patient,
        signer,
    )
}

/// Any single guardian withdraws the patient from a study at once
/// (guardians acting alone or alongside; not recovery-only guardians):
/// leaving is never harder than joining.
#[derive(Accounts)]
pub struct GuardianWithdrawFromStudy<'info> {
    /// A guardian of the patient.
    pub guardian: Signer<'info>,
    /// The patient; counts the consent version.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address.
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The study; counts the withdrawal.
    #[account(mut)]
    pub study: Account<'info, Study>,
    /// The patient's enrolment in the study.
    #[account(
        mut,
        constraint = enrollment.study == study.key()
            && enrollment.patient == patient.id @ HdxError::EnrollmentMismatch,
    )]
    pub enrollment: Account<'info, Enrollment>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_guardian_withdraw_from_study(ctx: Context<GuardianWithdrawFromStudy>) -> Result<()> {
    let guardian = ctx.accounts.guardian.key();
    ctx.accounts
        .guardian_set
        .require_single_guardian(&guardian)?;
    let a = ctx.accounts;
    withdraw(
        &mut a.patient,
        &mut a.study,
        &mut a.enrollment,
        Actor::Guardian,
        guardian,
    )
}

/// Withdraws an active enrolment now (checks, then effects).
fn withdraw(
    patient: &mut Patient,
    study: &mut Account<Study>,
    enrollment: &mut Enrollment,
    actor: Actor,
    signer: Pubkey,
) -> Result<()> {
    require!(enrollment.active, HdxError::NotEnrolled);
    let now = Clock::get()?.unix_timestamp;
    let enrolled = study
        .enrolled
        .checked_sub(1)
        .ok_or(HdxError::ArithmeticOverflow)?;
    // Effects.
    let revision = patient.count_consent_revision()?;
    study.enrolled = enrolled;
    enrollment.active = false;
    enrollment.withdrawn_at = now;
    enrollment.revision = revision;
    emit_event!(StudyWithdrawn {
        patient: patient.id,
        study: study.key(),
        revision,
        actor,
        signer,
        at: now,
    });
    Ok(())
}
