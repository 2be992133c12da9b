//! Gated attempts (a provider's read or write, always logged) and the log's pages.

pub mod access_record;
pub mod open_log_page;
pub mod write_record;

pub use access_record::*;
pub use open_log_page::*;
pub use write_record::*;
