use anchor_lang::prelude::*;

use crate::codes::{Actor, StudyStatus, MAX_STUDY_DURATION_SECS, MAX_TIME};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyEnrolled;
use crate::state::{
    load_existing, next, require_absent, seeds, write_account, Enrollment, Patient, Study,
    LAYOUT_VERSION,
};

/// Arguments of `enroll_in_study`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct EnrollArgs {
    /// Categories (`1 << Category`) the patient lets the study use: some of the study's.
    pub categories: u16,
    /// Unix seconds at which the enrolment ends on its own (exclusive).
    pub until: i64,
}

impl EnrollArgs {
    /// Some of `study`'s categories and none outside them; `until` ahead of
    /// `now` by at most 10 years.
    pub fn validate(&self, study: &Study, now: i64) -> Result<()> {
        require!(
            self.categories != 0
                && self.categories & !study.terms.categories == 0
                && (0..=MAX_TIME).contains(&self.until)
                && self.until > now
                && self.until - now <= MAX_STUDY_DURATION_SECS,
            HdxError::InvalidEnrollment
        );
        Ok(())
    }
}

/// The patient's authority enrols the patient in an approved study whose
/// enrolment is open: a new version in the patient's consent history. Not
/// while guardians act alone (they enrol by proposal). Enrolling again
/// after a withdrawal reactivates the same account.
#[derive(Accounts)]
pub struct EnrollInStudy<'info> {
    /// The patient's current authority; pays for the enrolment.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The patient (its authority checked); counts the consent version.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The study; counts the enrolment.
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

pub fn handle_enroll_in_study(ctx: Context<EnrollInStudy>, args: EnrollArgs) -> Result<()> {
    // Checks.
    ctx.accounts.patient.require_self_may_act()?;
    let now = Clock::get()?.unix_timestamp;
    let target = ctx.accounts.enrollment.to_account_info();
    let again = check_enroll(&ctx.accounts.study, &target, &args, now)?;
    // Effects.
    let signer = ctx.accounts.authority.key();
    let payer = ctx.accounts.authority.to_account_info();
    let bump = ctx.bumps.enrollment;
    let a = ctx.accounts;
    apply_enroll(
        &payer,
        &mut a.patient,
        &mut a.study,
        &target,
        bump,
        args,
        again,
        (Actor::Patient, signer, None),
        now,
    )
}

/// The checks of an enrolment in `study` at `target`: the study is approved
/// and its enrolment open, `args` fit it, and the patient is not enrolled
/// now. Returns whether an earlier (withdrawn) enrolment is there. Shared by
/// the patient's enrolment and the guardians' executed proposal.
pub fn check_enroll(
    study: &Study,
    target: &AccountInfo,
    args: &EnrollArgs,
    now: i64,
) -> Result<bool> {
    require!(
        study.status == StudyStatus::Approved,
        HdxError::StudyNotApproved
    );
    require!(
        now < study.terms.enrollment_closes_at,
        HdxError::EnrollmentClosed
    );
    args.validate(study, now)?;
    match load_existing::<Enrollment>(target)? {
        Some(e) => {
            require!(!e.active, HdxError::AlreadyEnrolled);
            Ok(true)
        }
        None => {
            require_absent(target)?;
            Ok(false)
        }
    }
}

/// The effects of an enrolment checked by [`check_enroll`]: a consent
/// revision, the enrolment written (`again`: over the withdrawn one), the
/// study's count, the event.
#[allow(clippy::too_many_arguments)]
pub fn apply_enroll<'info>(
    payer: &AccountInfo<'info>,
    patient: &mut Patient,
    study: &mut Account<'info, Study>,
    target: &AccountInfo<'info>,
    bump: u8,
    args: EnrollArgs,
    again: bool,
    (actor, signer, proposal): (Actor, Pubkey, Option<u32>),
    now: i64,
) -> Result<()> {
    let enrolled = next(study.enrolled)?;
    let revision = patient.count_consent_revision()?;
    let enrollment = Enrollment {
        study: study.key(),
        patient: patient.id,
        active: true,
        version: LAYOUT_VERSION,
        bump,
        categories: args.categories,
        revision,
        joined_at: now,
        until: args.until,
        withdrawn_at: 0,
        reserved: [0; Enrollment::RESERVED],
    };
    if again {
        write_account(target, &enrollment)?;
    } else {
        enrollment.create(payer, target)?;
    }
    study.enrolled = enrolled;
    emit_event!(StudyEnrolled {
        patient: patient.id,
        study: study.key(),
        revision,
        categories: args.categories,
        until: args.until,
        actor,
        signer,
        proposal,
        at: now,
    });
    Ok(())
}
