use anchor_lang::prelude::*;

use super::{check_execution, mark_executed};
use crate::codes::{Actor, GuardianMode, MAX_GUARDIANS};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::{HandedOver, PatientAuthorityRotated};
use crate::state::{next, seeds, GuardianSet, Patient, Proposal, ProposalAction};

/// A guardian executes an approved recovery (the patient's authority rotated
/// to a new key: a lost wallet) or hand-over (the same, and the guardians
/// step back: kept for recovery, or removed; only from mode alone). The new
/// key co-signs.
#[derive(Accounts)]
pub struct ExecuteGuardianRecovery<'info> {
    /// A guardian of the patient.
    pub guardian: Signer<'info>,
    /// The patient, whose authority changes.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set, at its canonical address (changed by a hand-over).
    #[account(mut, seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The recovery or hand-over proposal (the patient's).
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    /// The new authority the proposal names; it co-signs, proving the patient holds it.
    pub new_authority: Signer<'info>,
}

pub fn handle_execute_guardian_recovery(ctx: Context<ExecuteGuardianRecovery>) -> Result<()> {
    // Checks.
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    let guardian = a.guardian.key();
    let (new_authority, hand_over) = match a.proposal.action {
        ProposalAction::Recover { new_authority } => (new_authority, None),
        ProposalAction::HandOver {
            new_authority,
            keep_for_recovery,
        } => (new_authority, Some(keep_for_recovery)),
        _ => return err!(HdxError::ProposalMismatch),
    };
    let kind = a.proposal.action.kind();
    check_execution(&guardian, &a.guardian_set, &a.proposal, kind, now)?;
    require_keys_eq!(
        a.new_authority.key(),
        new_authority,
        HdxError::ProposalMismatch
    );
    require_keys_neq!(new_authority, a.patient.authority, HdxError::KeyUnchanged);
    let generation = match hand_over {
        Some(_) => next(a.guardian_set.generation)?,
        None => a.guardian_set.generation,
    };
    // Effects.
    let index = a.proposal.index;
    let a = &mut *ctx.accounts;
    mark_executed(&a.guardian_set, &mut a.proposal, guardian);
    let patient = &mut a.patient;
    let previous = patient.authority;
    patient.authority = new_authority;
    emit_event!(PatientAuthorityRotated {
        patient: patient.id,
        previous,
        authority: new_authority,
        actor: Actor::Guardians,
        proposal: Some(index),
        at: now,
    });
    if let Some(keep) = hand_over {
        let set = &mut a.guardian_set;
        if keep {
            set.mode = GuardianMode::RecoveryOnly;
        } else {
            set.mode = GuardianMode::None;
            set.count = 0;
            set.threshold = 0;
            set.guardians = [Pubkey::default(); MAX_GUARDIANS as usize];
        }
        // Whatever else was open was proposed to the guardians of a minor.
        set.generation = generation;
        patient.guardian_mode = set.mode;
        emit_event!(HandedOver {
            patient: patient.id,
            authority: new_authority,
            kept_for_recovery: keep,
        });
    }
    Ok(())
}
