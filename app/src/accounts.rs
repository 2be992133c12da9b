//! Account decoding and the memcmp offsets auditors filter on.

use anchor_lang::{AccountDeserialize, Discriminator};
use health_data_exchange::state::LogPage;

/// Byte offsets of the fields `getProgramAccounts` filters use. Stable: they
/// sit right after the 8-byte discriminator, before any variable-size field.
pub mod offsets {
    /// `Provider.signer` (32 bytes).
    pub const PROVIDER_SIGNER: usize = 8;
    /// `Provider.status` (1 byte: 0 pending, 1 verified, 2 suspended).
    pub const PROVIDER_STATUS: usize = 40;
    /// `Provider.kind` (1 byte).
    pub const PROVIDER_KIND: usize = 41;
    /// `Patient.owner`.
    pub const PATIENT_OWNER: usize = 8;
    /// `Record.patient`.
    pub const RECORD_PATIENT: usize = 8;
    /// `Record.author`.
    pub const RECORD_AUTHOR: usize = 40;
    /// `Consent.patient`.
    pub const CONSENT_PATIENT: usize = 8;
    /// `Consent.provider`.
    pub const CONSENT_PROVIDER: usize = 40;
    /// `LogPage.patient`.
    pub const LOG_PAGE_PATIENT: usize = 8;
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
