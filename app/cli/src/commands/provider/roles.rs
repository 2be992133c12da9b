//! `hdx provider roles` (registry authority).

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;

use crate::commands::args::{parse_on_off, parse_pubkey};
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Set a provider's roles (registry authority): --emergency on|off
#[derive(clap::Args, Debug)]
pub struct Roles {
    /// The provider: its id or current key
    #[arg(value_parser = parse_pubkey)]
    provider: Pubkey,
    /// May open emergency windows
    #[arg(long, value_parser = parse_on_off, value_name = "on|off", action = clap::ArgAction::Set)]
    emergency: bool,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for Roles {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let id = s.provider_named(&self.provider)?.id;
        let roles = if self.emergency {
            hdx_sdk::codes::ROLE_EMERGENCY
        } else {
            0
        };
        self.tx.submit(
            s,
            ix::set_provider_roles(self.tx.authority(s)?, &id, roles),
            &format!(
                "Provider {id}: emergency role {}",
                if self.emergency { "given" } else { "removed" }
            ),
        )
    }
}
