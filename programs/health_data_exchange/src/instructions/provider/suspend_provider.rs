use anchor_lang::prelude::*;

use super::status::{set_status, SetProviderStatus, TRANSITIONS};

/// The registry authority suspends a pending or verified provider (see `TRANSITIONS`).
pub fn handle_suspend_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
    set_status(ctx, &TRANSITIONS[1])
}
