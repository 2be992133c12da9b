//! Integration tests: the program runs natively in solana-program-test.
//! One binary, one module per feature (a binary per file would link the
//! Solana runtime a dozen times). Test names say which docs/DESIGN.md invariant
//! they pin.

mod attacks;
mod authority;
mod consent;
mod credentials;
mod emergency;
mod events;
mod extremes;
mod fuzz;
mod gate;
mod guardians;
mod history;
mod idl;
mod log;
mod model;
mod pause;
mod privacy;
mod report;
mod rotation;
mod studies;
mod study_model;
mod substitution;
