use anchor_lang::prelude::*;

use crate::codes::{ProviderStatus, StatusBasis, ATTESTATION_PROGRAM_ID};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProviderAttested;
use crate::state::{attestation_address, Attestation, Fault, Provider, Registry};

/// Arguments of `verify_provider_by_attestation`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyProviderByAttestationArgs {
    /// The bump of the attestation's address under the attestation service
    /// (the address is recomputed with it: one hash, no search).
    pub attestation_bump: u8,
}

/// Anyone verifies a provider through a licence attestation of the
/// registry's credential policy (docs/DESIGN.md, "Licence attestations"):
/// owned by the attestation service, at its address for the policy's issuer
/// and schema with the provider's id as nonce, carrying the provider's
/// credential commitment and kind, not expired. The provider becomes (or
/// stays) verified until the attestation's expiry; a newer attestation
/// renews it. A provider suspended by the registry authority stays suspended.
#[derive(Accounts)]
pub struct VerifyProviderByAttestation<'info> {
    /// Whoever sends it (a crank, the provider, the issuer): no authority needed.
    pub caller: Signer<'info>,
    /// The registry: its credential policy (the one: type and owner checked).
    pub registry: Account<'info, Registry>,
    /// The provider verified.
    #[account(mut)]
    pub provider: Account<'info, Provider>,
    /// The licence attestation.
    /// CHECK: owner, address, layout and content checked in the handler.
    pub attestation: UncheckedAccount<'info>,
}

pub fn handle_verify_provider_by_attestation(
    ctx: Context<VerifyProviderByAttestation>,
    args: VerifyProviderByAttestationArgs,
) -> Result<()> {
    let policy = ctx.accounts.registry.credential_policy;
    require!(policy.is_set(), HdxError::NoCredentialPolicy);
    let provider = &ctx.accounts.provider;
    let info = ctx.accounts.attestation.to_account_info();
    require_keys_eq!(
        *info.owner,
        ATTESTATION_PROGRAM_ID,
        HdxError::AttestationOwnerMismatch
    );
    let expected = attestation_address(
        &policy.credential,
        &policy.schema,
        &provider.id,
        args.attestation_bump,
    )?;
    require_keys_eq!(info.key(), expected, HdxError::AttestationAddressMismatch);
    let data = info.try_borrow_data()?;
    let attestation = Attestation::decode(&data)?;
    let now = Clock::get()?.unix_timestamp;
    match attestation.fault(provider, &policy, now) {
        Some(Fault::Subject) => return err!(HdxError::AttestationSubjectMismatch),
        Some(Fault::Policy) => return err!(HdxError::AttestationPolicyMismatch),
        Some(Fault::Expired) => return err!(HdxError::AttestationExpired),
        None => {}
    }
    let previous = provider.status;
    require!(
        previous != ProviderStatus::Suspended || provider.basis == StatusBasis::Lapsed,
        HdxError::ProviderSuspended
    );
    let expires_at = attestation.expiry;
    drop(data);

    let provider = &mut ctx.accounts.provider;
    provider.status = ProviderStatus::Verified;
    provider.basis = StatusBasis::Attestation;
    provider.attestation = info.key();
    provider.attestation_expiry = expires_at;
    if previous != ProviderStatus::Verified {
        provider.status_changed_at = now;
    }
    emit_event!(ProviderAttested {
        provider: provider.id,
        number: provider.number,
        attestation: info.key(),
        expires_at,
        previous,
    });
    Ok(())
}
