//! # hdx — client SDK for the HealthDataExchange program
//!
//! Everything here reuses the program crate's own types (accounts, seeds,
//! instruction data, codes): no layout is written twice.
//!
//! - [`pda`]: every address the program uses.
//! - [`ix`]: one builder per instruction.
//! - [`accounts`]: decoding, and the `getProgramAccounts` memcmp offsets.
//! - [`audit`]: reading a patient's log and verifying its hash chain.
//! - [`events`]: decoding events from transaction logs (SBF and native).
//! - [`errors`]: program errors by name; denials as typed errors.
//! - [`transport`]: the one interface every cluster (embedded or RPC) implements.
//! - [`embedded`]: the program running natively in-process (tests, demo, cost report).
//! - [`ledger`]: the embedded ledger kept in a directory (the CLI's default cluster).
//! - [`rpc`]: an RPC cluster.
//! - [`export`]: the audit trail as JSON, CSV and FHIR R4.
//! - [`client`]: high-level operations over a transport.

pub mod accounts;
pub mod audit;
pub mod client;
pub mod cluster;
pub mod cost;
pub mod demo;
pub mod embedded;
pub mod errors;
pub mod events;
pub mod export;
pub mod ix;
pub mod ledger;
pub mod pda;
pub mod rpc;
pub mod transport;

pub use health_data_exchange as program;
pub use health_data_exchange::codes;
pub use health_data_exchange::ID as PROGRAM_ID;
