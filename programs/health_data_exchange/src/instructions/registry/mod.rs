//! The registry and its authority: creation, the two-step hand-over, the
//! pause, the credential policy, the provider directory.

pub mod accept_registry_authority;
pub mod initialize_registry;
pub mod propose_registry_authority;
pub mod publish_directory;
pub mod set_credential_policy;
pub mod set_paused;

pub use accept_registry_authority::*;
pub use initialize_registry::*;
pub use propose_registry_authority::*;
pub use publish_directory::*;
pub use set_credential_policy::*;
pub use set_paused::*;
