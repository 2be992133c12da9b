//! # hdx-node — the program running natively on an embedded node
//!
//! A local Solana node for a program that cannot be built for SBF here: the
//! program runs natively in an agave bank ([`runtime`]), one thread owns the
//! bank and the on-disk store ([`node`], [`store`]), and [`rpc`] serves it as
//! a Solana JSON-RPC node (`hdx serve`).
//!
//! - [`embedded`]: an in-memory node (tests, the demo, the cost report).
//! - [`ledger`]: a node kept in a directory (the CLI's default cluster).
//! - [`web`]: the patient's page and its FHIR export, served beside the RPC.

pub mod directory;
pub mod embedded;
mod encoding;
pub mod ledger;
pub mod node;
pub mod pubsub;
pub mod rpc;
pub mod runtime;
pub mod store;
pub mod web;

pub use hdx_sdk::PROGRAM_ID;
