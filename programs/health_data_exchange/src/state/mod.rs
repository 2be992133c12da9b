//! Account types, one file each. Every account is a PDA; its seeds live in
//! [`seeds`] and its bump is stored in the account and reused.

pub mod consent;
pub mod emergency;
pub mod guardians;
pub mod log;
pub mod patient;
pub mod provider;
pub mod record;
pub mod registry;
pub mod seeds;

pub use consent::*;
pub use emergency::*;
pub use guardians::*;
pub use log::*;
pub use patient::*;
pub use provider::*;
pub use record::*;
pub use registry::*;
