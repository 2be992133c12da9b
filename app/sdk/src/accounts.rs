//! Account decoding, and the memcmp offsets auditors filter on.

use anchor_lang::{AccountDeserialize, Discriminator};
use health_data_exchange::state::{LogPage, Versioned, LAYOUT_VERSION};

/// Byte offsets of the fields `getProgramAccounts` filters use. Stable: they
/// sit right after the 8-byte discriminator, before any variable-size field.
pub mod offsets {
    /// `Provider.id` (32 bytes): the provider's stable id.
    pub const PROVIDER_ID: usize = 8;
    /// `Provider.signer` (32 bytes): the key that currently signs for it.
    pub const PROVIDER_SIGNER: usize = 40;
    /// `Provider.status` (1 byte: 0 pending, 1 verified, 2 suspended).
    pub const PROVIDER_STATUS: usize = 72;
    /// `Provider.kind` (1 byte).
    pub const PROVIDER_KIND: usize = 73;
    /// `Provider.number` (u32 LE): how log entries name it.
    pub const PROVIDER_NUMBER: usize = 74;
    /// `Patient.id`.
    pub const PATIENT_ID: usize = 8;
    /// `Patient.authority`: the key that currently controls it.
    pub const PATIENT_AUTHORITY: usize = 40;
    /// `Record.patient` (the patient's id).
    pub const RECORD_PATIENT: usize = 8;
    /// `Record.author` (the patient's or a provider's id).
    pub const RECORD_AUTHOR: usize = 40;
    /// `Consent.patient` (id).
    pub const CONSENT_PATIENT: usize = 8;
    /// `Consent.provider` (id).
    pub const CONSENT_PROVIDER: usize = 40;
    /// `LogPage.patient` (id).
    pub const LOG_PAGE_PATIENT: usize = 8;
    /// `EmergencyWindow.patient` (id).
    pub const EMERGENCY_PATIENT: usize = 8;
    /// `EmergencyWindow.provider` (id).
    pub const EMERGENCY_PROVIDER: usize = 40;
    /// `EmergencyWindow.verdict` (1 byte: 0 unreviewed).
    pub const EMERGENCY_VERDICT: usize = 72;
    /// `Study.sponsor` (the sponsor's provider id).
    pub const STUDY_SPONSOR: usize = 8;
    /// `Study.custodian` (the key that records its releases).
    pub const STUDY_CUSTODIAN: usize = 40;
    /// `Enrollment.study` (the study's address).
    pub const ENROLLMENT_STUDY: usize = 8;
    /// `Enrollment.patient` (id).
    pub const ENROLLMENT_PATIENT: usize = 40;
    /// `Enrollment.active` (1 byte: 1 enrolled, 0 withdrawn).
    pub const ENROLLMENT_ACTIVE: usize = 72;
    /// `StudyRelease.study` (the study's address).
    pub const STUDY_RELEASE_STUDY: usize = 8;
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("account data is not a {0} (wrong discriminator or length)")]
    WrongType(&'static str),
    #[error(
        "{kind} has layout version {found}; this client reads version {known} (upgrade the client)"
    )]
    UnknownVersion {
        kind: &'static str,
        found: u8,
        known: u8,
    },
}

/// Decodes an Anchor account, checking its discriminator and its layout
/// version (docs/DESIGN.md, "Layouts"): an account written under a layout
/// this client does not know is refused, never misread.
pub fn decode<T: AccountDeserialize + Versioned>(data: &[u8]) -> Result<T, DecodeError> {
    let kind = short_name::<T>();
    let value = T::try_deserialize(&mut &data[..]).map_err(|_| DecodeError::WrongType(kind))?;
    check_version(kind, value.layout_version())?;
    Ok(value)
}

/// Decodes a zero-copy log page (copying; account data need not be aligned).
pub fn decode_log_page(data: &[u8]) -> Result<LogPage, DecodeError> {
    let size = std::mem::size_of::<LogPage>();
    if data.len() < 8 + size || data[..8] != *LogPage::DISCRIMINATOR {
        return Err(DecodeError::WrongType("LogPage"));
    }
    let page: LogPage = bytemuck::pod_read_unaligned(&data[8..8 + size]);
    check_version("LogPage", page.layout_version())?;
    Ok(page)
}

fn check_version(kind: &'static str, found: u8) -> Result<(), DecodeError> {
    if found == LAYOUT_VERSION {
        Ok(())
    } else {
        Err(DecodeError::UnknownVersion {
            kind,
            found,
            known: LAYOUT_VERSION,
        })
    }
}

fn short_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use health_data_exchange::state::{Consent, LogPage};

    /// A zeroed consent with `version` at its offset (after the two ids).
    fn consent_bytes(version: u8) -> Vec<u8> {
        let mut out = vec![0u8; Consent::SPACE];
        out[..8].copy_from_slice(Consent::DISCRIMINATOR);
        out[72] = version;
        out
    }

    #[test]
    fn an_account_of_a_known_layout_decodes() {
        let c: Consent = decode(&consent_bytes(LAYOUT_VERSION)).unwrap();
        assert_eq!(c.version, LAYOUT_VERSION);
    }

    #[test]
    fn an_account_of_an_unknown_layout_is_refused_by_name() {
        for found in [0, LAYOUT_VERSION + 1, u8::MAX] {
            assert_eq!(
                decode::<Consent>(&consent_bytes(found)).unwrap_err(),
                DecodeError::UnknownVersion {
                    kind: "Consent",
                    found,
                    known: LAYOUT_VERSION
                }
            );
        }
        let mut page = vec![0u8; 8 + std::mem::size_of::<LogPage>()];
        page[..8].copy_from_slice(LogPage::DISCRIMINATOR);
        assert!(matches!(
            decode_log_page(&page).unwrap_err(),
            DecodeError::UnknownVersion {
                kind: "LogPage",
                found: 0,
                ..
            }
        ));
    }

    #[test]
    fn another_type_is_refused_by_name() {
        assert_eq!(
            decode::<health_data_exchange::state::Record>(&consent_bytes(1)).unwrap_err(),
            DecodeError::WrongType("Record")
        );
    }
}
