//! The data gateway's protocol and its client.
//!
//! The gateway (crate `hdx-gateway`, `hdx gateway`) holds records' data
//! encrypted and releases it only against a fresh granted log entry. Every
//! request is signed with Solana's off-chain message format (version 0,
//! restricted ASCII, so a Ledger can sign it) over one line naming the
//! method, the path, what the request is about, the time and a nonce:
//!
//! ```text
//! hdx-gateway-v2 PUT /v1/blobs/<patient>/<cid> record=<index> category=<name> sha256=<hex> time=<unix> nonce=<hex>
//! hdx-gateway-v2 GET /v1/records/<patient>/<index> entry=<sequence> time=<unix> nonce=<hex>
//! hdx-gateway-v2 POST /v1/studies/<study>/query sha256=<hex of the body> time=<unix> nonce=<hex>
//! ```
//!
//! An upload names the record it is for (`?record=<index>&category=<name>`):
//! the gateway binds the blob to that record, category and uploader, and
//! releases it only through that record (see `hdx-gateway`). The signer,
//! signature (base58), time and nonce travel in the `X-Hdx-*` headers; the
//! gateway rebuilds the line from the request and verifies it. Errors come
//! back as JSON `{"error": Name, "message": ...}`.

use anchor_lang::prelude::Pubkey;
use serde::{Deserialize, Serialize};
use solana_offchain_message::OffchainMessage;
use solana_sdk::signature::{Signature, Signer};

use crate::cid;
use crate::codes::Category;

pub const PROTOCOL: &str = "hdx-gateway-v2";
pub const SIGNER_HEADER: &str = "x-hdx-signer";
pub const SIGNATURE_HEADER: &str = "x-hdx-signature";
pub const TIME_HEADER: &str = "x-hdx-time";
pub const NONCE_HEADER: &str = "x-hdx-nonce";
/// On a release: the log entry it redeemed, and the content hash it checked.
pub const ENTRY_HEADER: &str = "x-hdx-entry";
pub const CONTENT_HASH_HEADER: &str = "x-hdx-content-hash";

pub fn upload_path(patient: &Pubkey, cid: &str) -> String {
    format!("/v1/blobs/{patient}/{cid}")
}

pub fn release_path(patient: &Pubkey, index: u32) -> String {
    format!("/v1/records/{patient}/{index}")
}

/// The query of an upload: the record it is for and that record's category.
pub fn upload_query(record: u32, category: Category) -> String {
    format!("record={record}&category={}", category.name())
}

/// The line an upload signs.
pub fn upload_line(
    path: &str,
    record: u32,
    category: Category,
    sha256: &[u8; 32],
    time: i64,
    nonce: &str,
) -> String {
    format!(
        "{PROTOCOL} PUT {path} record={record} category={} sha256={} time={time} nonce={nonce}",
        category.name(),
        hex(sha256)
    )
}

/// The line a release request signs.
pub fn release_line(path: &str, entry: u64, time: i64, nonce: &str) -> String {
    format!("{PROTOCOL} GET {path} entry={entry} time={time} nonce={nonce}")
}

fn offchain(line: &str) -> Result<OffchainMessage, GatewayError> {
    OffchainMessage::new(0, line.as_bytes())
        .map_err(|e| GatewayError::Request(format!("not an off-chain message: {e:?}")))
}

/// Signs `line` as a version-0 off-chain message.
pub fn sign(signer: &dyn Signer, line: &str) -> Result<Signature, GatewayError> {
    offchain(line)?
        .sign(signer)
        .map_err(|e| GatewayError::Request(format!("cannot sign: {e:?}")))
}

/// Whether `signature` is `signer`'s over `line` as a version-0 off-chain message.
pub fn verify(signer: &Pubkey, signature: &Signature, line: &str) -> bool {
    offchain(line)
        .ok()
        .and_then(|m| m.verify(signer, signature).ok())
        .unwrap_or(false)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 16 random bytes, hex: a request's nonce.
pub fn nonce() -> Result<String, GatewayError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| GatewayError::Request(format!("no randomness for a nonce: {e}")))?;
    Ok(hex(&bytes))
}

/// The path a study's queries are posted to.
pub fn study_query_path(study: &Pubkey) -> String {
    format!("/v1/studies/{study}/query")
}

/// The line a study query signs: the SHA-256 of its body, the JSON of a
/// [`StudyQuery`] exactly as sent (the study's log records the same hash).
pub fn study_query_line(path: &str, sha256: &[u8; 32], time: i64, nonce: &str) -> String {
    format!(
        "{PROTOCOL} POST {path} sha256={} time={time} nonce={nonce}",
        hex(sha256)
    )
}

/// The most bins a histogram may ask for.
pub const MAX_BINS: usize = 64;

