//! Providers: registration, the registry authority's status changes and
//! roles, verification through a licence attestation and its lapse, and the
//! provider's key rotation.

pub mod lapse_provider;
pub mod register_provider;
pub mod reinstate_provider;
pub mod rotate_provider_key;
pub mod set_provider_roles;
pub mod status;
pub mod suspend_provider;
pub mod verify_provider;
pub mod verify_provider_by_attestation;

pub use lapse_provider::*;
pub use register_provider::*;
pub use reinstate_provider::*;
pub use rotate_provider_key::*;
pub use set_provider_roles::*;
pub use status::*;
pub use suspend_provider::*;
pub use verify_provider::*;
pub use verify_provider_by_attestation::*;
