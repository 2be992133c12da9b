//! The gate (docs/DESIGN.md, "The gate" and "Emergency access"): every
//! decision the program makes about a provider's attempt, in one place.
//!
//! - [`require_caller`]: the hard checks on the caller (nothing logged);
//! - [`decide`]: the consent decision, in its one order, for a new access;
//!   [`decide_counted`]: the same for an access already counted (what a
//!   custodian asks again at release time: every check but the cap);
//! - [`decide_emergency`]: the emergency window decision, in its one order;
//! - [`check_page`], [`entry_time`], [`count_access`]: the checks a logged
//!   attempt needs before anything changes;
//! - [`log_attempt`]: the append and its event; [`finish`]: the result as
//!   return data. Every gated instruction checks first, then calls these
//!   effects, then `finish`.

use anchor_lang::prelude::*;

use crate::codes::{Action, Category, Outcome, Purpose};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::AccessRecorded;
use crate::native;
use crate::state::{
    next, seeds, Consent, EmergencyWindow, LogEntry, LogPage, Patient, Provider, Registry,
};

/// What one attempt asks for: every input of the consent decision, typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The record's category (for a write: the new record's).
    pub category: Category,
    /// Read or write.
    pub action: Action,
    /// The stated purpose of use.
    pub purpose: Purpose,
    /// The record's clinical day (0 = unknown).
    pub record_day: u32,
    /// The transaction's Clock time.
    pub now: i64,
}

/// The hard part of the gate, about the caller: the signer is the
/// provider's current key, the program is not paused, and the provider is
/// verified at `now` (not pending, not suspended, no expired licence
/// attestation). A failure is an error: nothing is logged, nothing changes.
pub fn require_caller(
    registry: &Registry,
    provider: &Provider,
    signer: &Pubkey,
    now: i64,
) -> Result<()> {
    require_keys_eq!(provider.signer, *signer, HdxError::NotProviderKey);
    require!(!registry.paused, HdxError::ProgramPaused);
    provider.require_verified(now)
}

/// The consent part of the gate, in its one order: a consent exists; its
/// window holds (`not_before <= now < expires_at`); the category, the
/// action's mode and the purpose are in it; the record's day is in its date
/// range; its access cap is not used up. The first failing check is the outcome.
pub fn decide(consent: Option<&Consent>, request: &Request) -> Outcome {
    match decide_counted(consent, request) {
        Outcome::Granted if consent.is_some_and(Consent::cap_reached) => Outcome::AccessCapReached,
        outcome => outcome,
    }
}

/// [`decide`] for an access already granted and counted against the cap:
/// every check in the same order but the cap. A custodian releasing the
/// data of a granted entry asks this again at release time (a revocation,
/// an expiry or a narrowing since the access stops the release; the cap
/// does not, or the last allowed access could never be released).
pub fn decide_counted(consent: Option<&Consent>, request: &Request) -> Outcome {
    let Some(c) = consent else {
        return Outcome::NoConsent;
    };
    let t = &c.terms;
    if request.now < t.not_before {
        Outcome::NotYetValid
    } else if request.now >= t.expires_at {
        Outcome::Expired
    } else if !t.allows_category(request.category) {
        Outcome::CategoryNotPermitted
    } else if !t.allows_mode(request.action.mode_bit()) {
        Outcome::ModeNotPermitted
    } else if !t.allows_purpose(request.purpose) {
        Outcome::PurposeNotPermitted
    } else if !t.covers_day(request.record_day) {
        Outcome::OutsideDateRange
    } else {
        Outcome::Granted
    }
}

/// The emergency decision, in its one order: the window is open
/// (`opened_at <= now < ends_at`); the patient has not opted out; the
/// record's category is not excluded. The first failing check is the
/// outcome. The caller's checks (key, pause, verification, role, whose
/// window) come first, as hard errors.
pub fn decide_emergency(
    window: &EmergencyWindow,
    patient: &Patient,
    category: Category,
    now: i64,
) -> Outcome {
    if !window.is_open(now) {
        Outcome::EmergencyWindowEnded
    } else if patient.emergency.opt_out {
        Outcome::EmergencyOptedOut
    } else if patient.emergency.excluded & category.bit() != 0 {
        Outcome::EmergencyCategoryExcluded
    } else {
        Outcome::Granted
    }
}

