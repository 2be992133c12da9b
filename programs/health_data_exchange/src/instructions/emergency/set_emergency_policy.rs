use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::EmergencyPolicySet;
use crate::state::{EmergencyPolicy, Registry};

/// The registry authority sets who may break the glass for how long: the
/// longest window and the cooldown after one. Effective in the next transaction.
#[derive(Accounts)]
pub struct SetEmergencyPolicy<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked), which holds the policy.
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_set_emergency_policy(
    ctx: Context<SetEmergencyPolicy>,
    args: EmergencyPolicy,
) -> Result<()> {
    args.validate()?;
    ctx.accounts.registry.emergency = args;
    emit_event!(EmergencyPolicySet { policy: args });
    Ok(())
}
