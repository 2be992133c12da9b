use anchor_lang::prelude::*;

use super::status::{set_status, SetProviderStatus, TRANSITIONS};

/// The registry authority reinstates a suspended provider (see `TRANSITIONS`).
pub fn handle_reinstate_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, &TRANSITIONS[2])
}
