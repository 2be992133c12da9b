//! The front door over HTTP (axum). FHIR answers are `application/fhir+json`;
//! every error is an OperationOutcome (a token refusal at `/token` is the
//! OAuth error JSON, 401, with its reason). Chain reads, transactions and
//! gateway calls run on tokio's blocking pool.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use data_encoding::BASE64;
use hdx_sdk::codes::Category;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::resources::{self, Problem};
use crate::smart::Grant;
use crate::FrontDoor;

const FHIR_JSON: &str = "application/fhir+json";

fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn fhir(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))],
        body.to_string(),
    )
        .into_response()
}

fn problem(p: &Problem) -> Response {
    let mut response = fhir(
        StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &p.outcome(),
    );
    if p.status == 401 {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"hdx\", error=\"invalid_token\""),
        );
    }
    if let Some(entry) = p.entry {
        response.headers_mut().insert(
            hdx_sdk::gateway::ENTRY_HEADER,
            HeaderValue::from_str(&entry.to_string()).expect("digits"),
        );
    }
    response
}

/// The grant for `scope`, or why not.
fn authorized(door: &FrontDoor, headers: &HeaderMap, scope: &str) -> Result<Grant, Problem> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    door.smart
        .authorize(auth, scope, wall_now())
        .map_err(|r| match r.status {
            401 => Problem::login(r.reason),
            _ => Problem::forbidden("InsufficientScope", r.reason),
        })
}

/// Runs `f` on the blocking pool; a panic there is a 500 OperationOutcome.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(Problem {
            status: 500,
            code: "exception",
            name: None,
            message: format!("the request failed: {e}"),
            entry: None,
        })
    })
}

/// Search parameters: only `allowed` (and `_format`), each at most once
/// unless `repeatable`; anything else is named and refused.
fn params(
    pairs: &[(String, String)],
    allowed: &[&str],
    repeatable: &[&str],
) -> Result<HashMap<String, Vec<String>>, Problem> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        if k == "_format" {
            continue;
        }
        if !allowed.contains(&k.as_str()) {
            return Err(Problem::invalid(format!(
                "search parameter {k:?} is not supported here (supported: {})",
                allowed.join(", ")
            )));
        }
        let values = out.entry(k.clone()).or_default();
        if !values.is_empty() && !repeatable.contains(&k.as_str()) {
            return Err(Problem::invalid(format!("{k} is given more than once")));
        }
        values.push(v.clone());
    }
    Ok(out)
}

/// The `patient` parameter: a patient id, or `Patient/<id>`.
fn patient_param(p: &HashMap<String, Vec<String>>) -> Result<Pubkey, Problem> {
    let text = p
        .get("patient")
        .and_then(|v| v.first())
        .ok_or_else(|| Problem::invalid("give the patient: ?patient=<patient id>"))?;
    let id = text.strip_prefix("Patient/").unwrap_or(text);
    id.parse()
        .map_err(|_| Problem::invalid(format!("patient {text:?} is not a patient id")))
}

/// A `category` token: `<name>` or `urn:hdx:category|<name>`.
fn category_param(p: &HashMap<String, Vec<String>>) -> Result<Option<Category>, Problem> {
    let Some(text) = p.get("category").and_then(|v| v.first()) else {
        return Ok(None);
    };
    let code = match text.split_once('|') {
        Some((system, code)) if system == resources::CATEGORY_SYSTEM || system.is_empty() => code,
        Some((system, _)) => {
            return Err(Problem::invalid(format!(
                "category system {system:?} is not {}",
                resources::CATEGORY_SYSTEM
            )))
        }
        None => text.as_str(),
    };
    Category::ALL
        .iter()
        .copied()
        .find(|c| c.name() == code)
        .map(Some)
        .ok_or_else(|| Problem::invalid(format!("category {code:?} is not a category")))
}

/// `date` parameters (`[eq|ge|gt|le|lt]YYYY-MM-DD`, UTC days) as [since, until).
fn date_params(p: &HashMap<String, Vec<String>>) -> Result<(Option<i64>, Option<i64>), Problem> {
    const DAY: i64 = 86_400;
    let (mut since, mut until): (Option<i64>, Option<i64>) = (None, None);
    for text in p.get("date").into_iter().flatten() {
        let (prefix, day) = match text.get(..2) {
            Some(pre @ ("eq" | "ge" | "gt" | "le" | "lt")) => (pre, &text[2..]),
            _ => ("eq", text.as_str()),
        };
        let bad = || Problem::invalid(format!("date {text:?} is not [eq|ge|gt|le|lt]YYYY-MM-DD"));
        let start = parse_day(day).ok_or_else(bad)?;
        let (s, u) = match prefix {
            "eq" => (Some(start), Some(start + DAY)),
            "ge" => (Some(start), None),
            "gt" => (Some(start + DAY), None),
            "le" => (None, Some(start + DAY)),
            _ => (None, Some(start)),
        };
        if let Some(s) = s {
            since = Some(since.map_or(s, |x| x.max(s)));
        }
        if let Some(u) = u {
            until = Some(until.map_or(u, |x| x.min(u)));
        }
    }
    Ok((since, until))
}

