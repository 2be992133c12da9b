use anchor_lang::prelude::*;

use crate::codes::{Category, Purpose, ALL_CATEGORIES, ALL_MODES, ALL_PURPOSES, MAX_DAY, MAX_TIME};
use crate::error::HdxError;
use crate::state::{add_time, create_account, seeds, LAYOUT_VERSION};

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
    /// Unix seconds from which the consent is live (inclusive), 0..=MAX_TIME.
    pub not_before: i64,
    /// Unix seconds at which the consent stops being live (exclusive), 0..=MAX_TIME.
    pub expires_at: i64,
    /// At most this many granted accesses (reads and writes); 0 = no cap.
    pub access_limit: u32,
    /// Only records whose clinical day is in `from_day..=to_day` (day
    /// numbers, at most MAX_DAY); both 0 = any record. With a range, a
    /// record of unknown day is outside it.
    pub from_day: u32,
    /// Last day of the date range (inclusive); 0 with `from_day` 0 = no range.
    pub to_day: u32,
    /// Renewal policy: each renewal extends the expiry by this many seconds; 0 = no renewal.
    pub renewal_period_secs: u32,
    /// Renewal policy: how many renewals are allowed; 0 = no renewal.
    pub renewals_allowed: u16,
}

impl ConsentTerms {
    /// Rejects empty or unknown bits; a time outside 0..=MAX_TIME; a window
    /// that is empty, already over or too long at `now`; a half-set or
    /// reversed date range, or one past MAX_DAY; a half-set renewal policy or
    /// one longer than 10 years. Every time field is bounded here, so the
    /// arithmetic on stored terms (renewal, exports) never overflows.
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
            (0..=MAX_TIME).contains(&self.not_before) && (0..=MAX_TIME).contains(&self.expires_at),
            HdxError::TimeOutOfRange
        );
        require!(
            self.expires_at > self.not_before,
            HdxError::InvalidValidityWindow
        );
        require!(self.expires_at > now, HdxError::ExpiryInPast);
        require!(
            self.expires_at
                .checked_sub(now)
                .is_some_and(|ahead| ahead <= MAX_CONSENT_DURATION_SECS),
            HdxError::ExpiryTooFar
        );
        require!(
            day_range_is_valid(self.from_day, self.to_day),
            HdxError::InvalidDateRange
        );
        require!(
            (self.renewal_period_secs == 0) == (self.renewals_allowed == 0)
                && i64::from(self.renewal_period_secs) <= MAX_CONSENT_DURATION_SECS,
            HdxError::InvalidRenewalPolicy
        );
        Ok(())
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
        day_range_covers(self.from_day, self.to_day, clinical_day)
    }

    /// Start of the renewal window: the last tenth of the current window.
    /// Checked: terms are bounded by `validate`, but stored terms are read
    /// by anyone's renewal.
    pub fn renewal_opens_at(&self) -> Result<i64> {
        let length = self
            .expires_at
            .checked_sub(self.not_before)
            .ok_or(HdxError::ArithmeticOverflow)?;
        Ok(self.expires_at - length / 10)
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
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// The patient's consent version these terms are (see `Patient::consent_revisions`);
    /// log entries decided under this consent carry it.
    pub revision: u32,
    /// The terms in force.
    pub terms: ConsentTerms,
    /// Unix time of the grant.
    pub granted_at: i64,
    /// Unix time of the last change by the patient (the grant time if never updated).
    pub updated_at: i64,
    /// Granted accesses so far (kept across updates; the cap counts real accesses).
    pub accesses_used: u32,
    /// Renewals made since the policy was set (an update sets a new policy and resets it).
    pub renewals_used: u16,
    /// Reserved, zero: a minimum-necessary release profile (a profile code,
    /// 1 byte, and the FHIR elements it releases, an 8-byte mask) and 7
    /// bytes after it.
    pub reserved: [u8; 16],
}

impl Consent {
    pub const SPACE: usize = 8 + Consent::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 16;

    /// Creates the consent of (patient, provider) at `target` (its canonical
    /// PDA, `bump`) with `terms` as version `revision`.
    #[allow(clippy::too_many_arguments)]
    pub fn create<'info>(
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
        patient: Pubkey,
        provider: Pubkey,
        bump: u8,
        revision: u32,
        terms: ConsentTerms,
        now: i64,
    ) -> Result<()> {
        let consent = Consent {
            patient,
            provider,
            version: LAYOUT_VERSION,
            bump,
            revision,
            terms,
            granted_at: now,
            updated_at: now,
            accesses_used: 0,
            renewals_used: 0,
            reserved: [0; Self::RESERVED],
        };
        create_account(
            payer,
            target,
            Self::SPACE,
            &[seeds::CONSENT, patient.as_ref(), provider.as_ref(), &[bump]],
            &consent,
        )
    }

    /// New terms from the patient (an update) as version `revision`: the
    /// access count is kept, the renewal count starts again.
    pub fn set_terms(&mut self, terms: ConsentTerms, revision: u32, now: i64) {
        self.terms = terms;
        self.revision = revision;
        self.updated_at = now;
        self.renewals_used = 0;
    }

    /// The expiry a renewal at `now` would set: one period past the current
    /// expiry, only while a renewal policy is set (`NoRenewalPolicy`) with
    /// renewals left (`NoRenewalsLeft`), before the expiry (`ConsentExpired`),
    /// in the last tenth of the window (`RenewalNotDue`), and not beyond the
    /// longest a consent may run from now (`ExpiryTooFar`). The one rule
    /// `renew_consent` and every client's "is it due?" apply.
    pub fn renewal(&self, now: i64) -> Result<i64> {
        let terms = &self.terms;
        require!(terms.renewal_period_secs != 0, HdxError::NoRenewalPolicy);
        require!(
            self.renewals_used < terms.renewals_allowed,
            HdxError::NoRenewalsLeft
        );
        require!(now < terms.expires_at, HdxError::ConsentExpired);
        require!(now >= terms.renewal_opens_at()?, HdxError::RenewalNotDue);
        let expires_at = add_time(terms.expires_at, i64::from(terms.renewal_period_secs))?;
        require!(
            add_time(now, MAX_CONSENT_DURATION_SECS)? >= expires_at,
            HdxError::ExpiryTooFar
        );
        Ok(expires_at)
    }

    /// Whether the cap (if any) is used up.
    pub fn cap_reached(&self) -> bool {
        self.terms.access_limit != 0 && self.accesses_used >= self.terms.access_limit
    }
}

// Budget (docs/DESIGN.md): a consent account of at most 160 bytes.
const _: () = assert!(Consent::SPACE <= 160, "consent budget: <= 160 bytes");

/// A clinical-day range `from..=to` (day numbers) as consents and studies
/// carry it: both 0 (no range), or both set, in order, at most `MAX_DAY`.
pub fn day_range_is_valid(from_day: u32, to_day: u32) -> bool {
    let ranged = from_day != 0 || to_day != 0;
    !ranged || (from_day != 0 && from_day <= to_day && to_day <= MAX_DAY)
}

/// Whether `clinical_day` is in the range `from..=to`: always without a
/// range; with one, only a known day (not 0) inside it.
pub fn day_range_covers(from_day: u32, to_day: u32, clinical_day: u32) -> bool {
    if from_day == 0 && to_day == 0 {
        return true;
    }
    clinical_day != 0 && from_day <= clinical_day && clinical_day <= to_day
}
