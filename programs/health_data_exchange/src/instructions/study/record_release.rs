use anchor_lang::prelude::*;

use crate::codes::StudyStatus;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyReleaseRecorded;
use crate::state::{
    next, require_absent, seeds, Provider, Registry, ReleaseFacts, Study, StudyRelease,
    LAYOUT_VERSION,
};

/// The study's custodian records an answer before it releases it: the
/// query's hash, the epsilon it spends, the cohort's size, hash and slot.
/// Refused (nothing recorded, so nothing may be answered) when the study is
/// not approved or is closed, its time limit passed, its sponsor is no longer
/// verified, the program is paused, the budget would be exceeded, or the
/// cohort is below the study's minimum or above its enrolment. Appends to
/// the study's hash-chained log: one release account per answer.
#[derive(Accounts)]
pub struct RecordRelease<'info> {
    /// The study's custodian; pays for the release account.
    #[account(mut)]
    pub custodian: Signer<'info>,
    /// The study (its custodian checked).
    #[account(mut, has_one = custodian @ HdxError::NotStudyCustodian)]
    pub study: Account<'info, Study>,
    /// The study's sponsor (still verified).
    #[account(constraint = provider.id == study.sponsor @ HdxError::NotStudySponsor)]
    pub provider: Account<'info, Provider>,
    /// The one registry: the pause.
    pub registry: Account<'info, Registry>,
    /// The release, created here at the study's next release address.
    /// CHECK: the study's next release PDA, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::STUDY_RELEASE, study.key().as_ref(), &study.releases.to_le_bytes()],
        bump,
    )]
    pub release: UncheckedAccount<'info>,
    /// The system program (creates the release).
    pub system_program: Program<'info, System>,
}

pub fn handle_record_release(ctx: Context<RecordRelease>, facts: ReleaseFacts) -> Result<()> {
    let a = &ctx.accounts;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let study = &a.study;
    require!(!a.registry.paused, HdxError::ProgramPaused);
    require!(
        study.status == StudyStatus::Approved,
        HdxError::StudyNotApproved
    );
    require!(
        study.terms.use_until == 0 || now < study.terms.use_until,
        HdxError::StudyUseEnded
    );
    a.provider.require_verified(now)?;
    require!(
        facts.query_hash != [0; 32] && facts.cohort_hash != [0; 32],
        HdxError::EmptyQueryHash
    );
    require!(facts.epsilon_milli >= 1, HdxError::InvalidReleaseEpsilon);
    let spent = study
        .epsilon_spent_milli
        .checked_add(facts.epsilon_milli)
        .filter(|s| *s <= study.terms.epsilon_milli)
        .ok_or(HdxError::StudyBudgetExceeded)?;
    require!(
        facts.cohort_size >= study.terms.min_cohort,
        HdxError::CohortBelowMinimum
    );
    require!(
        facts.cohort_size <= study.enrolled,
        HdxError::CohortLargerThanEnrolled
    );
    require!(
        facts.cohort_slot <= clock.slot,
        HdxError::CohortSlotInFuture
    );
    let release_info = a.release.to_account_info();
    require_absent(&release_info)?;
    let index = study.releases;
    let releases = next(index)?;
    let head = StudyRelease::next_head(&study.log_head, index, now, &facts);
    // Effects.
    StudyRelease {
        study: study.key(),
        index,
        version: LAYOUT_VERSION,
        bump: ctx.bumps.release,
        at: now,
        facts,
        head,
        reserved: [0; StudyRelease::RESERVED],
    }
    .create(&a.custodian.to_account_info(), &release_info)?;
    let study = &mut ctx.accounts.study;
    study.releases = releases;
    study.epsilon_spent_milli = spent;
    study.log_head = head;
    emit_event!(StudyReleaseRecorded {
        study: study.key(),
        index,
        facts,
        epsilon_spent_milli: spent,
        head,
        at: now,
    });
    Ok(())
}
