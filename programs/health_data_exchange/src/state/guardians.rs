use anchor_lang::prelude::*;

use crate::codes::{GuardianMode, ProposalKind, MAX_GUARDIANS};
use crate::error::HdxError;
use crate::state::{create_account, seeds, ConsentTerms, EmergencyPreferences, LAYOUT_VERSION};

/// A patient's guardians, at `["guardians", patient_id]`: up to 5 keys, a
/// threshold M and a mode. Every change bumps `generation`, which makes every
/// open proposal stale.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct GuardianSet {
    /// The patient's id (offset 8).
    pub patient: Pubkey,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// How the guardians act for the patient.
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
    /// The guardians' keys; only the first `count` are in use, the rest are the default address.
    pub guardians: [Pubkey; MAX_GUARDIANS as usize],
    /// Reserved, zero: a delay before an executed proposal takes effect (4
    /// bytes, seconds) and 28 bytes after it.
    pub reserved: [u8; 32],
}

impl GuardianSet {
    pub const SPACE: usize = 8 + GuardianSet::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 32;

    /// The guardian's position in the set.
    pub fn position(&self, key: &Pubkey) -> Option<usize> {
        self.guardians[..self.count as usize]
            .iter()
            .position(|g| g == key)
    }

    /// `key` is a guardian who may act alone at once (revoke a consent,
    /// withdraw from a study): guardians acting alone or alongside, not
    /// recovery-only ones.
    pub fn require_single_guardian(&self, key: &Pubkey) -> Result<()> {
        self.position(key).ok_or(HdxError::NotAGuardian)?;
        require!(
            matches!(self.mode, GuardianMode::Alone | GuardianMode::Alongside),
            HdxError::GuardianModeForbids
        );
        Ok(())
    }

    /// An empty set of `patient` (no mode, generation 0) to fill in.
    pub fn empty(patient: Pubkey, bump: u8) -> Self {
        GuardianSet {
            patient,
            version: LAYOUT_VERSION,
            mode: GuardianMode::None,
            threshold: 0,
            count: 0,
            bump,
            generation: 0,
            proposals: 0,
            guardians: [Pubkey::default(); MAX_GUARDIANS as usize],
            reserved: [0; Self::RESERVED],
        }
    }

    /// Creates `self` at `target` (its canonical PDA).
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[seeds::GUARDIANS, self.patient.as_ref(), &[self.bump]],
            self,
        )
    }
}

/// What guardians propose, with everything executing it needs.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProposalAction {
    /// Grant the provider (by id) a consent with these terms.
    Grant {
        /// The provider's id.
        provider: Pubkey,
        /// The consent's full terms.
        terms: ConsentTerms,
    },
    /// Replace the terms of the provider's consent.
    Update {
        /// The provider's id.
        provider: Pubkey,
        /// The new terms.
        terms: ConsentTerms,
    },
    /// Rotate the patient's authority to a new key (a lost wallet).
    Recover {
        /// The patient's new authority (it co-signs the execution).
        new_authority: Pubkey,
    },
    /// Hand control to the patient's own new key (a minor comes of age).
    HandOver {
        /// The patient's new authority (it co-signs the execution).
        new_authority: Pubkey,
        /// Keep the guardians for recovery only (else remove them).
        keep_for_recovery: bool,
    },
    /// Set the patient's emergency preferences.
    EmergencyPreferences {
        /// The preferences to set.
        preferences: EmergencyPreferences,
    },
    /// Enrol the patient in a research study.
    Enroll {
        /// The study's address.
        study: Pubkey,
        /// Categories (`1 << Category`) the study may use: some of the study's.
        categories: u16,
        /// Unix seconds at which the enrolment ends on its own (exclusive).
        until: i64,
    },
}

impl ProposalAction {
    /// The code of this action's kind (also its first byte, as stored).
    pub fn kind(&self) -> ProposalKind {
        match self {
            ProposalAction::Grant { .. } => ProposalKind::Grant,
            ProposalAction::Update { .. } => ProposalKind::Update,
            ProposalAction::Recover { .. } => ProposalKind::Recover,
            ProposalAction::HandOver { .. } => ProposalKind::HandOver,
            ProposalAction::EmergencyPreferences { .. } => ProposalKind::EmergencyPreferences,
            ProposalAction::Enroll { .. } => ProposalKind::Enroll,
        }
    }
}

/// A guardians' proposal, at `["proposal", patient_id, index]`: what, who
/// approved (a bit per guardian position), until when.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The patient's id (offset 8).
    pub patient: Pubkey,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Bit `i`: the guardian at position `i` approved.
    pub approvals: u8,
    /// Whether it was executed (once).
    pub executed: bool,
    /// Stored canonical bump.
    pub bump: u8,
    /// Index among the patient's proposals.
    pub index: u32,
    /// The guardian set's generation it was made under.
    pub generation: u32,
    /// The guardian who proposed it.
    pub proposer: Pubkey,
    /// Unix seconds at which it was made.
    pub created_at: i64,
    /// Unix seconds after which it can no longer be approved or executed.
    pub expires_at: i64,
    /// Reserved, zero (before the action, so it stays at a fixed offset): an
    /// executor restriction (1 byte) and 15 bytes after it.
    pub reserved: [u8; 16],
    /// What it does. Its first byte is its kind's code (`codes::ProposalKind`).
    pub action: ProposalAction,
}

impl Proposal {
    pub const SPACE: usize = 8 + Proposal::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 16;

    pub fn approval_count(&self) -> u32 {
        self.approvals.count_ones()
    }

    /// Creates `self` at `target` (its canonical PDA).
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::PROPOSAL,
                self.patient.as_ref(),
                &self.index.to_le_bytes(),
                &[self.bump],
            ],
            self,
        )
    }
}
