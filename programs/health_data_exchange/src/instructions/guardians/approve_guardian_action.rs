use anchor_lang::prelude::*;

use super::check_open;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProposalApproved;
use crate::state::{GuardianSet, Proposal};

/// Another guardian approves an open proposal, once.
#[derive(Accounts)]
pub struct ApproveGuardianAction<'info> {
    /// A guardian of the patient.
    pub guardian: Signer<'info>,
    /// The patient's guardian set.
    pub guardian_set: Account<'info, GuardianSet>,
    /// The proposal (the set's patient's).
    #[account(mut, constraint = proposal.patient == guardian_set.patient @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
}

pub fn handle_approve_guardian_action(ctx: Context<ApproveGuardianAction>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let guardian = ctx.accounts.guardian.key();
    let set = &ctx.accounts.guardian_set;
    let position = set.position(&guardian).ok_or(HdxError::NotAGuardian)?;
    let proposal = &mut ctx.accounts.proposal;
    check_open(set, proposal, now)?;
    require!(
        proposal.approvals & (1 << position) == 0,
        HdxError::AlreadyApproved
    );
    proposal.approvals |= 1 << position;
    emit_event!(ProposalApproved {
        patient: proposal.patient,
        proposal: proposal.index,
        guardian,
        approvals: proposal.approvals,
    });
    Ok(())
}
