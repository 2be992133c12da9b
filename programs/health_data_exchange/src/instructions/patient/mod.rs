//! Patients: registration, the authority's rotation, emergency preferences.

pub mod register_patient;
pub mod rotate_patient_authority;
pub mod set_emergency_preferences;

pub use register_patient::*;
pub use rotate_patient_authority::*;
pub use set_emergency_preferences::*;
