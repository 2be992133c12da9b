use anchor_lang::prelude::*;

use crate::codes::{Actor, StudyStatus, MAX_STUDY_DURATION_SECS, MAX_TIME};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyEnrolled;
use crate::state::{
    load_existing, next, require_absent, seeds, write_account, Enrollment, Patient, Study,
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
    ctx.accounts.patient.require_self_may_act()?;
    let signer = ctx.accounts.authority.key();
    let payer = ctx.accounts.authority.to_account_info();
    let bump = ctx.bumps.enrollment;
    let a = ctx.accounts;
    enroll(
        &payer,
        &mut a.patient,
        &mut a.study,
        &a.enrollment.to_account_info(),
        bump,
        args,
        (Actor::Patient, signer, None),
    )
}

/// Enrols `patient` in `study` at `target` (checks, then effects). Shared
/// by the patient's enrolment and the guardians' executed proposal.
pub fn enroll<'info>(
    payer: &AccountInfo<'info>,
    patient: &mut Patient,
    study: &mut Account<'info, Study>,
    target: &AccountInfo<'info>,
    bump: u8,
    args: EnrollArgs,
    (actor, signer, proposal): (Actor, Pubkey, Option<u32>),
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(
        study.status == StudyStatus::Approved,
        HdxError::StudyNotApproved
    );
    require!(
        now < study.terms.enrollment_closes_at,
        HdxError::EnrollmentClosed
    );
    args.validate(study, now)?;
    let existing = load_existing::<Enrollment>(target)?;
    if let Some(e) = &existing {
        require!(!e.active, HdxError::AlreadyEnrolled);
    } else {
        require_absent(target)?;
    }
    // Effects.
    let enrolled = next(study.enrolled)?;
    let revision = patient.count_consent_revision()?;
    let enrollment = Enrollment {
        study: study.key(),
        patient: patient.id,
        active: true,
        version: crate::state::LAYOUT_VERSION,
        bump,
        categories: args.categories,
        revision,
        joined_at: now,
        until: args.until,
        withdrawn_at: 0,
        reserved: [0; Enrollment::RESERVED],
    };
    match existing {
        Some(_) => write_account(target, &enrollment)?,
        None => enrollment.create(payer, target)?,
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
