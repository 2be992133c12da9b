//! Every PDA seed prefix, in one place.

/// `["registry"]`
pub const REGISTRY: &[u8] = b"registry";
/// `["provider", provider_signer]`
pub const PROVIDER: &[u8] = b"provider";
/// `["patient", patient_signer]`
pub const PATIENT: &[u8] = b"patient";
/// `["record", patient_signer, index as u32 LE]`
pub const RECORD: &[u8] = b"record";
/// `["consent", patient_signer, provider_signer]`
pub const CONSENT: &[u8] = b"consent";
/// `["log", patient_signer, page_index as u32 LE]`
pub const LOG: &[u8] = b"log";