/// What a sponsor asks: how many cohort members have an Observation with
/// `code`, or how their values fall into the bins `edges` make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyQuery {
    /// The Observation's code (`Observation.code.coding[].code`, e.g. LOINC `8867-4`).
    pub code: String,
    /// `count` or `histogram`.
    pub kind: QueryKind,
    /// For a histogram: increasing bin edges; bin i is `[edges[i], edges[i+1])`.
    #[serde(default)]
    pub edges: Vec<f64>,
    /// The epsilon this answer spends, in milli-epsilon.
    pub epsilon_milli: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryKind {
    Count,
    Histogram,
}

/// A query that cannot be answered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query names no Observation code (1 to 64 characters)")]
    Code,
    #[error("a histogram needs 2 to {} increasing, finite bin edges", MAX_BINS + 1)]
    Edges,
    #[error("a count takes no bin edges")]
    CountWithEdges,
    #[error("epsilon must be 1 to 10000 milli-epsilon")]
    Epsilon,
}

impl StudyQuery {
    pub fn check(&self) -> Result<(), QueryError> {
        if self.code.is_empty() || self.code.len() > 64 || self.code.chars().any(char::is_control) {
            return Err(QueryError::Code);
        }
        match self.kind {
            QueryKind::Count if !self.edges.is_empty() => return Err(QueryError::CountWithEdges),
            QueryKind::Count => {}
            QueryKind::Histogram => {
                if self.edges.len() < 2
                    || self.edges.len() > MAX_BINS + 1
                    || self.edges.iter().any(|e| !e.is_finite())
                    || self.edges.windows(2).any(|w| w[0] >= w[1])
                {
                    return Err(QueryError::Edges);
                }
            }
        }
        if !(1..=crate::codes::MAX_STUDY_EPSILON_MILLI).contains(&self.epsilon_milli) {
            return Err(QueryError::Epsilon);
        }
        Ok(())
    }

    /// The counts' length: 1 for a count, one per bin for a histogram.
    pub fn bins(&self) -> usize {
        match self.kind {
            QueryKind::Count => 1,
            QueryKind::Histogram => self.edges.len() - 1,
        }
    }
}

/// What the gateway answers a study query with: the noisy counts and the
/// release recorded on-chain before them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyAnswer {
    pub study: String,
    /// The release's index in the study's log.
    pub release: u32,
    /// The `record_release` transaction.
    pub signature: String,
    /// Hex SHA-256 of the query's body: the release's query hash.
    pub query_hash: String,
    pub code: String,
    pub kind: QueryKind,
    pub edges: Vec<f64>,
    pub epsilon_milli: u64,
    /// The study's spend after this answer, in milli-epsilon.
    pub epsilon_spent_milli: u64,
    pub cohort_size: u32,
    /// Hex `sha256("hdx-cohort-v1" || study || members' ids, sorted)`.
    pub cohort_hash: String,
    pub cohort_slot: u64,
    /// One count per bin (one for a count), with the noise.
    pub counts: Vec<i64>,
}

/// What the gateway answers an upload with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub patient: String,
    /// The record the blob is bound to.
    pub record: u32,
    /// That record's category (name).
    pub category: String,
    /// Who uploaded it: the patient's id, or the writing provider's id.
    pub uploader: String,
    /// Whether this upload made the binding (an identical one before it did not).
    pub created: bool,
    pub cid: String,
    /// `ipfs://<cid>`: the record's locator.
    pub locator: String,
    /// Hex SHA-256 of the content: the record's content hash.
    pub content_hash: String,
    pub bytes: u64,
}

/// A refusal: the HTTP status and the gateway's JSON body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("the gateway refused ({status} {error}): {message}")]
pub struct Refused {
    #[serde(default)]
    pub status: u16,
    pub error: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The gateway refused the request, by name.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// No answer (worth trying again).
    #[error("cannot reach the gateway at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// The request could not be made (signing, randomness).
    #[error("{0}")]
    Request(String),
    /// An answer no gateway gives: a receipt that does not decode, data
    /// that is not the record's content.
    #[error("{0}")]
    Answer(String),
}

/// The gateway's HTTP client, as a patient's tool or a provider's system uses it.
pub struct GatewayClient {
    base: String,
    http: reqwest::blocking::Client,
}

