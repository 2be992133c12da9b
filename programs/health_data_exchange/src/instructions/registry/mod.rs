//! The registry and its authority: creation, the two-step hand-over, the pause.

pub mod accept_registry_authority;
pub mod initialize_registry;
pub mod propose_registry_authority;
pub mod set_paused;

pub use accept_registry_authority::*;
pub use initialize_registry::*;
pub use propose_registry_authority::*;
pub use set_paused::*;
