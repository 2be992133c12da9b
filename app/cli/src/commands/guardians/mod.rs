//! `hdx guardians`: the patient sets, shows or removes its guardians (a
//! guardian's own commands are `hdx guardian`).

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::GuardianMode;
use hdx_sdk::export::rfc3339;
use hdx_sdk::program::state::{GuardianSet, Proposal};
use hdx_sdk::program::ProposalAction;
use serde_json::{json, Value};

pub mod remove;
pub mod set;
pub mod show;

crate::commands::group! {
    /// (patient) Your guardians: set, remove, show (with their proposals)
    pub enum GuardiansCmd {
        Set(set::Set),
        Remove(remove::Remove),
        Show(show::Show),
    }
}

pub fn parse_mode(s: &str) -> Result<GuardianMode, String> {
    match s {
        "alone" => Ok(GuardianMode::Alone),
        "alongside" => Ok(GuardianMode::Alongside),
        "recovery-only" => Ok(GuardianMode::RecoveryOnly),
        _ => Err(format!(
            "{s:?} is not a guardian mode (alone, alongside, recovery-only)"
        )),
    }
}

/// A patient's guardian set.
pub fn set_of(s: &crate::commands::Session, patient: &Pubkey) -> anyhow::Result<GuardianSet> {
    s.client()?
        .fetch::<GuardianSet>(&hdx_sdk::pda::guardian_set(patient).0)?
        .ok_or_else(|| anyhow::anyhow!("patient {patient} has no guardians"))
}

/// The provider a proposal names, and the new authority (what the CLI shows).
pub fn named(action: &ProposalAction) -> (Option<Pubkey>, Option<Pubkey>) {
    match action {
        ProposalAction::Grant { provider, .. } | ProposalAction::Update { provider, .. } => {
            (Some(*provider), None)
        }
        ProposalAction::Recover { new_authority }
        | ProposalAction::HandOver { new_authority, .. } => (None, Some(*new_authority)),
        ProposalAction::EmergencyPreferences { .. } | ProposalAction::Enroll { .. } => (None, None),
    }
}

pub fn proposal_json(p: &Proposal, set: &GuardianSet, now: i64) -> Value {
    let (provider, new_authority) = named(&p.action);
    json!({
        "proposal": p.index,
        "kind": p.action.kind().name(),
        "proposer": p.proposer.to_string(),
        "approvals": p.approval_count(),
        "threshold": set.threshold,
        "approved_by": (0..set.count as usize).filter(|i| p.approvals & (1 << i) != 0).map(|i| set.guardians[i].to_string()).collect::<Vec<_>>(),
        "executed": p.executed,
        "stale": p.generation != set.generation,
        "expired": now >= p.expires_at,
        "expires_at": rfc3339(p.expires_at),
        "provider": provider.map(|k| k.to_string()),
        "new_authority": new_authority.map(|k| k.to_string()),
    })
}
