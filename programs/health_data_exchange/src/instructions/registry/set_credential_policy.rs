use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::CredentialPolicySet;
use crate::state::{CredentialPolicy, Registry};

/// The registry authority names the trusted issuer of licence attestations
/// (a credential of the Solana Attestation Service) and their schema, or
/// clears the policy (both all zeros). Providers already verified through an
/// attestation of an earlier policy can be lapsed (`lapse_provider`,
/// reason `PolicyChanged`).
#[derive(Accounts)]
pub struct SetCredentialPolicy<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_set_credential_policy(
    ctx: Context<SetCredentialPolicy>,
    args: CredentialPolicy,
) -> Result<()> {
    args.validate()?;
    ctx.accounts.registry.credential_policy = args;
    emit_event!(CredentialPolicySet { policy: args });
    Ok(())
}
