//! The provider directory's bundle, kept beside the ledger and served by
//! `hdx serve` (`GET /directory`, `PUT /directory`). Content-addressed: a
//! bundle is stored only when its SHA-256 is the one the registry authority
//! published on-chain (so the upload needs no credential, and nobody can
//! plant another), under `<ledger>/directory/<sha256 hex>.json`, written to
//! a unique temporary file and renamed into place (a crash leaves the old
//! bundle or the new one, never half of one). Readers check the hash again
//! against the chain (`hdx_sdk::directory::VerifiedDirectory`): this store is
//! a convenience, not a trust anchor.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use hdx_sdk::client::HdxClient;
use hdx_sdk::directory::{bundle_sha256, VerifiedDirectory};
use serde_json::json;

use crate::node::{Location, Node};

/// The largest bundle accepted (about 4,000 organisations).
pub const MAX_BUNDLE_BYTES: usize = 4 << 20;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a bundle with this hash lives in a ledger directory.
pub fn path(ledger: &Path, sha256: &[u8; 32]) -> PathBuf {
    ledger
        .join("directory")
        .join(format!("{}.json", hex(sha256)))
}

/// Stores `bytes` under their hash in the ledger directory (atomically).
pub fn store(ledger: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let target = path(ledger, &bundle_sha256(bytes));
    let dir = target.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, &target)?;
    Ok(target)
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    // Unique per write: the process, and a counter within it (create_new
    // refuses a name that exists all the same).
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = dir.join(format!(".upload-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&name)?;
    Ok((name, file))
}

/// The bundle with this hash, if the ledger directory holds it.
pub fn load(ledger: &Path, sha256: &[u8; 32]) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path(ledger, sha256)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Bundles of an in-memory node (gone with the process).
#[derive(Clone, Default)]
pub(crate) struct MemoryBundles(Arc<Mutex<HashMap<[u8; 32], Vec<u8>>>>);

#[derive(Clone)]
pub(crate) struct DirectoryState {
    pub node: Arc<Node>,
    pub memory: MemoryBundles,
}

impl DirectoryState {
    fn bundle(&self, sha: &[u8; 32]) -> std::io::Result<Option<Vec<u8>>> {
        match self.node.location() {
            Location::Memory => Ok(self
                .memory
                .0
                .lock()
                .expect("not poisoned")
                .get(sha)
                .cloned()),
            Location::Dir(dir) => load(dir, sha),
        }
    }
}

/// The published directory as this node holds it, checked against the chain
/// (blocking): what the FHIR export names providers by.
pub(crate) fn verified(state: &DirectoryState, client: &HdxClient) -> VerifiedDirectory {
    match client.published_directory() {
        Ok(Some(published)) => {
            let bundle = match state.bundle(&published.bundle_sha256) {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err("this node holds no bundle with the published hash".to_string()),
                Err(e) => Err(e.to_string()),
            };
            VerifiedDirectory::new(Some(&published), bundle.as_deref().map_err(Clone::clone))
        }
        Ok(None) => VerifiedDirectory::none(),
        Err(e) => VerifiedDirectory::new(None, Err(e.to_string())),
    }
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/fhir+json")],
        json!({
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}],
        })
        .to_string(),
    )
        .into_response()
}

async fn published(node: Arc<Node>) -> Result<Option<[u8; 32]>, Response> {
    tokio::task::spawn_blocking(move || HdxClient::shared(node).published_directory())
        .await
        .map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                e.to_string(),
            )
        })?
        .map(|d| d.map(|d| d.bundle_sha256))
        .map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                e.to_string(),
            )
        })
}

/// `GET /directory`: the bundle whose hash is the published one.
pub(crate) async fn get_directory(State(state): State<DirectoryState>) -> Response {
    let sha = match published(state.node.clone()).await {
        Ok(Some(sha)) => sha,
        Ok(None) => {
            return refuse(
                StatusCode::NOT_FOUND,
                "not-found",
                "no provider directory is published on this ledger".into(),
            )
        }
        Err(r) => return r,
    };
    let found = state.bundle(&sha);
    match found {
        Ok(Some(bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/fhir+json"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => refuse(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "the published directory {} has not been uploaded here (PUT /directory)",
                hex(&sha)
            ),
        ),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            e.to_string(),
        ),
    }
}

/// `PUT /directory`: stores a bundle whose SHA-256 is the published one.
pub(crate) async fn put_directory(State(state): State<DirectoryState>, body: Bytes) -> Response {
    if body.len() > MAX_BUNDLE_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-costly",
            format!("a directory bundle is at most {MAX_BUNDLE_BYTES} bytes"),
        );
    }
    let sha = bundle_sha256(&body);
    match published(state.node.clone()).await {
        Ok(Some(on_chain)) if on_chain == sha => {}
        Ok(Some(on_chain)) => {
            return refuse(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "the bundle's SHA-256 is {}, the published directory's is {}: publish it first (hdx registry publish-directory)",
                    hex(&sha),
                    hex(&on_chain)
                ),
            )
        }
        Ok(None) => {
            return refuse(
                StatusCode::CONFLICT,
                "conflict",
                "no provider directory is published on this ledger: publish it first (hdx registry publish-directory)".into(),
            )
        }
        Err(r) => return r,
    }
    let stored = match state.node.location() {
        Location::Memory => {
            state
                .memory
                .0
                .lock()
                .expect("not poisoned")
                .insert(sha, body.to_vec());
            Ok(())
        }
        Location::Dir(dir) => {
            let (dir, body) = (dir.clone(), body.clone());
            tokio::task::spawn_blocking(move || store(&dir, &body).map(|_| ()))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
        }
    };
    match stored {
        Ok(()) => (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "sha256": hex(&sha), "bytes": body.len() }).to_string(),
        )
            .into_response(),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "exception",
            e.to_string(),
        ),
    }
}
