//! A licence attestation: an account of the Solana Attestation Service
//! (`codes::ATTESTATION_PROGRAM_ID`), read by hand, not through its client
//! crates (they do not link with this program's dependencies). The layout is
//! pinned to the service's current one (one discriminator byte, 2, then
//! `nonce`, `credential`, `schema`, `data` as a u32-length-prefixed byte
//! string, `signer`, `expiry` as i64 LE, `token_account`); a test writes
//! byte-exact accounts of that layout into the bank.
//!
//! What this program asks of one (docs/DESIGN.md, "Licence attestations"):
//! it lives at the service's PDA `["attestation", credential, schema, nonce]`
//! with the registry policy's credential (the trusted issuer) and schema, and
//! the provider's id as nonce; its data is exactly the provider's credential
//! commitment (32 bytes) and kind (1 byte); its expiry (0: none) is ahead.

use anchor_lang::prelude::*;

use crate::codes::{LapseReason, ProviderKind, ATTESTATION_PROGRAM_ID};
use crate::error::HdxError;
use crate::state::{CredentialPolicy, Provider};

/// The service's seed prefix for attestations.
pub const ATTESTATION_SEED: &[u8] = b"attestation";
/// The service's discriminator byte for an attestation (0 and 1 are its
/// credentials and schemas).
pub const ATTESTATION_DISCRIMINATOR: u8 = 2;
/// The data this program's schema carries: commitment (32) and kind (1).
pub const ATTESTATION_DATA_LEN: usize = 33;

/// The fields of an attestation this program reads, borrowed from its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attestation<'a> {
    pub nonce: Pubkey,
    pub credential: Pubkey,
    pub schema: Pubkey,
    pub data: &'a [u8],
    pub signer: Pubkey,
    /// Unix time after which it no longer holds; 0: never.
    pub expiry: i64,
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    require!(bytes.len() >= n, HdxError::AttestationMalformed);
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn take_key(bytes: &mut &[u8]) -> Result<Pubkey> {
    let raw: [u8; 32] = take(bytes, 32)?
        .try_into()
        .map_err(|_| error!(HdxError::AttestationMalformed))?;
    Ok(Pubkey::new_from_array(raw))
}

impl<'a> Attestation<'a> {
    /// Decodes an attestation's account data: the discriminator must be an
    /// attestation's (a credential or schema account of the service is
    /// refused by name), every length must fit, nothing may trail.
    pub fn decode(data: &'a [u8]) -> Result<Self> {
        let mut bytes = data;
        require!(
            take(&mut bytes, 1)?[0] == ATTESTATION_DISCRIMINATOR,
            HdxError::AttestationMalformed
        );
        let nonce = take_key(&mut bytes)?;
        let credential = take_key(&mut bytes)?;
        let schema = take_key(&mut bytes)?;
        let len: [u8; 4] = take(&mut bytes, 4)?
            .try_into()
            .map_err(|_| error!(HdxError::AttestationMalformed))?;
        let body = take(&mut bytes, u32::from_le_bytes(len) as usize)?;
        let signer = take_key(&mut bytes)?;
        let expiry: [u8; 8] = take(&mut bytes, 8)?
            .try_into()
            .map_err(|_| error!(HdxError::AttestationMalformed))?;
        take_key(&mut bytes)?; // token_account: tokenised or not, the same licence
        require!(bytes.is_empty(), HdxError::AttestationMalformed);
        Ok(Attestation {
            nonce,
            credential,
            schema,
            data: body,
            signer,
            expiry: i64::from_le_bytes(expiry),
        })
    }

    /// The attestation this program's schema expects for a provider: its
    /// commitment, then its kind.
    pub fn expected_data(commitment: &[u8; 32], kind: ProviderKind) -> [u8; ATTESTATION_DATA_LEN] {
        let mut data = [0u8; ATTESTATION_DATA_LEN];
        data[..32].copy_from_slice(commitment);
        data[32] = kind.code();
        data
    }

    /// Whether it still holds at `now` (expiry 0: no expiry).
    pub fn holds_at(&self, now: i64) -> bool {
        self.expiry == 0 || now < self.expiry
    }

    /// The one rule of what verifies `provider` under `policy` at `now`,
    /// in its order: the provider's own attestation (its id as nonce, its
    /// commitment and kind as data), of the policy's issuer and schema, not
    /// expired. `verify_provider_by_attestation` refuses on the first
    /// failure; `lapse_reason` names it as the reason.
    pub fn fault(&self, provider: &Provider, policy: &CredentialPolicy, now: i64) -> Option<Fault> {
        if self.nonce != provider.id
            || self.data != Self::expected_data(&provider.credential_commitment, provider.kind)
        {
            Some(Fault::Subject)
        } else if self.credential != policy.credential || self.schema != policy.schema {
            Some(Fault::Policy)
        } else if !self.holds_at(now) {
            Some(Fault::Expired)
        } else {
            None
        }
    }
}

/// Why an attestation does not verify a provider ([`Attestation::fault`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Not about this provider, or not its commitment and kind.
    Subject,
    /// Not of the policy's issuer and schema.
    Policy,
    /// Its expiry has passed.
    Expired,
}

/// The service's attestation address for (credential, schema, nonce) with
/// `bump`: one hash, no search (the caller passes the bump).
pub fn attestation_address(
    credential: &Pubkey,
    schema: &Pubkey,
    nonce: &Pubkey,
    bump: u8,
) -> Result<Pubkey> {
    Pubkey::create_program_address(
        &[
            ATTESTATION_SEED,
            credential.as_ref(),
            schema.as_ref(),
            nonce.as_ref(),
            &[bump],
        ],
        &ATTESTATION_PROGRAM_ID,
    )
    .map_err(|_| error!(HdxError::AttestationAddressMismatch))
}

/// Why the attestation account (its `owner`, `lamports` and `data` as they
/// are now) no longer verifies `provider` under `policy` at `now`, or `None`
/// if it still does. In this order: closed (the issuer's revocation: the
/// account emptied or handed back), no longer the attestation that verified
/// the provider, the policy changed, expired. `lapse_provider` acts on it;
/// clients ask it before cranking.
pub fn lapse_reason(
    owner: &Pubkey,
    lamports: u64,
    data: &[u8],
    provider: &Provider,
    policy: &CredentialPolicy,
    now: i64,
) -> Option<LapseReason> {
    if owner != &ATTESTATION_PROGRAM_ID || lamports == 0 || data.is_empty() {
        return Some(LapseReason::Closed);
    }
    let Ok(attestation) = Attestation::decode(data) else {
        return Some(LapseReason::Replaced);
    };
    match attestation.fault(provider, policy, now) {
        Some(Fault::Subject) => Some(LapseReason::Replaced),
        Some(Fault::Policy) => Some(LapseReason::PolicyChanged),
        Some(Fault::Expired) => Some(LapseReason::Expired),
        None if provider.attestation_expired(now) => Some(LapseReason::Expired),
        None => None,
    }
}
