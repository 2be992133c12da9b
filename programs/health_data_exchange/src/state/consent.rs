use anchor_lang::prelude::*;

use crate::codes::{Category, Purpose, ALL_CATEGORIES, ALL_MODES, ALL_PURPOSES};
use crate::error::HdxError;

/// The longest a consent may run: its expiry at most this far after the
/// transaction that grants, updates or renews it (10 years of 365 days).
/// Also keeps every time a consent carries writable as a FHIR `dateTime`.
#[constant]
pub const MAX_CONSENT_DURATION_SECS: i64 = 10 * 365 * 86_400;

/// What a patient grants a provider: scope, window, and the optional cap,
/// date range and renewal policy. Zero means "none" for the optional parts.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct ConsentTerms {
    /// Category bitmask (`1 << Category`).
    pub categories: u16,
    /// Access-mode bitmask (`MODE_READ`, `MODE_WRITE`).
    pub modes: u8,
    /// Purpose-of-use bitmask (`1 << Purpose`).
    pub purposes: u8,
    /// Unix seconds from which the consent is live (inclusive).
    pub not_before: i64,
    /// Unix seconds at which the consent stops being live (exclusive).
    pub expires_at: i64,
    /// At most this many granted accesses (reads and writes); 0 = no cap.
    pub access_limit: u32,
    /// Only records whose clinical day is in `from_day..=to_day` (day
    /// numbers); both 0 = any record. With a range, a record of unknown day is outside it.
    pub from_day: u32,
    /// Last day of the date range (inclusive); 0 with `from_day` 0 = no range.
    pub to_day: u32,
    /// Renewal policy: each renewal extends the expiry by this many seconds; 0 = no renewal.
    pub renewal_period_secs: u32,
    /// Renewal policy: how many renewals are allowed; 0 = no renewal.
    pub renewals_allowed: u16,
}

impl ConsentTerms {
    /// Rejects empty or unknown bits, a window that is empty, already over
    /// or too long at `now`, a half-set date range and a half-set renewal policy.
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
        require!(
            self.expires_at - now <= MAX_CONSENT_DURATION_SECS,
            HdxError::ExpiryTooFar
        );
        let ranged = self.from_day != 0 || self.to_day != 0;
        require!(
            !ranged || (self.from_day != 0 && self.to_day != 0 && self.from_day <= self.to_day),
            HdxError::InvalidDateRange
        );
        require!(
            (self.renewal_period_secs == 0) == (self.renewals_allowed == 0)
                && i64::from(self.renewal_period_secs) <= MAX_CONSENT_DURATION_SECS,
            HdxError::InvalidRenewalPolicy
        );
        Ok(())
    }
}

/// A live consent, at `["consent", patient_id, provider_id]`. `patient`
/// sits at offset 8, `provider` at 40. Revoking closes the account.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Consent {
    /// The patient's id.
    pub patient: Pubkey,
    /// The provider's id (so the consent survives a rotation of the provider's key).
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
    /// Unix time of the last change by the patient (the grant time if never updated).
    pub updated_at: i64,
    /// The patient's consent version these terms are (see `Patient::consent_revisions`);
    /// log entries decided under this consent carry it.
    pub revision: u32,
    /// Cap on granted accesses; 0 = none.
    pub access_limit: u32,
    /// Granted accesses so far (kept across updates; the cap counts real accesses).
    pub accesses_used: u32,
    /// Date range, first day (day number); 0 = no range.
    pub from_day: u32,
    /// Date range, last day (inclusive).
    pub to_day: u32,
    /// Renewal period in seconds; 0 = no renewal policy.
    pub renewal_period_secs: u32,
    /// Renewals the policy allows.
    pub renewals_allowed: u16,
    /// Renewals made since the policy was set (an update sets a new policy and resets it).
    pub renewals_used: u16,
}

impl Consent {
    pub const SPACE: usize = 8 + Consent::INIT_SPACE;

    /// Writes new terms from the patient (grant or update): scope, window,
    /// cap, range and a fresh renewal policy.
    pub fn set_terms(&mut self, terms: &ConsentTerms) {
        self.categories = terms.categories;
        self.modes = terms.modes;
        self.purposes = terms.purposes;
        self.not_before = terms.not_before;
        self.expires_at = terms.expires_at;
        self.access_limit = terms.access_limit;
        self.from_day = terms.from_day;
        self.to_day = terms.to_day;
        self.renewal_period_secs = terms.renewal_period_secs;
        self.renewals_allowed = terms.renewals_allowed;
        self.renewals_used = 0;
    }

    /// The terms as the patient would state them now.
    pub fn terms(&self) -> ConsentTerms {
        ConsentTerms {
            categories: self.categories,
            modes: self.modes,
            purposes: self.purposes,
            not_before: self.not_before,
            expires_at: self.expires_at,
            access_limit: self.access_limit,
            from_day: self.from_day,
            to_day: self.to_day,
            renewal_period_secs: self.renewal_period_secs,
            renewals_allowed: self.renewals_allowed,
        }
    }

    /// `not_before <= now < expires_at`.
    pub fn is_live(&self, now: i64) -> bool {
        self.not_before <= now && now < self.expires_at
    }

    pub fn allows_category(&self, category: Category) -> bool {
        self.categories & category.bit() != 0
    }

    pub fn allows_mode(&self, mode_bit: u8) -> bool {
        self.modes & mode_bit != 0
    }

    pub fn allows_purpose(&self, purpose: Purpose) -> bool {
        self.purposes & purpose.bit() != 0
    }

    /// Whether a record of `clinical_day` is covered: always without a
    /// range; with one, only a known day inside it.
    pub fn covers_day(&self, clinical_day: u32) -> bool {
        if self.from_day == 0 && self.to_day == 0 {
            return true;
        }
        clinical_day != 0 && self.from_day <= clinical_day && clinical_day <= self.to_day
    }

    /// Whether the cap (if any) is used up.
    pub fn cap_reached(&self) -> bool {
        self.access_limit != 0 && self.accesses_used >= self.access_limit
    }

    /// Start of the renewal window: the last tenth of the current window.
    pub fn renewal_opens_at(&self) -> i64 {
        self.expires_at - (self.expires_at - self.not_before) / 10
    }
}

// Budget (docs/DESIGN.md): a consent account of at most 160 bytes.
const _: () = assert!(Consent::SPACE <= 160, "consent budget: <= 160 bytes");
