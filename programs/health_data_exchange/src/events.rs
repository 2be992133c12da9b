//! Events for indexers and the audit export: who, what, outcome. Small and
//! free of PHI; patients and providers are named by their stable ids. Emit
//! them with [`emit_event!`](crate::emit_event), which also makes them
//! visible in native runs (see `native`).

use anchor_lang::prelude::*;

use crate::codes::{
    Actor, EmergencyReason, EndedBy, GuardianMode, IdentifierSystem, LapseReason, ProposalKind,
    ProviderKind, ProviderStatus, Verdict, MAX_GUARDIANS,
};
use crate::state::{
    ConsentTerms, CredentialPolicy, EmergencyPolicy, EmergencyPreferences, ProposalAction,
    ReleaseFacts, StudyTerms,
};

/// The registry was created.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryInitialized {
    /// The registry authority it names.
    pub authority: Pubkey,
}

/// The registry authority named its successor.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityProposed {
    /// The authority now.
    pub authority: Pubkey,
    /// The proposed successor.
    pub proposed: Pubkey,
}

/// The proposed successor took the registry authority's role.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityAccepted {
    /// The authority before.
    pub previous: Pubkey,
    /// The authority now.
    pub authority: Pubkey,
}

/// The program was paused or resumed.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PausedSet {
    /// Whether access, writes and emergency reads are now refused.
    pub paused: bool,
}

/// A provider registered (pending until verified).
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRegistered {
    /// The provider's id (also its first signing key).
    pub provider: Pubkey,
    /// Its registry number.
    pub number: u32,
    /// Its kind.
    pub kind: ProviderKind,
    /// The identifier system its credential commitment opens to.
    pub identifier_system: IdentifierSystem,
}

/// Verified, suspended and reinstated all report here, with the new status.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatusChanged {
    /// The provider's id.
    pub provider: Pubkey,
    /// Its registry number.
    pub number: u32,
    /// The status before.
    pub previous: ProviderStatus,
    /// The status now.
    pub status: ProviderStatus,
}

/// The provider's signing key changed; the old key is powerless from the next transaction.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderKeyRotated {
    /// The provider's id.
    pub provider: Pubkey,
    /// Its registry number.
    pub number: u32,
    /// The key before.
    pub previous: Pubkey,
    /// The key now.
    pub key: Pubkey,
    /// Unix time of the change.
    pub at: i64,
}

/// The registry authority changed a provider's roles.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRolesChanged {
    /// The provider's id.
    pub provider: Pubkey,
    /// The role bits before.
    pub previous: u8,
    /// The role bits now.
    pub roles: u8,
}

/// A patient registered (and log page 0 opened).
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
    /// The patient's id.
    pub patient: Pubkey,
    /// The authority before.
    pub previous: Pubkey,
    /// The authority now.
    pub authority: Pubkey,
    /// The patient (a rotation) or the guardians (a recovery or hand-over).
    pub actor: Actor,
    /// The guardians' proposal it executes, if any.
    pub proposal: Option<u32>,
    /// Unix time of the change.
    pub at: i64,
}

/// A record pointer was added.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAdded {
    /// The patient's id.
    pub patient: Pubkey,
    /// The record's index.
    pub index: u32,
    /// Its `codes::Category`.
    pub category: u8,
    /// The patient's id or the writing provider's id.
    pub author: Pubkey,
}

/// A grant: the full terms of the new version, and who made it.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGranted {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The consent version these terms are.
    pub revision: u32,
    /// The terms.
    pub terms: ConsentTerms,
    /// The patient, or the guardians through a proposal.
    pub actor: Actor,
    /// The key that signed: the patient's authority, or the guardian who executed.
    pub signer: Pubkey,
    /// The guardians' proposal it executes, if any.
    pub proposal: Option<u32>,
    /// Unix time of the grant.
    pub at: i64,
}

/// An update: the full terms of the new version, and who made it.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentUpdated {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The consent version these terms are.
    pub revision: u32,
    /// The terms.
    pub terms: ConsentTerms,
    /// The patient, or the guardians through a proposal.
    pub actor: Actor,
    /// The key that signed: the patient's authority, or the guardian who executed.
    pub signer: Pubkey,
    /// The guardians' proposal it executes, if any.
    pub proposal: Option<u32>,
    /// Unix time of the update.
    pub at: i64,
}

