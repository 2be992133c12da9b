//! Every PDA seed prefix, in one place. Patients and providers are named by
//! their stable id (the key that registered them), never by the key that
//! currently signs for them, so every address survives a key rotation.

/// `["registry"]`
pub const REGISTRY: &[u8] = b"registry";
/// `["provider", provider_id]`
pub const PROVIDER: &[u8] = b"provider";
/// `["patient", patient_id]`
pub const PATIENT: &[u8] = b"patient";
/// `["record", patient_id, index as u32 LE]`
pub const RECORD: &[u8] = b"record";
/// `["consent", patient_id, provider_id]`
pub const CONSENT: &[u8] = b"consent";
/// `["log", patient_id, page_index as u32 LE]`
pub const LOG: &[u8] = b"log";
/// `["consent-history", patient_id]`: an address with no account. Every
/// transaction that changes one of the patient's consents (grant, update,
/// renew, revoke) carries it, checked, so `getSignaturesForAddress` on it
/// lists exactly the patient's consent changes (the consent's own address
/// is also in every access).
pub const CONSENT_HISTORY: &[u8] = b"consent-history";
/// `["guardians", patient_id]`: the patient's guardian set.
pub const GUARDIANS: &[u8] = b"guardians";
/// `["proposal", patient_id, index as u32 LE]`: a guardians' proposal.
pub const PROPOSAL: &[u8] = b"proposal";
/// `["emergency", patient_id, index as u32 LE]`: one emergency window.
pub const EMERGENCY: &[u8] = b"emergency";
/// `["emergency-tracker", patient_id, provider_id]`: when the provider's
/// last window for the patient ended (for the cooldown).
pub const EMERGENCY_TRACKER: &[u8] = b"emergency-tracker";
/// `["directory"]`: the provider directory's published hash (one).
pub const DIRECTORY: &[u8] = b"directory";
/// `["study", sponsor_id, number as u32 LE]`: a research study.
pub const STUDY: &[u8] = b"study";
/// `["enrollment", study, patient_id]`: a patient's enrolment in a study.
pub const ENROLLMENT: &[u8] = b"enrollment";
/// `["study-release", study, index as u32 LE]`: one answer released for a study.
pub const STUDY_RELEASE: &[u8] = b"study-release";
