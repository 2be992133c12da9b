use anchor_lang::prelude::*;

use crate::codes::{GuardianMode, ProposalKind, MAX_GUARDIANS};
use crate::state::ConsentTerms;

/// A patient's guardians, at `["guardians", patient_id]`: up to 5 keys, a
/// threshold M and a mode. Every change bumps `generation`, which makes every
/// open proposal stale.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct GuardianSet {
    /// The patient's id (offset 8).
    pub patient: Pubkey,
    pub mode: GuardianMode,
    /// Approvals a proposal needs.
    pub threshold: u8,
    /// Guardians in use (the first `count` of `guardians`).
    pub count: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Bumped on every change of the set: proposals of an older generation are stale.
    pub generation: u32,
    /// Proposals made so far: the next proposal's index.
    pub proposals: u32,
    pub guardians: [Pubkey; MAX_GUARDIANS as usize],
}

impl GuardianSet {
    pub const SPACE: usize = 8 + GuardianSet::INIT_SPACE;

    /// The guardian's position in the set.
    pub fn position(&self, key: &Pubkey) -> Option<usize> {
        self.guardians[..self.count as usize]
            .iter()
            .position(|g| g == key)
    }
}

/// A guardians' proposal, at `["proposal", patient_id, index]`: what, who
/// approved (a bit per guardian position), until when.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The patient's id (offset 8).
    pub patient: Pubkey,
    pub kind: ProposalKind,
    /// Bit `i`: the guardian at position `i` approved.
    pub approvals: u8,
    pub executed: bool,
    /// Stored canonical bump.
    pub bump: u8,
    pub index: u32,
    /// The guardian set's generation it was made under.
    pub generation: u32,
    pub proposer: Pubkey,
    /// Grant, update, revoke: the provider's id.
    pub provider: Pubkey,
    /// Grant, update: the full terms.
    pub terms: ConsentTerms,
    /// Recover, hand-over: the patient's new authority.
    pub new_authority: Pubkey,
    /// Hand-over: keep the guardians for recovery only (else remove them).
    pub keep_for_recovery: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Proposal {
    pub const SPACE: usize = 8 + Proposal::INIT_SPACE;

    pub fn approval_count(&self) -> u32 {
        self.approvals.count_ones()
    }
}