/// A renewal under the patient's policy (anyone may send it): the new
/// version's expiry and count.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRenewed {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The consent version the renewed terms are.
    pub revision: u32,
    /// The new expiry.
    pub expires_at: i64,
    /// Renewals made under the policy, this one included.
    pub renewals_used: u16,
    /// Unix time of the renewal.
    pub at: i64,
}

/// A consent revoked (closed), and by whom.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRevoked {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The revision that was in force until now.
    pub revision: u32,
    /// The patient, or one guardian.
    pub actor: Actor,
    /// The key that signed.
    pub signer: Pubkey,
    /// Unix time of the revocation.
    pub at: i64,
}

/// The patient's next log page was opened.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPageOpened {
    /// The patient's id.
    pub patient: Pubkey,
    /// The new page's index.
    pub page_index: u32,
}

/// One logged attempt: the log entry's content, its sequence and the patient.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecorded {
    /// The patient's id.
    pub patient: Pubkey,
    /// The entry's sequence number.
    pub sequence: u64,
    /// The provider's registry number.
    pub provider: u32,
    /// Unix seconds.
    pub time: u32,
    /// The record's index, or `NO_RECORD`.
    pub record_index: u32,
    /// The deciding consent revision, or the emergency window's index.
    pub basis: u32,
    /// `codes::Category`, or `NO_CATEGORY`.
    pub category: u8,
    /// `codes::Action`.
    pub action: u8,
    /// `codes::Purpose`.
    pub purpose: u8,
    /// `codes::Outcome`.
    pub outcome: u8,
}

/// The registry authority set the emergency policy.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyPolicySet {
    /// The policy now.
    pub policy: EmergencyPolicy,
}

/// The patient's emergency preferences changed, and who changed them.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyPreferencesSet {
    /// The patient's id.
    pub patient: Pubkey,
    /// The preferences now.
    pub preferences: EmergencyPreferences,
    /// The patient, or the guardians through a proposal.
    pub actor: Actor,
    /// The key that signed.
    pub signer: Pubkey,
    /// The guardians' proposal it executes, if any.
    pub proposal: Option<u32>,
}

/// A provider broke the glass.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyOpened {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The window's index among the patient's windows.
    pub window: u32,
    /// Why.
    pub reason: EmergencyReason,
    /// Unix time it opened.
    pub opened_at: i64,
    /// Unix time it ends on its own.
    pub expires_at: i64,
    /// The log entry that records the opening.
    pub sequence: u64,
}

/// An emergency window was closed by its provider or ended by the patient.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyEnded {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The window's index.
    pub window: u32,
    /// Who ended it.
    pub by: EndedBy,
    /// Unix time it ended.
    pub at: i64,
}

/// The registry authority recorded its verdict on a window.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyReviewed {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id.
    pub provider: Pubkey,
    /// The window's index.
    pub window: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// The registry authority that signed.
    pub reviewer: Pubkey,
    /// Unix time of the review.
    pub at: i64,
}

/// The patient acknowledged a window.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyAcknowledged {
    /// The patient's id.
    pub patient: Pubkey,
    /// The window's index.
    pub window: u32,
    /// Unix time of the acknowledgement.
    pub at: i64,
}

/// The patient's guardian set changed (or was removed: mode none, no keys).
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardiansSet {
    /// The patient's id.
    pub patient: Pubkey,
    /// The patient's authority that set it.
    pub authority: Pubkey,
    /// The first `count` are the guardians.
    pub guardians: [Pubkey; MAX_GUARDIANS as usize],
    /// Guardians in use.
    pub count: u8,
    /// Approvals a proposal needs.
    pub threshold: u8,
    /// How they act.
    pub mode: GuardianMode,
    /// The set's new generation (open proposals of older ones are stale).
    pub generation: u32,
}

/// A guardian proposed an action.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalCreated {
    /// The patient's id.
    pub patient: Pubkey,
    /// The proposal's index.
    pub proposal: u32,
    /// What it proposes, in full.
    pub action: ProposalAction,
    /// The guardian who proposed it (its approval counts).
    pub proposer: Pubkey,
    /// Unix time after which it lapses.
    pub expires_at: i64,
}

/// A guardian approved a proposal.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalApproved {
    /// The patient's id.
    pub patient: Pubkey,
    /// The proposal's index.
    pub proposal: u32,
    /// The guardian who approved.
    pub guardian: Pubkey,
    /// The approvals now (bit `i`: the guardian at position `i`).
    pub approvals: u8,
}