/// The consent the caller passed for (patient, provider), if there is one.
///
/// - Owned by this program: must be a `Consent` (discriminator checked) of
///   this very patient and provider, else a hard error.
/// - Otherwise: must be the canonical consent PDA of the pair (so a caller
///   cannot claim "no consent" with some other empty account), and there is
///   no consent. The PDA search runs only on this denial path.
pub fn load_consent(
    info: &AccountInfo,
    patient: &Pubkey,
    provider: &Pubkey,
) -> Result<Option<Consent>> {
    if info.owner == &crate::ID {
        let data = info.try_borrow_data()?;
        let consent = Consent::try_deserialize(&mut &data[..])?;
        require!(
            consent.patient == *patient && consent.provider == *provider,
            HdxError::ConsentMismatch
        );
        return Ok(Some(consent));
    }
    let (expected, _) = Pubkey::find_program_address(
        &[seeds::CONSENT, patient.as_ref(), provider.as_ref()],
        &crate::ID,
    );
    require_keys_eq!(info.key(), expected, HdxError::ConsentAddressMismatch);
    Ok(None)
}

/// The consent after a granted access is counted, when its cap counts it
/// (`None`: nothing to write). A check: the count is computed before anything changes.
pub fn count_access(consent: Option<&Consent>, outcome: Outcome) -> Result<Option<Consent>> {
    match consent {
        Some(c) if outcome.is_granted() && c.terms.access_limit != 0 => Ok(Some(Consent {
            accesses_used: next(c.accesses_used)?,
            ..*c
        })),
        _ => Ok(None),
    }
}

/// Writes a counted consent back in place (an effect, after every check).
pub fn write_consent(info: &AccountInfo, consent: &Consent) -> Result<()> {
    let mut data = info.try_borrow_mut_data()?;
    consent.try_serialize(&mut &mut data[..])
}

/// Checks that `page` is the patient's writable (current) page.
pub fn check_page(page: &LogPage, patient: &Pubkey) -> Result<()> {
    require_keys_eq!(page.patient, *patient, HdxError::LogPagePatientMismatch);
    require!(!page.is_full(), HdxError::LogPageFull);
    Ok(())
}

/// The unix time as a log entry stores it (u32 seconds): a check.
pub fn entry_time(now: i64) -> Result<u32> {
    u32::try_from(now).map_err(|_| error!(HdxError::ClockOutOfRange))
}

/// What one attempt was about, as the log records it (every field checked).
pub struct Attempt {
    /// The provider's registry number.
    pub provider: u32,
    /// The entry's time (from [`entry_time`]).
    pub time: u32,
    pub record_index: u32,
    /// The consent revision that decided it, or the emergency window's index.
    pub basis: u32,
    /// `codes::Category`, or `NO_CATEGORY`.
    pub category: u8,
    pub action: Action,
    pub purpose: Purpose,
    pub outcome: Outcome,
}

/// Appends the attempt to the page (in place), emits `AccessRecorded`, and
/// returns the entry's sequence number. An effect: call it after every check.
pub fn log_attempt(page: &mut LogPage, attempt: &Attempt) -> u64 {
    let entry = LogEntry {
        provider: attempt.provider,
        time: attempt.time,
        record_index: attempt.record_index,
        basis: attempt.basis,
        category: attempt.category,
        action: attempt.action.code(),
        purpose: attempt.purpose.code(),
        outcome: attempt.outcome.code(),
    };
    let sequence = page.append(entry);
    emit_event!(AccessRecorded {
        patient: page.patient,
        sequence,
        provider: entry.provider,
        time: entry.time,
        record_index: entry.record_index,
        basis: entry.basis,
        category: entry.category,
        action: entry.action,
        purpose: entry.purpose,
        outcome: entry.outcome,
    });
    sequence
}

/// Returned by `access_record`, `write_record` and `emergency_access`
/// (Anchor return data). A denial carries its outcome, an empty locator and
/// a zero hash.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AccessResult {
    /// Granted, or the denial reason.
    pub outcome: Outcome,
    /// The log entry's sequence number.
    pub sequence: u64,
    /// The record's index (`NO_RECORD` for a denied write).
    pub record_index: u32,
    /// The record's content hash when granted.
    pub content_hash: [u8; 32],
    /// The record's locator when a read is granted.
    pub locator: Vec<u8>,
}

/// The end of every gated instruction: the result as the transaction's
/// return data (natively through the runtime stub; on SBF Anchor does it).
pub fn finish(result: AccessResult) -> Result<AccessResult> {
    native::set_return_data(&result);
    Ok(result)
}
