use anchor_lang::prelude::*;

use crate::codes::StudyStatus;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyApproved;
use crate::state::{Registry, Study};

/// The registry authority (standing in for the IRB) approves a proposed
/// study: enrolment opens.
#[derive(Accounts)]
pub struct ApproveStudy<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    /// The study approved.
    #[account(mut)]
    pub study: Account<'info, Study>,
}

pub fn handle_approve_study(ctx: Context<ApproveStudy>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let study = &mut ctx.accounts.study;
    require!(
        study.status == StudyStatus::Proposed,
        HdxError::StudyNotProposed
    );
    study.status = StudyStatus::Approved;
    study.approved_at = now;
    emit_event!(StudyApproved {
        study: study.key(),
        at: now,
    });
    Ok(())
}
