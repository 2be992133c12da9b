//! # hdx-sdk — client SDK for the HealthDataExchange program
//!
//! What a provider's or an auditor's system links: no test runtime, no CLI
//! parser, no IDL builder, no files read at run time. Everything here reuses
//! the program crate's own types (accounts, seeds, instruction data, codes):
//! no layout is written twice.
//!
//! - [`pda`]: every address the program uses.
//! - [`ix`]: one builder per instruction (accounts by name).
//! - [`accounts`]: decoding, and the `getProgramAccounts` memcmp offsets.
//! - [`audit`]: a patient's log and its hash chain, verified independently.
//! - [`events`]: events from transaction logs.
//! - [`errors`]: program errors by name; denials as typed errors.
//! - [`transport`]: the one interface every cluster implements.
//! - [`rpc`]: a cluster over JSON-RPC (devnet, mainnet, `hdx serve`).
//! - [`export`]: the audit trail as JSON, CSV and FHIR R4.
//! - [`cid`]: content identifiers of record data (`ipfs://` locators).
//! - [`credential`]: NPIs, credential commitments, licence attestations.
//! - [`directory`]: the provider directory, checked against the chain.
//! - [`gateway`]: the data gateway's signed-request protocol and client.
//! - [`history`]: a patient's consent history, from the program's events.
//! - [`client`]: high-level operations over a transport.

pub mod accounts;
pub mod audit;
pub mod cid;
pub mod client;
pub mod credential;
pub mod directory;
pub mod errors;
pub mod events;
pub mod export;
pub mod gateway;
pub mod history;
pub mod ix;
pub mod pda;
pub mod rpc;
pub mod study;
pub mod transport;

pub use health_data_exchange as program;
pub use health_data_exchange::codes;
pub use health_data_exchange::ID as PROGRAM_ID;
