//! Account decoding, and the memcmp offsets auditors filter on.

use anchor_lang::{AccountDeserialize, Discriminator};
use health_data_exchange::state::LogPage;

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
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("account data is not a {0} (wrong discriminator or length)")]
    WrongType(&'static str),
}

/// Decodes an Anchor account, checking its discriminator.
pub fn decode<T: AccountDeserialize>(data: &[u8]) -> Result<T, DecodeError> {
    T::try_deserialize(&mut &data[..])
        .map_err(|_| DecodeError::WrongType(std::any::type_name::<T>()))
}

/// Decodes a zero-copy log page (copying; account data need not be aligned).
pub fn decode_log_page(data: &[u8]) -> Result<LogPage, DecodeError> {
    let size = std::mem::size_of::<LogPage>();
    if data.len() < 8 + size || data[..8] != *LogPage::DISCRIMINATOR {
        return Err(DecodeError::WrongType("LogPage"));
    }
    Ok(bytemuck::pod_read_unaligned(&data[8..8 + size]))
}
