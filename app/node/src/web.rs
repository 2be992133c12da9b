//! The patient's page (`app/web`, bundled into `app/web/dist` and embedded
//! here) and the FHIR export it downloads, served by `hdx serve` beside its
//! JSON-RPC: `GET /` is the page (a WebSocket upgrade there is PubSub),
//! `GET /export/fhir?patient=ID` the patient's FHIR R4 bundle, written by
//! the SDK's exporter (`hdx_sdk::export::write_fhir`, what `hdx audit log
//! --format fhir` prints) and streamed as it is read.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hdx_sdk::client::{ClientError, HdxClient};
use hdx_sdk::export::{write_fhir, Scope};
use serde::Deserialize;
use serde_json::json;
use solana_sdk::pubkey::Pubkey;
use tokio::sync::mpsc;

/// The page, as `app/web/build.mjs` bundled it (committed; CI fails on drift).
pub const INDEX_HTML: &str = include_str!("../../web/dist/index.html");
pub const APP_JS: &str = include_str!("../../web/dist/app.js");
pub const APP_CSS: &str = include_str!("../../web/dist/app.css");

/// The page's scripts and styles come from this origin only; it talks to any
/// cluster the patient names (the cluster URL is a setting), and shows
/// wallets' icons (data: URLs).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src *; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

pub(crate) async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub(crate) async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// `?patient=ID[&since=UNIX][&until=UNIX][&provider=ID]`
#[derive(Deserialize)]
pub(crate) struct ExportQuery {
    patient: Option<String>,
    since: Option<String>,
    until: Option<String>,
    provider: Option<String>,
}

fn refuse(status: StatusCode, error: &str, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": error, "message": message }).to_string(),
    )
        .into_response()
}

/// An optional query parameter parsed as `T`; a bad one is named with what it should be.
fn param<T: std::str::FromStr>(
    name: &str,
    value: Option<&str>,
    should_be: &str,
) -> Result<Option<T>, String> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| format!("{name} {v:?} is not {should_be}"))
        })
        .transpose()
}

const KEY: &str = "a base58 public key";
const UNIX: &str = "a time in unix seconds";

impl ExportQuery {
    /// The patient and what to keep, or what is wrong with the request.
    fn parse(&self) -> Result<(Pubkey, Scope), String> {
        let patient = param("patient", self.patient.as_deref(), KEY)?
            .ok_or("name the patient: /export/fhir?patient=<patient id>")?;
        let scope = Scope {
            since: param("since", self.since.as_deref(), UNIX)?,
            until: param("until", self.until.as_deref(), UNIX)?,
            provider: param("provider", self.provider.as_deref(), KEY)?,
        };
        Ok((patient, scope))
    }
}

/// Hands what the exporter writes to the response body, a chunk at a time;
/// a client that went away ends the export (a broken pipe).
struct ChunkWriter {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

pub(crate) async fn export_fhir(
    State(bundles): State<crate::directory::DirectoryState>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let (patient, scope) = match q.parse() {
        Ok(parsed) => parsed,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, "BadRequest", message),
    };
    let node = bundles.node.clone();
    // A named refusal for an unknown patient, before the first byte.
    let check = {
        let node = node.clone();
        tokio::task::spawn_blocking(move || HdxClient::shared(node).patient(&patient)).await
    };
    match check {
        Ok(Ok(_)) => {}
        Ok(Err(ClientError::NotFound(what))) => {
            return refuse(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("{what}: no such patient on this ledger"),
            )
        }
        Ok(Err(e)) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal", e.to_string()),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal", e.to_string()),
    }
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let now = node.now();
        let client = HdxClient::shared(node);
        let directory = crate::directory::verified(&bundles, &client);
        let out = ChunkWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        // write_fhir ends with the bundle's finish(), which flushes the last chunk.
        let written = write_fhir(
            &client,
            &patient,
            &scope,
            now,
            &directory,
            out,
            &mut |_, _| {},
        );
        if let Err(e) = written {
            // The status is sent; an error in the body's place breaks the download.
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let mut response =
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"hdx-{patient}-fhir.json\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
