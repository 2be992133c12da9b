//! Research studies (docs/DESIGN.md, "Research studies"): a verified
//! researcher creates a study with its DUO terms, privacy budget and
//! minimum cohort; the registry authority approves it; patients (or their
//! guardians) enrol and withdraw, each a version in the patient's consent
//! history; the study's custodian records every answer (query, epsilon,
//! cohort) before it releases it, refused past the budget or below the
//! minimum cohort, in a hash-chained log of release accounts.

pub mod approve_study;
pub mod close_study;
pub mod create_study;
pub mod enroll_in_study;
pub mod record_release;
pub mod withdraw_from_study;

pub use approve_study::*;
pub use close_study::*;
pub use create_study::*;
pub use enroll_in_study::*;
pub use record_release::*;
pub use withdraw_from_study::*;
