//! `hdx registry show`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::pda;
use serde_json::json;

use crate::commands::output::hex;
use crate::commands::{Output, Run, Session};

/// Show the registry: authority, pending authority, paused, emergency policy, credential policy, directory
#[derive(clap::Args, Debug)]
pub struct Show;

impl Run for Show {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let r = s.client()?.registry()?;
        let pending = (r.pending_authority != Pubkey::default()).then_some(r.pending_authority);
        let policy = r.credential_policy.is_set().then_some(r.credential_policy);
        let directory = s.client()?.published_directory()?;
        Ok(Output::new(
            json!({
                "address": pda::registry().0.to_string(),
                "authority": r.authority.to_string(),
                "pending_authority": pending.map(|k| k.to_string()),
                "paused": r.paused,
                "providers": r.provider_count,
                "created_at": rfc3339(r.created_at),
                "emergency_max_secs": r.emergency.max_secs,
                "emergency_cooldown_secs": r.emergency.cooldown_secs,
                "credential_policy": policy.map(|p| json!({"credential": p.credential.to_string(), "schema": p.schema.to_string()})),
                "directory": directory.as_ref().map(|d| json!({"sha256": hex(&d.bundle_sha256), "revision": d.revision, "entries": d.entries, "published_at": rfc3339(d.published_at)})),
            }),
            format!(
                "Registry {}\nauthority:         {}\npending authority: {}\npaused:            {}\nproviders:         {}\ncreated:           {}\nemergency windows: at most {} s, cooldown {} s\ncredential policy: {}\ndirectory:         {}",
                pda::registry().0,
                r.authority,
                pending.map_or("none".to_string(), |k| k.to_string()),
                if r.paused { "yes" } else { "no" },
                r.provider_count,
                rfc3339(r.created_at),
                r.emergency.max_secs,
                r.emergency.cooldown_secs,
                policy.map_or("none (only the authority verifies)".to_string(), |p| format!(
                    "attestations of credential {} under schema {}",
                    p.credential, p.schema
                )),
                directory.map_or("none published".to_string(), |d| format!(
                    "revision {}, {} organisations, published {}, SHA-256 {}",
                    d.revision,
                    d.entries,
                    rfc3339(d.published_at),
                    hex(&d.bundle_sha256)
                )),
            ),
        ))
    }
}
