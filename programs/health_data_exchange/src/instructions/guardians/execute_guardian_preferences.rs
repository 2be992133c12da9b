use anchor_lang::prelude::*;

use super::{check_execution, mark_executed};
use crate::codes::{Actor, ProposalKind};
use crate::error::HdxError;
use crate::instructions::patient::set_preferences;
use crate::state::{seeds, GuardianSet, Patient, Proposal, ProposalAction};

/// A guardian executes an approved change of the patient's emergency
/// preferences (how they change while guardians act alone: the patient's
/// own key cannot).
#[derive(Accounts)]
pub struct ExecuteGuardianPreferences<'info> {
    /// A guardian of the patient.
    pub guardian: Signer<'info>,
    /// The patient, whose preferences change.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address.
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The preferences proposal (the patient's).
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
}

pub fn handle_execute_guardian_preferences(ctx: Context<ExecuteGuardianPreferences>) -> Result<()> {
    // Checks.
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let guardian = a.guardian.key();
    check_execution(
        &guardian,
        &a.guardian_set,
        &a.proposal,
        ProposalKind::EmergencyPreferences,
        now,
    )?;
    let ProposalAction::EmergencyPreferences { preferences } = a.proposal.action else {
        return err!(HdxError::ProposalMismatch);
    };
    preferences.validate()?;
    // Effects.
    let index = a.proposal.index;
    let a = &mut *ctx.accounts;
    mark_executed(&a.guardian_set, &mut a.proposal, guardian);
    set_preferences(
        &mut a.patient,
        preferences,
        Actor::Guardians,
        guardian,
        Some(index),
    );
    Ok(())
}
