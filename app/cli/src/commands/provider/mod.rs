//! `hdx provider`: a provider registers itself and rotates its key; the
//! registry authority verifies, suspends, reinstates and gives roles; anyone
//! shows and lists.

use hdx_sdk::directory::{ProviderName, VerifiedDirectory};
use hdx_sdk::export::rfc3339;
use hdx_sdk::program::state::Provider;
use serde_json::{json, Value};

use crate::commands::output::hex;

pub mod lapse_due;
pub mod list;
pub mod register;
pub mod reinstate;
pub mod roles;
pub mod rotate_key;
pub mod show;
pub mod suspend;
pub mod verify;
pub mod verify_by_attestation;

crate::commands::group! {
    /// Providers: register, rotate-key; verify, suspend, reinstate, roles (registry authority); verify-by-attestation, lapse-due (anyone); show, list
    pub enum ProviderCmd {
        Register(register::Register),
        RotateKey(rotate_key::RotateKey),
        Verify(verify::Verify),
        VerifyByAttestation(verify_by_attestation::VerifyByAttestation),
        LapseDue(lapse_due::LapseDue),
        Suspend(suspend::Suspend),
        Reinstate(reinstate::Reinstate),
        Roles(roles::Roles),
        Show(show::Show),
        List(list::List),
    }
}

pub fn provider_json(p: &Provider, directory: &VerifiedDirectory) -> Value {
    let (name, npi, unnamed) = match directory.name(p) {
        ProviderName::Verified { name, npi } => (Some(name), Some(npi.to_string()), None),
        ProviderName::Unnamed(why) => (None, None, Some(why.to_string())),
    };
    json!({
        "provider": p.id.to_string(),
        "number": p.number,
        "name": name,
        "npi": npi,
        "unnamed": unnamed,
        "basis": p.basis.name(),
        "identifier_system": p.identifier_system.name(),
        "attestation": (p.attestation != anchor_lang::prelude::Pubkey::default()).then(|| p.attestation.to_string()),
        "attestation_expires_at": (p.attestation_expiry != 0).then(|| rfc3339(p.attestation_expiry)),
        "signer": p.signer.to_string(),
        "status": p.status.name(),
        "kind": p.kind.name(),
        "credential_commitment": hex(&p.credential_commitment),
        "registered_at": rfc3339(p.registered_at),
        "status_changed_at": rfc3339(p.status_changed_at),
        "roles": if p.has_role(hdx_sdk::codes::ROLE_EMERGENCY) { vec!["emergency"] } else { vec![] },
    })
}

pub fn row(p: &Provider, directory: &VerifiedDirectory) -> Vec<String> {
    vec![
        p.number.to_string(),
        directory.display_name(p),
        p.id.to_string(),
        p.status.name().into(),
        p.kind.name().into(),
        rfc3339(p.registered_at),
        if p.signer == p.id {
            "-".into()
        } else {
            p.signer.to_string()
        },
    ]
}

pub const HEADERS: [&str; 7] = [
    "number",
    "name",
    "provider",
    "status",
    "kind",
    "registered",
    "rotated key",
];
