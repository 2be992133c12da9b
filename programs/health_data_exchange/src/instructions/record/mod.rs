//! Records the patient adds (a provider's write is gated: `access::write_record`).

pub mod add_record;

pub use add_record::*;
