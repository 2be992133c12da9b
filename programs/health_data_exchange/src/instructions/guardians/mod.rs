//! Guardians: up to five keys and a threshold M act for a patient (a minor,
//! an adult who cannot manage keys) or only recover a lost key. They act
//! through proposals, as a multisig does: one proposes (a grant or update
//! with its full terms, a recovery, a hand-over, emergency preferences),
//! others approve, and it executes once M have approved, before it
//! expires; changing the set makes open proposals stale. Revoking is never
//! harder than granting: any single guardian revokes a consent at once.

use anchor_lang::prelude::*;

use crate::codes::{GuardianMode, ProposalKind, MAX_GUARDIANS};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProposalExecuted;
use crate::state::{GuardianSet, Proposal};

pub mod approve_guardian_action;
pub mod execute_guardian_enroll;
pub mod execute_guardian_grant;
pub mod execute_guardian_preferences;
pub mod execute_guardian_recovery;
pub mod execute_guardian_update;
pub mod guardian_revoke_consent;
pub mod propose_guardian_action;
pub mod set_guardians;

pub use approve_guardian_action::*;
pub use execute_guardian_enroll::*;
pub use execute_guardian_grant::*;
pub use execute_guardian_preferences::*;
pub use execute_guardian_recovery::*;
pub use execute_guardian_update::*;
pub use guardian_revoke_consent::*;
pub use propose_guardian_action::*;
pub use set_guardians::*;

/// What each mode lets guardians propose.
pub fn mode_allows(mode: GuardianMode, kind: ProposalKind) -> bool {
    match kind {
        ProposalKind::Grant
        | ProposalKind::Update
        | ProposalKind::EmergencyPreferences
        | ProposalKind::Enroll => {
            matches!(mode, GuardianMode::Alone | GuardianMode::Alongside)
        }
        ProposalKind::Recover => mode != GuardianMode::None,
        ProposalKind::HandOver => mode == GuardianMode::Alone,
    }
}

/// Still actionable: of the set's generation, not expired, not executed.
fn check_open(set: &GuardianSet, proposal: &Proposal, now: i64) -> Result<()> {
    require!(
        proposal.generation == set.generation,
        HdxError::ProposalStale
    );
    require!(now < proposal.expires_at, HdxError::ProposalExpired);
    require!(!proposal.executed, HdxError::ProposalExecuted);
    Ok(())
}

/// The checks every execution shares: a guardian of the set executes an
/// open proposal of `kind` that has its threshold of approvals and that the
/// set's mode allows.
fn check_execution(
    guardian: &Pubkey,
    set: &GuardianSet,
    proposal: &Proposal,
    kind: ProposalKind,
    now: i64,
) -> Result<()> {
    set.position(guardian).ok_or(HdxError::NotAGuardian)?;
    require!(proposal.action.kind() == kind, HdxError::ProposalMismatch);
    check_open(set, proposal, now)?;
    require!(
        proposal.approval_count() >= u32::from(set.threshold),
        HdxError::NotEnoughApprovals
    );
    require!(mode_allows(set.mode, kind), HdxError::GuardianModeForbids);
    Ok(())
}

/// The effect every execution shares (after all of its checks): marked
/// executed, and the event naming the executor and every approver.
fn mark_executed(set: &GuardianSet, proposal: &mut Proposal, executor: Pubkey) {
    proposal.executed = true;
    let mut approvers = [Pubkey::default(); MAX_GUARDIANS as usize];
    let approving = set.guardians[..set.count as usize]
        .iter()
        .enumerate()
        .filter(|(i, _)| proposal.approvals & (1 << i) != 0);
    for (slot, (_, g)) in approvers.iter_mut().zip(approving) {
        *slot = *g;
    }
    emit_event!(ProposalExecuted {
        patient: proposal.patient,
        proposal: proposal.index,
        kind: proposal.action.kind(),
        executor,
        approvers,
    });
}
