//! The gate (docs/DESIGN.md, "The gate"): the hard checks on the caller
//! ([`require_caller`]), the consent decision ([`decide`], the one place the
//! order of the checks is written), and the log append ([`log_attempt`]),
//! shared by every gated instruction (`access_record`, `write_record`).

use anchor_lang::prelude::*;

use crate::codes::{Action, Category, Outcome, Purpose};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::AccessRecorded;
use crate::state::{seeds, Consent, LogEntry, LogPage, Provider, Registry, NO_CONSENT_REVISION};

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
/// verified (not pending, not suspended). A failure is an error: nothing is
/// logged, nothing changes.
pub fn require_caller(registry: &Registry, provider: &Provider, signer: &Pubkey) -> Result<()> {
    require_keys_eq!(provider.signer, *signer, HdxError::NotProviderKey);
    require!(!registry.paused, HdxError::ProgramPaused);
    provider.require_verified()
}

/// The consent part of the gate, in its one order: a consent exists; its
/// window holds (`not_before <= now < expires_at`); the category, the
/// action's mode and the purpose are in it; the record's day is in its date
/// range; its access cap is not used up. The first failing check is the outcome.
pub fn decide(consent: Option<&Consent>, request: &Request) -> Outcome {
    let Some(c) = consent else {
        return Outcome::NoConsent;
    };
    if request.now < c.not_before {
        Outcome::NotYetValid
    } else if request.now >= c.expires_at {
        Outcome::Expired
    } else if !c.allows_category(request.category) {
        Outcome::CategoryNotPermitted
    } else if !c.allows_mode(request.action.mode_bit()) {
        Outcome::ModeNotPermitted
    } else if !c.allows_purpose(request.purpose) {
        Outcome::PurposeNotPermitted
    } else if !c.covers_day(request.record_day) {
        Outcome::OutsideDateRange
    } else if c.cap_reached() {
        Outcome::AccessCapReached
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

/// Decides `request` under `consent` and, when granted under a cap, counts
/// the access in the consent account (written back in place).
pub fn decide_and_count(
    info: &AccountInfo,
    consent: Option<Consent>,
    request: &Request,
) -> Result<(Outcome, u32)> {
    let outcome = decide(consent.as_ref(), request);
    let revision = consent.as_ref().map_or(NO_CONSENT_REVISION, |c| c.revision);
    if let Some(mut c) = consent {
        if outcome.is_granted() && c.access_limit != 0 {
            c.accesses_used = c
                .accesses_used
                .checked_add(1)
                .ok_or(HdxError::CounterOverflow)?;
            let mut data = info.try_borrow_mut_data()?;
            c.try_serialize(&mut &mut data[..])?;
        }
    }
    Ok((outcome, revision))
}

/// Checks that `page` is the patient's writable (current) page.
pub fn check_page(page: &LogPage, patient: &Pubkey) -> Result<()> {
    require_keys_eq!(page.patient, *patient, HdxError::LogPagePatientMismatch);
    require!(!page.is_full(), HdxError::LogPageFull);
    Ok(())
}

/// The unix time as a log entry stores it (u32 seconds).
pub fn entry_time(now: i64) -> Result<u32> {
    u32::try_from(now).map_err(|_| error!(HdxError::ClockOutOfRange))
}

/// What one attempt was about, as the log records it.
pub struct Attempt {
    /// The provider's registry number.
    pub provider: u32,
    pub request: Request,
    pub record_index: u32,
    pub consent_revision: u32,
    pub outcome: Outcome,
    /// A reason code (emergency access); 0 otherwise.
    pub reason: u8,
}

/// Appends the attempt to the page (in place), emits `AccessRecorded`, and
/// returns the entry's sequence number.
pub fn log_attempt(page: &mut LogPage, attempt: &Attempt) -> Result<u64> {
    let entry = LogEntry {
        provider: attempt.provider,
        time: entry_time(attempt.request.now)?,
        record_index: attempt.record_index,
        consent_revision: attempt.consent_revision,
        category: attempt.request.category.code(),
        action: attempt.request.action.code(),
        purpose: attempt.request.purpose.code(),
        outcome: attempt.outcome.code(),
        reason: attempt.reason,
        padding: [0; 3],
    };
    let sequence = page.append(entry);
    emit_event!(AccessRecorded {
        patient: page.patient,
        sequence,
        provider: entry.provider,
        record_index: entry.record_index,
        consent_revision: entry.consent_revision,
        category: entry.category,
        action: entry.action,
        purpose: entry.purpose,
        outcome: entry.outcome,
        reason: entry.reason,
    });
    Ok(sequence)
}

/// Returned by `access_record` and `write_record` (Anchor return data).
/// A denial carries its outcome, an empty locator and a zero hash.
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
