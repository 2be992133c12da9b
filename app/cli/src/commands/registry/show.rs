//! `hdx registry show`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::pda;
use serde_json::json;

use crate::commands::{Output, Run, Session};

/// Show the registry: authority, pending authority, paused, emergency policy
#[derive(clap::Args, Debug)]
pub struct Show;

impl Run for Show {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let r = s.client()?.registry()?;
        let pending = (r.pending_authority != Pubkey::default()).then_some(r.pending_authority);
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
            }),
            format!(
                "Registry {}\nauthority:         {}\npending authority: {}\npaused:            {}\nproviders:         {}\ncreated:           {}\nemergency windows: at most {} s, cooldown {} s",
                pda::registry().0,
                r.authority,
                pending.map_or("none".to_string(), |k| k.to_string()),
                if r.paused { "yes" } else { "no" },
                r.provider_count,
                rfc3339(r.created_at),
                r.emergency.max_secs,
                r.emergency.cooldown_secs
            ),
        ))
    }
}
