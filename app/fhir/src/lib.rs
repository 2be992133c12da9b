//! # hdx-fhir — the EHR's front door
//!
//! A FHIR R4 server run at a provider, holding the provider's key as `hdx
//! fetch` does, so that its EHR reads patients' records with the calls it
//! already makes (SMART Backend Services sign-in, then FHIR REST) and no
//! Solana code. Every read is the program's decision:
//!
//! - `GET /DocumentReference?patient=ID[&category=]` lists the records the
//!   patient's consent would grant this provider now, for the token's
//!   purpose, decided by the program's own gate (`gate::decide`) on the
//!   accounts as they are, read-only: nothing is logged, and nothing is
//!   shown that is not public on-chain.
//! - `GET /Binary/{patient}.{index}` sends the access transaction (the gate
//!   decides and the patient's log records it, granted or denied); granted,
//!   the data comes from the gateway against that log entry and is checked
//!   against the on-chain hash; denied, a 403 OperationOutcome names the
//!   outcome and the log entry.
//! - `GET /Consent?patient=` and `GET /AuditEvent?patient=[&date=]` are the
//!   SDK's export (`hdx audit log --format fhir`) of this provider's part of
//!   the patient's log, as searchset Bundles.
//!
//! Sign-in, tokens and the replay store are in [`smart`]; the HTTP layer in
//! [`server`].

pub mod ehr;
pub mod resources;
pub mod server;
pub mod smart;

use anchor_lang::prelude::Pubkey;
use hdx_sdk::client::{ClientError, HdxClient};
use hdx_sdk::codes::{Action, Category, Purpose};
use hdx_sdk::export::{write_fhir, Scope};
use hdx_sdk::gateway::{GatewayClient, GatewayError};
use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};

use resources::Problem;
pub use smart::Smart;

/// The front door: the chain, the provider's key, its gateway and its sign-in.
pub struct FrontDoor {
    pub chain: HdxClient,
    pub signer: Keypair,
    /// The provider's id (its first key).
    pub provider: Pubkey,
    pub gateway: GatewayClient,
    pub smart: Smart,
    /// The base URL resources are addressed by.
    pub base: String,
}

/// One record the consent would grant now.
#[derive(Debug, Clone)]
pub struct Listed {
    pub record: hdx_sdk::program::state::Record,
}

/// A released record's data.
#[derive(Debug)]
pub struct Released {
    pub data: Vec<u8>,
    pub entry: u64,
    pub content_hash: [u8; 32],
}

fn cluster(e: ClientError) -> Problem {
    match e {
        ClientError::NotFound(what) => Problem::not_found(format!("{what}: not on this cluster")),
        e => Problem::unavailable(format!("cannot read the cluster: {e}")),
    }
}

impl FrontDoor {
    /// The cluster's clock (what the program decides by).
    fn cluster_now(&self) -> Result<i64, Problem> {
        self.chain
            .transport
            .unix_time()
            .map_err(|e| Problem::unavailable(format!("cannot read the cluster's clock: {e}")))
    }

    /// The provider's hard checks as the program makes them (its key is the
    /// current one, the program is not paused, the provider is verified at
    /// the cluster's time): the reason a read would be refused outright.
    fn provider_ready(&self, now: i64) -> Result<(), Problem> {
        let provider = self.chain.provider(&self.provider).map_err(cluster)?;
        if provider.signer != self.signer.pubkey() {
            return Err(Problem::forbidden(
                "NotProviderKey",
                "this server's key is no longer the provider's current key (it was rotated)",
            ));
        }
        if self.chain.registry().map_err(cluster)?.paused {
            return Err(Problem::forbidden("ProgramPaused", "the program is paused"));
        }
        provider.require_verified(now).map_err(|e| {
            Problem::forbidden(
                "ProviderNotVerified",
                format!("the provider may not read now: {e}"),
            )
        })
    }

