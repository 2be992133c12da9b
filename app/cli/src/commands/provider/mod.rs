//! `hdx provider`: a provider registers itself and rotates its key; the
//! registry authority verifies, suspends, reinstates and gives roles; anyone
//! shows and lists.

use hdx_sdk::export::rfc3339;
use hdx_sdk::program::state::Provider;
use serde_json::{json, Value};

use crate::commands::output::hex;

pub mod list;
pub mod register;
pub mod reinstate;
pub mod roles;
pub mod rotate_key;
pub mod show;
pub mod suspend;
pub mod verify;

crate::commands::group! {
    /// Providers: register, rotate-key; verify, suspend, reinstate, roles (registry authority); show, list
    pub enum ProviderCmd {
        Register(register::Register),
        RotateKey(rotate_key::RotateKey),
        Verify(verify::Verify),
        Suspend(suspend::Suspend),
        Reinstate(reinstate::Reinstate),
        Roles(roles::Roles),
        Show(show::Show),
        List(list::List),
    }
}

pub fn provider_json(p: &Provider) -> Value {
    json!({
        "provider": p.id.to_string(),
        "number": p.number,
        "signer": p.signer.to_string(),
        "status": p.status.name(),
        "kind": p.kind.name(),
        "credential_commitment": hex(&p.credential_commitment),
        "registered_at": rfc3339(p.registered_at),
        "status_changed_at": rfc3339(p.status_changed_at),
        "roles": if p.has_role(hdx_sdk::codes::ROLE_EMERGENCY) { vec!["emergency"] } else { vec![] },
    })
}

pub fn row(p: &Provider) -> Vec<String> {
    vec![
        p.number.to_string(),
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

pub const HEADERS: [&str; 6] = [
    "number",
    "provider",
    "status",
    "kind",
    "registered",
    "rotated key",
];
