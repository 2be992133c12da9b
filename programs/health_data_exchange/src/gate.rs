//! The gate (DESIGN.md): the consent part of the decision, shared by
//! `access_record` and `write_record`, and the one place a log entry is written.
//! The hard part (paused, provider verified) is checked by each handler first.

use anchor_lang::prelude::*;

use crate::codes::{Action, Outcome};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::AccessRecorded;
use crate::state::{seeds, Consent, LogEntry, LogPage};

/// The consent part of the gate for (patient, provider), given the account the
/// caller passed as the consent.
///
/// - Owned by this program: must be a `Consent` (discriminator checked) of this
///   very patient and provider, else a hard error; then its terms decide.
/// - Otherwise: must be the canonical consent PDA of the pair (so a caller
///   cannot claim "no consent" with some other empty account), and the
///   outcome is `NoConsent`. The PDA search runs only on this denial path.
pub fn consent_outcome(
    consent: &AccountInfo,
    patient: &Pubkey,
    provider: &Pubkey,
    now: i64,
    category_bit: u16,
    mode_bit: u8,
    purpose_bit: u8,
) -> Result<Outcome> {
    if consent.owner == &crate::ID {
        let data = consent.try_borrow_data()?;
        let consent = Consent::try_deserialize(&mut &data[..])?;
        require!(
            consent.patient == *patient && consent.provider == *provider,
            HdxError::ConsentMismatch
        );
        return Ok(consent.evaluate(now, category_bit, mode_bit, purpose_bit));
    }
    let (expected, _) = Pubkey::find_program_address(
        &[seeds::CONSENT, patient.as_ref(), provider.as_ref()],
        &crate::ID,
    );
    require_keys_eq!(consent.key(), expected, HdxError::ConsentAddressMismatch);
    Ok(Outcome::NoConsent)
}

/// Checks that `page` is the patient's writable (current) page.
pub fn check_page(page: &LogPage, patient: &Pubkey) -> Result<()> {
    require_keys_eq!(page.patient, *patient, HdxError::LogPagePatientMismatch);
    require!(!page.is_full(), HdxError::LogPageFull);
    Ok(())
}

/// What one attempt was about.
pub struct Attempt {
    pub provider: Pubkey,
    pub time: i64,
    pub record_index: u32,
    pub category: u8,
    pub action: Action,
    pub purpose: u8,
    pub outcome: Outcome,
}

/// Appends the attempt to the page (in place) and emits `AccessRecorded`.
pub fn log_attempt(page: &mut LogPage, attempt: &Attempt) -> LogEntry {
    let entry = page.append(LogEntry {
        sequence: 0,
        provider: attempt.provider,
        time: attempt.time,
        record_index: attempt.record_index,
        category: attempt.category,
        action: attempt.action as u8,
        purpose: attempt.purpose,
        outcome: attempt.outcome.code(),
    });
    emit_event!(AccessRecorded {
        patient: page.patient,
        provider: entry.provider,
        sequence: entry.sequence,
        record_index: entry.record_index,
        category: entry.category,
        action: entry.action,
        purpose: entry.purpose,
        outcome: entry.outcome,
    });
    entry
}

/// Returned by `access_record` and `write_record` (Anchor return data).
/// A denial carries its outcome code, an empty locator and a zero hash.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AccessResult {
    /// `codes::Outcome`.
    pub outcome: u8,
    /// The log entry's sequence number.
    pub sequence: u64,
    /// The record's index (`NO_RECORD` for a denied write).
    pub record_index: u32,
    /// The record's content hash when granted.
    pub content_hash: [u8; 32],
    /// The record's locator when a read is granted.
    pub locator: Vec<u8>,
}
