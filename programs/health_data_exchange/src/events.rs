//! Events for indexers and the audit export: who, what, outcome. Small and
//! free of PHI; patients and providers are named by their stable ids. Emit
//! them with [`emit_event!`](crate::emit_event), which also makes them
//! visible in native runs (see `native`).

use anchor_lang::prelude::*;

use crate::codes::{EndedBy, GuardianMode, ProposalKind, ProviderKind, ProviderStatus, Verdict};
use crate::state::ConsentTerms;

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryInitialized {
    pub authority: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityProposed {
    pub authority: Pubkey,
    pub proposed: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityAccepted {
    pub previous: Pubkey,
    pub authority: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PausedSet {
    pub paused: bool,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRegistered {
    /// The provider's id (also its first signing key).
    pub provider: Pubkey,
    /// Its registry number.
    pub number: u32,
    pub kind: ProviderKind,
}

/// Verified, suspended and reinstated all report here, with the new status.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatusChanged {
    pub provider: Pubkey,
    pub number: u32,
    pub previous: ProviderStatus,
    pub status: ProviderStatus,
}

/// The provider's signing key changed; the old key is powerless from the next transaction.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderKeyRotated {
    pub provider: Pubkey,
    pub number: u32,
    pub previous: Pubkey,
    pub key: Pubkey,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRegistered {
    /// The patient's id (also its first authority).
    pub patient: Pubkey,
}

/// The patient's authority changed; the old key is powerless from the next transaction.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientAuthorityRotated {
    pub patient: Pubkey,
    pub previous: Pubkey,
    pub authority: Pubkey,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAdded {
    pub patient: Pubkey,
    pub index: u32,
    pub category: u8,
    /// The patient's id or the writing provider's id.
    pub author: Pubkey,
}

/// A grant or an update by the patient: the full terms of the new version.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGranted {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub revision: u32,
    pub terms: ConsentTerms,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentUpdated {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub revision: u32,
    pub terms: ConsentTerms,
    pub at: i64,
}

/// A renewal under the patient's policy: the new version's expiry and count.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRenewed {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub revision: u32,
    pub expires_at: i64,
    pub renewals_used: u16,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRevoked {
    pub patient: Pubkey,
    pub provider: Pubkey,
    /// The revision that was in force until now.
    pub revision: u32,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPageOpened {
    pub patient: Pubkey,
    pub page_index: u32,
}

/// One logged attempt: the log entry's content, its sequence and the patient.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecorded {
    pub patient: Pubkey,
    pub sequence: u64,
    pub provider: u32,
    pub record_index: u32,
    pub consent_revision: u32,
    pub category: u8,
    pub action: u8,
    pub purpose: u8,
    pub outcome: u8,
    pub reason: u8,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyPolicySet {
    pub max_secs: u32,
    pub cooldown_secs: u32,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRolesChanged {
    pub provider: Pubkey,
    pub previous: u8,
    pub roles: u8,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyPreferencesSet {
    pub patient: Pubkey,
    pub opt_out: bool,
    /// Excluded categories (bitmask).
    pub excluded: u16,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyOpened {
    pub patient: Pubkey,
    pub provider: Pubkey,
    /// The window's index among the patient's windows.
    pub window: u32,
    /// `codes::EmergencyReason` code.
    pub reason: u8,
    pub opened_at: i64,
    pub expires_at: i64,
    /// The log entry that records the opening.
    pub sequence: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyEnded {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub window: u32,
    pub by: EndedBy,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyReviewed {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub window: u32,
    pub verdict: Verdict,
    pub reviewer: Pubkey,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyAcknowledged {
    pub patient: Pubkey,
    pub window: u32,
    pub at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardiansSet {
    pub patient: Pubkey,
    /// The first `count` are the guardians.
    pub guardians: [Pubkey; 5],
    pub count: u8,
    pub threshold: u8,
    pub mode: GuardianMode,
    pub generation: u32,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalCreated {
    pub patient: Pubkey,
    pub proposal: u32,
    pub kind: ProposalKind,
    pub proposer: Pubkey,
    pub expires_at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalApproved {
    pub patient: Pubkey,
    pub proposal: u32,
    pub guardian: Pubkey,
    pub approvals: u8,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalExecuted {
    pub patient: Pubkey,
    pub proposal: u32,
    pub kind: ProposalKind,
    pub executor: Pubkey,
}

/// A single guardian revoked a consent at once.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianRevoked {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub guardian: Pubkey,
}

/// Control handed to the patient's own key (the guardians kept for recovery, or removed).
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedOver {
    pub patient: Pubkey,
    pub authority: Pubkey,
    pub kept_for_recovery: bool,
}
