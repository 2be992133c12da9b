use anchor_lang::prelude::*;

use crate::codes::{Outcome, ALL_CATEGORIES, ALL_MODES, ALL_PURPOSES};
use crate::error::HdxError;

/// What a patient grants a provider: scope and validity window.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentTerms {
    /// Category bitmask (`1 << codes::Category`).
    pub categories: u16,
    /// Access-mode bitmask (`MODE_READ`, `MODE_WRITE`).
    pub modes: u8,
    /// Purpose-of-use bitmask (`1 << codes::Purpose`).
    pub purposes: u8,
    /// Unix seconds from which the consent is live (inclusive).
    pub not_before: i64,
    /// Unix seconds at which the consent stops being live (exclusive).
    pub expires_at: i64,
}

impl ConsentTerms {
    /// Rejects empty or unknown bits and a window that is empty or already over at `now`.
    pub fn validate(&self, now: i64) -> Result<()> {
        require!(self.categories != 0, HdxError::EmptyCategories);
        require!(
            self.categories & !ALL_CATEGORIES == 0,
            HdxError::UnknownCategoryBits
        );
        require!(self.modes != 0, HdxError::EmptyModes);
        require!(self.modes & !ALL_MODES == 0, HdxError::UnknownModeBits);
        require!(self.purposes != 0, HdxError::EmptyPurposes);
        require!(
            self.purposes & !ALL_PURPOSES == 0,
            HdxError::UnknownPurposeBits
        );
        require!(
            self.expires_at > self.not_before,
            HdxError::InvalidValidityWindow
        );
        require!(self.expires_at > now, HdxError::ExpiryInPast);
        Ok(())
    }
}

/// A live consent, at `["consent", patient, provider]` (both signer keys).
/// `patient` sits at offset 8, `provider` at 40. Revoking closes the account.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Consent {
    /// The patient's wallet key.
    pub patient: Pubkey,
    /// The provider's signer key.
    pub provider: Pubkey,
    /// Category bitmask.
    pub categories: u16,
    /// Access-mode bitmask.
    pub modes: u8,
    /// Purpose-of-use bitmask.
    pub purposes: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Unix seconds from which the consent is live (inclusive).
    pub not_before: i64,
    /// Unix seconds at which it stops (exclusive).
    pub expires_at: i64,
    /// Unix time of the grant.
    pub granted_at: i64,
    /// Unix time of the last update (the grant time if never updated).
    pub updated_at: i64,
    /// Reserved for later fields (access caps, date ranges).
    pub reserved: [u8; 16],
}

impl Consent {
    pub const SPACE: usize = 8 + Consent::INIT_SPACE;

    pub fn set_terms(&mut self, terms: &ConsentTerms) {
        self.categories = terms.categories;
        self.modes = terms.modes;
        self.purposes = terms.purposes;
        self.not_before = terms.not_before;
        self.expires_at = terms.expires_at;
    }

    /// `not_before <= now < expires_at`.
    pub fn is_live(&self, now: i64) -> bool {
        self.not_before <= now && now < self.expires_at
    }

    /// The consent part of the gate, in its fixed order: time window,
    /// category, mode, purpose. Bits are single-bit masks.
    pub fn evaluate(&self, now: i64, category_bit: u16, mode_bit: u8, purpose_bit: u8) -> Outcome {
        if now < self.not_before {
            Outcome::NotYetValid
        } else if now >= self.expires_at {
            Outcome::Expired
        } else if self.categories & category_bit == 0 {
            Outcome::CategoryNotPermitted
        } else if self.modes & mode_bit == 0 {
            Outcome::ModeNotPermitted
        } else if self.purposes & purpose_bit == 0 {
            Outcome::PurposeNotPermitted
        } else {
            Outcome::Granted
        }
    }
}

const _: () = assert!(Consent::SPACE <= 128, "consent budget: <= 128 bytes");
