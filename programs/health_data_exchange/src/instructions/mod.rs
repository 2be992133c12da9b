//! One instruction per file, by domain (docs/DESIGN.md, "Instructions").
//! Each file holds the instruction's accounts, its args struct (when it
//! takes anything) and `handle_<instruction>`: checks first, then effects.

pub mod access;
pub mod consent;
pub mod emergency;
pub mod guardians;
pub mod patient;
pub mod provider;
pub mod record;
pub mod registry;
pub mod study;

pub use access::*;
pub use consent::*;
pub use emergency::*;
pub use guardians::*;
pub use patient::*;
pub use provider::*;
pub use record::*;
pub use registry::*;
pub use study::*;
