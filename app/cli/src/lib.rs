//! # hdx — the HealthDataExchange command-line tool
//!
//! The `hdx` binary and what it runs besides the commands: which cluster a
//! command uses ([`cluster`]), the demo story ([`demo`]) and the cost report
//! ([`cost`]). A provider's system links `hdx-sdk`, not this crate.

pub mod bench;
pub mod cluster;
pub mod cost;
pub mod demo;
pub mod served;
