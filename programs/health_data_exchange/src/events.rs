//! Events for indexers: who, what, outcome. Small and free of PHI. Emit them
//! with [`emit_event!`](crate::emit_event), which also makes them visible in
//! native runs (see `native`).

use anchor_lang::prelude::*;

use crate::codes::{ProviderKind, ProviderStatus};

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
    pub provider: Pubkey,
    pub kind: ProviderKind,
}

/// Verified, suspended and reinstated all report here, with the new status.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatusChanged {
    pub provider: Pubkey,
    pub previous: ProviderStatus,
    pub status: ProviderStatus,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRegistered {
    pub patient: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAdded {
    pub patient: Pubkey,
    pub index: u32,
    pub category: u8,
    pub author: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGranted {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub categories: u16,
    pub modes: u8,
    pub purposes: u8,
    pub not_before: i64,
    pub expires_at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentUpdated {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub categories: u16,
    pub modes: u8,
    pub purposes: u8,
    pub not_before: i64,
    pub expires_at: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRevoked {
    pub patient: Pubkey,
    pub provider: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPageOpened {
    pub patient: Pubkey,
    pub page_index: u32,
}

/// One logged attempt: the log entry's content plus the patient.
#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecorded {
    pub patient: Pubkey,
    pub provider: Pubkey,
    pub sequence: u64,
    pub record_index: u32,
    pub category: u8,
    pub action: u8,
    pub purpose: u8,
    pub outcome: u8,
}
