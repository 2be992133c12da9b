use anchor_lang::prelude::*;

use super::status::{set_status, SetProviderStatus, TRANSITIONS};

/// The registry authority verifies a pending provider (see `TRANSITIONS`).
pub fn handle_verify_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, &TRANSITIONS[0])
}