impl GatewayClient {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .expect("an HTTP client"),
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: reqwest::Error) -> GatewayError {
        GatewayError::Unreachable {
            url: self.base.clone(),
            detail: e.to_string(),
        }
    }

    fn refused(response: reqwest::blocking::Response) -> GatewayError {
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        let mut refused: Refused = serde_json::from_str(&text).unwrap_or(Refused {
            status,
            error: "NotTheGateway".into(),
            message: format!("an answer that is not the gateway's: {text:.200}"),
        });
        refused.status = status;
        refused.into()
    }

    /// Sends `request` signed over `line` (the four signature headers),
    /// and returns the answer when it is a success, else the refusal.
    fn send_signed(
        &self,
        request: reqwest::blocking::RequestBuilder,
        signer: &dyn Signer,
        line: &str,
        time: i64,
        nonce: &str,
    ) -> Result<reqwest::blocking::Response, GatewayError> {
        let signature = sign(signer, line)?;
        let response = request
            .header(SIGNER_HEADER, signer.pubkey().to_string())
            .header(SIGNATURE_HEADER, signature.to_string())
            .header(TIME_HEADER, time.to_string())
            .header(NONCE_HEADER, nonce)
            .send()
            .map_err(|e| self.unreachable(e))?;
        if !response.status().is_success() {
            return Err(Self::refused(response));
        }
        Ok(response)
    }

    /// A success's JSON body as `T`, or an error naming what it should have been.
    fn answer<T: serde::de::DeserializeOwned>(
        &self,
        response: reqwest::blocking::Response,
        what: &str,
    ) -> Result<T, GatewayError> {
        let text = response.text().map_err(|e| self.unreachable(e))?;
        serde_json::from_str(&text).map_err(|e| {
            GatewayError::Answer(format!(
                "the gateway's answer is not {what}: {e}: {text:.200}"
            ))
        })
    }

    /// Uploads `data` for record `record` (of `category`) of `patient` (by
    /// id), signed at cluster time `time` by the patient's current authority
    /// (a record the patient adds) or a provider's current key (a record it
    /// writes under a write consent).
    pub fn upload(
        &self,
        signer: &dyn Signer,
        patient: &Pubkey,
        record: u32,
        category: Category,
        data: &[u8],
        time: i64,
    ) -> Result<Uploaded, GatewayError> {
        use sha2::{Digest, Sha256};
        let hash: [u8; 32] = Sha256::digest(data).into();
        let path = upload_path(patient, &cid::of_hash(&hash));
        let nonce = nonce()?;
        let line = upload_line(&path, record, category, &hash, time, &nonce);
        let query = upload_query(record, category);
        let request = self
            .http
            .put(format!("{}{path}?{query}", self.base))
            .body(data.to_vec());
        let response = self.send_signed(request, signer, &line, time, &nonce)?;
        self.answer(response, "an upload receipt")
    }

    /// Asks the study at `study` `query`, signed by the sponsor's current
    /// key at cluster time `time`. The query is checked here first.
    pub fn query_study(
        &self,
        signer: &dyn Signer,
        study: &Pubkey,
        query: &StudyQuery,
        time: i64,
    ) -> Result<StudyAnswer, GatewayError> {
        use sha2::{Digest, Sha256};
        query
            .check()
            .map_err(|e| GatewayError::Request(e.to_string()))?;
        let body = serde_json::to_vec(query)
            .map_err(|e| GatewayError::Request(format!("the query does not encode: {e}")))?;
        let hash: [u8; 32] = Sha256::digest(&body).into();
        let path = study_query_path(study);
        let nonce = nonce()?;
        let line = study_query_line(&path, &hash, time, &nonce);
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        let response = self.send_signed(request, signer, &line, time, &nonce)?;
        self.answer(response, "a study answer")
    }

    /// Asks for record `index` of `patient` (by id), redeeming log entry
    /// `entry`, signed by the provider's current key at cluster time `time`.
    /// Returns the data, checked against `content_hash`.
    pub fn fetch(
        &self,
        signer: &dyn Signer,
        patient: &Pubkey,
        index: u32,
        entry: u64,
        content_hash: &[u8; 32],
        time: i64,
    ) -> Result<Vec<u8>, GatewayError> {
        use sha2::{Digest, Sha256};
        let path = release_path(patient, index);
        let nonce = nonce()?;
        let line = release_line(&path, entry, time, &nonce);
        let request = self.http.get(format!("{}{path}?entry={entry}", self.base));
        let response = self.send_signed(request, signer, &line, time, &nonce)?;
        let data = Vec::from(response.bytes().map_err(|e| self.unreachable(e))?);
        let got: [u8; 32] = Sha256::digest(&data).into();
        if &got != content_hash {
            return Err(GatewayError::Answer(format!(
                "the gateway released data whose SHA-256 {} is not the record's content hash {}",
                hex(&got),
                hex(content_hash)
            )));
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::signature::Keypair;

    #[test]
    fn a_signed_line_verifies_for_its_signer_and_line_only() {
        let k = Keypair::new();
        let path = release_path(&Pubkey::new_unique(), 3);
        let line = release_line(&path, 7, 1_767_225_600, "00ff");
        assert!(
            line.bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "restricted ASCII"
        );
        let sig = sign(&k, &line).unwrap();
        assert!(verify(&k.pubkey(), &sig, &line));
        assert!(!verify(&Keypair::new().pubkey(), &sig, &line));
        assert!(!verify(
            &k.pubkey(),
            &sig,
            &release_line(&path, 8, 1_767_225_600, "00ff")
        ));
    }
}