    /// The patient's records the consent grants this provider now for
    /// `purpose` (read-only: the program's gate on the accounts as they are).
    pub fn documents(
        &self,
        patient: &Pubkey,
        category: Option<Category>,
        purpose: Purpose,
    ) -> Result<Vec<Listed>, Problem> {
        self.chain.patient(patient).map_err(cluster)?;
        let now = self.cluster_now()?;
        self.provider_ready(now)?;
        let consent = self
            .chain
            .consent(patient, &self.provider)
            .map_err(cluster)?;
        let records = self.chain.records(patient).map_err(cluster)?;
        Ok(records
            .into_iter()
            .filter(|r| category.is_none_or(|c| r.category == c))
            .filter(|r| {
                let request = hdx_sdk::program::gate::Request {
                    category: r.category,
                    action: Action::Read,
                    purpose,
                    record_day: r.clinical_day,
                    now,
                };
                hdx_sdk::program::gate::decide(consent.as_ref(), &request)
                    == hdx_sdk::codes::Outcome::Granted
            })
            .map(|record| Listed { record })
            .collect())
    }

    /// Reads record `index` of `patient` for `purpose`: the access on-chain
    /// (logged, granted or denied), then the gateway's release against the
    /// granted entry, hash checked.
    pub fn read(
        &self,
        patient: &Pubkey,
        index: u32,
        purpose: Purpose,
    ) -> Result<Released, Problem> {
        let record = self.chain.record(patient, index).map_err(cluster)?;
        if hdx_sdk::cid::hash_of_locator(&String::from_utf8_lossy(&record.locator))
            != Some(Ok(record.content_hash))
        {
            return Err(Problem::not_found(format!(
                "record {index} of patient {patient} is not held by a gateway (its locator is not the ipfs:// CID of its content hash)"
            )));
        }
        let granted =
            match self
                .chain
                .access_record(&self.signer, &self.provider, patient, index, purpose)
            {
                Ok(g) => g,
                Err(ClientError::Denied(d)) => {
                    return Err(Problem::denied(d.reason.name(), d.sequence));
                }
                Err(ClientError::Program { name, message, .. }) => {
                    return Err(Problem::forbidden(&name, message));
                }
                Err(e) => return Err(cluster(e)),
            };
        let now = self.cluster_now()?;
        let data = self
            .gateway
            .fetch(
                &self.signer,
                patient,
                index,
                granted.sequence,
                &granted.content_hash,
                now,
            )
            .map_err(|e| match e {
                GatewayError::Refused(r) => Problem::gateway(format!(
                    "the gateway refused the release of log entry {}: {r}",
                    granted.sequence
                )),
                e => Problem::gateway(format!(
                    "the gateway did not release log entry {}: {e}",
                    granted.sequence
                )),
            })?;
        Ok(Released {
            data,
            entry: granted.sequence,
            content_hash: granted.content_hash,
        })
    }

    /// The SDK's export of this provider's part of the patient's log: its
    /// resources of `kind` (`Consent` or `AuditEvent`), the events within `scope`'s times.
    pub fn exported(
        &self,
        patient: &Pubkey,
        kind: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<Vec<Value>, Problem> {
        self.chain.patient(patient).map_err(cluster)?;
        let now = self.cluster_now()?;
        let scope = Scope {
            since,
            until,
            provider: Some(self.provider),
        };
        let directory = hdx_sdk::directory::VerifiedDirectory::none();
        let bytes = write_fhir(
            &self.chain,
            patient,
            &scope,
            now,
            &directory,
            Vec::new(),
            &mut |_, _| {},
        )
        .map_err(|e| Problem::unavailable(format!("cannot export the log: {e}")))?;
        let bundle: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Problem::unavailable(format!("the export is not JSON: {e}")))?;
        Ok(bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["resource"].clone())
            .filter(|r| r["resourceType"] == kind)
            .collect())
    }
}