/// A proposal was executed: what, by whom, approved by whom.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalExecuted {
    /// The patient's id.
    pub patient: Pubkey,
    /// The proposal's index.
    pub proposal: u32,
    /// Its kind.
    pub kind: ProposalKind,
    /// The guardian who executed it.
    pub executor: Pubkey,
    /// The guardians whose approvals it carried, in set order; the default address pads.
    pub approvers: [Pubkey; MAX_GUARDIANS as usize],
}

/// Control handed to the patient's own key (the guardians kept for recovery, or removed).
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedOver {
    /// The patient's id.
    pub patient: Pubkey,
    /// The patient's new authority.
    pub authority: Pubkey,
    /// Whether the guardians stay, for recovery only.
    pub kept_for_recovery: bool,
}

/// The registry authority set (or cleared, all zeros) the credential policy.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPolicySet {
    /// The policy now.
    pub policy: CredentialPolicy,
}

/// A provider was verified (or its verification renewed) through a licence attestation.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAttested {
    /// The provider's id.
    pub provider: Pubkey,
    /// Its registry number.
    pub number: u32,
    /// The attestation's address.
    pub attestation: Pubkey,
    /// The attestation's expiry (0: none).
    pub expires_at: i64,
    /// The status before (pending, verified, or suspended after a lapse).
    pub previous: ProviderStatus,
}

/// A provider whose licence attestation no longer holds was suspended.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderLapsed {
    /// The provider's id.
    pub provider: Pubkey,
    /// Its registry number.
    pub number: u32,
    /// The attestation's address.
    pub attestation: Pubkey,
    /// Why it no longer holds.
    pub reason: LapseReason,
}

/// The registry authority published a provider directory bundle.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryPublished {
    /// SHA-256 of the bundle.
    pub bundle_sha256: [u8; 32],
    /// The directory's revision now (1 after the first publication).
    pub revision: u32,
    /// Its Organization entries.
    pub entries: u32,
}

/// A researcher created a study (proposed until the registry authority approves it).
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyCreated {
    /// The study's address.
    pub study: Pubkey,
    /// The sponsor's provider id.
    pub sponsor: Pubkey,
    /// The sponsor's number for it.
    pub number: u32,
    /// Its terms.
    pub terms: StudyTerms,
    /// Unix time of creation.
    pub at: i64,
}

/// The registry authority approved a study: enrolment opens.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyApproved {
    /// The study's address.
    pub study: Pubkey,
    /// Unix time of the approval.
    pub at: i64,
}

/// A study was closed, for good.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyClosed {
    /// The study's address.
    pub study: Pubkey,
    /// The key that closed it: the sponsor's current key or the registry authority.
    pub signer: Pubkey,
    /// Unix time of the closing.
    pub at: i64,
}

/// A patient joined a study (a consent version of the patient's).
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyEnrolled {
    /// The patient's id.
    pub patient: Pubkey,
    /// The study's address.
    pub study: Pubkey,
    /// The consent version this enrolment is.
    pub revision: u32,
    /// Categories the patient lets the study use.
    pub categories: u16,
    /// When the enrolment ends on its own.
    pub until: i64,
    /// The patient, or the guardians through a proposal.
    pub actor: Actor,
    /// The key that signed.
    pub signer: Pubkey,
    /// The guardians' proposal it executes, if any.
    pub proposal: Option<u32>,
    /// Unix time of the enrolment.
    pub at: i64,
}

/// A patient left a study (a consent version of the patient's): effective
/// in the next transaction, no later release counts the patient.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyWithdrawn {
    /// The patient's id.
    pub patient: Pubkey,
    /// The study's address.
    pub study: Pubkey,
    /// The consent version this withdrawal is.
    pub revision: u32,
    /// The patient, or one guardian.
    pub actor: Actor,
    /// The key that signed.
    pub signer: Pubkey,
    /// Unix time of the withdrawal.
    pub at: i64,
}

/// A study's custodian recorded an answer before releasing it.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyReleaseRecorded {
    /// The study's address.
    pub study: Pubkey,
    /// Index in the study's log.
    pub index: u32,
    /// What was released.
    pub facts: ReleaseFacts,
    /// Milli-epsilon spent after it.
    pub epsilon_spent_milli: u64,
    /// The study log's head after it.
    pub head: [u8; 32],
    /// Unix time of the release.
    pub at: i64,
}