/// `YYYY-MM-DD` (exactly that shape) as unix seconds at 00:00 UTC, a real day only.
fn parse_day(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(
        day.signed_duration_since(chrono::NaiveDate::default())
            .num_days()
            * 86_400,
    )
}

async fn smart_configuration(State(door): State<Arc<FrontDoor>>) -> Response {
    Json(resources::smart_configuration(door.smart.token_url())).into_response()
}

async fn metadata(State(door): State<Arc<FrontDoor>>) -> Response {
    fhir(
        StatusCode::OK,
        &resources::capability_statement(&door.base, door.smart.token_url()),
    )
}

async fn token(
    State(door): State<Arc<FrontDoor>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let no_store = [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ];
    match door.smart.token(&form, wall_now()) {
        Ok(t) => (StatusCode::OK, no_store, Json(t)).into_response(),
        Err(r) => (
            StatusCode::UNAUTHORIZED,
            no_store,
            Json(json!({ "error": r.code, "error_description": r.reason })),
        )
            .into_response(),
    }
}

async fn document_references(
    State(door): State<Arc<FrontDoor>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let grant = match authorized(&door, &headers, "system/DocumentReference.rs") {
        Ok(g) => g,
        Err(p) => return problem(&p),
    };
    let d = door.clone();
    let found = blocking(move || {
        let p = params(&pairs, &["patient", "category"], &[])?;
        let patient = patient_param(&p)?;
        let category = category_param(&p)?;
        let listed = d.documents(&patient, category, grant.purpose)?;
        Ok(listed
            .iter()
            .map(|l| resources::document_reference(&patient, &l.record))
            .collect::<Vec<_>>())
    })
    .await;
    match found {
        Ok(docs) => fhir(StatusCode::OK, &resources::searchset(&door.base, docs)),
        Err(p) => problem(&p),
    }
}

async fn binary(
    State(door): State<Arc<FrontDoor>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let grant = match authorized(&door, &headers, "system/Binary.r") {
        Ok(g) => g,
        Err(p) => return problem(&p),
    };
    let (patient, index) = match resources::parse_record_id(&id) {
        Ok(x) => x,
        Err(p) => return problem(&p),
    };
    let d = door.clone();
    let released = match blocking(move || d.read(&patient, index, grant.purpose)).await {
        Ok(r) => r,
        Err(p) => return problem(&p),
    };
    let wants_resource = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("fhir+json") || a.contains("application/json"));
    let mut response = if wants_resource {
        fhir(
            StatusCode::OK,
            &json!({
                "resourceType": "Binary",
                "id": id,
                "contentType": "application/octet-stream",
                "data": BASE64.encode(&released.data),
            }),
        )
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )],
            released.data,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        hdx_sdk::gateway::ENTRY_HEADER,
        HeaderValue::from_str(&released.entry.to_string()).expect("digits"),
    );
    h.insert(
        hdx_sdk::gateway::CONTENT_HASH_HEADER,
        HeaderValue::from_str(&hdx_sdk::gateway::hex(&released.content_hash)).expect("hex"),
    );
    response
}

async fn exported(
    door: Arc<FrontDoor>,
    headers: HeaderMap,
    pairs: Vec<(String, String)>,
    kind: &'static str,
) -> Response {
    let scope = match kind {
        "Consent" => "system/Consent.rs",
        _ => "system/AuditEvent.rs",
    };
    if let Err(p) = authorized(&door, &headers, scope) {
        return problem(&p);
    }
    let d = door.clone();
    let found = blocking(move || {
        let (allowed, repeatable): (&[&str], &[&str]) = match kind {
            "Consent" => (&["patient"], &[]),
            _ => (&["patient", "date"], &["date"]),
        };
        let p = params(&pairs, allowed, repeatable)?;
        let patient = patient_param(&p)?;
        let (since, until) = date_params(&p)?;
        d.exported(&patient, kind, since, until)
    })
    .await;
    match found {
        Ok(resources) => fhir(StatusCode::OK, &resources::searchset(&door.base, resources)),
        Err(p) => problem(&p),
    }
}

async fn consents(
    State(door): State<Arc<FrontDoor>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    exported(door, headers, pairs, "Consent").await
}

async fn audit_events(
    State(door): State<Arc<FrontDoor>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    exported(door, headers, pairs, "AuditEvent").await
}

async fn fallback(uri: axum::http::Uri) -> Response {
    problem(&Problem::not_found(format!(
        "nothing is served at {:?}: see /metadata",
        uri.path().chars().take(120).collect::<String>()
    )))
}

pub fn router(door: Arc<FrontDoor>) -> Router {
    Router::new()
        .route("/.well-known/smart-configuration", get(smart_configuration))
        .route("/metadata", get(metadata))
        .route("/token", post(token))
        .route("/DocumentReference", get(document_references))
        .route("/Binary/{id}", get(binary))
        .route("/Consent", get(consents))
        .route("/AuditEvent", get(audit_events))
        .fallback(fallback)
        .with_state(door)
}

/// A running front door.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Stops accepting requests and waits for the ones in flight.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Starts serving on a listener already bound (its address is in the token URL).
pub async fn start(
    door: Arc<FrontDoor>,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<Server> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(door);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Server {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_real_days() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2026-12-05"), Some(1_796_428_800));
        assert_eq!(parse_day("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-12-05",
            "2026-12-32",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
