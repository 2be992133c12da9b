//! The gateway over HTTP (axum). Every answer that is not data is JSON; a
//! refusal is `{"error": Name, "message": ...}` with the reason's status,
//! and is written to the trail. Chain reads and the store run on tokio's
//! blocking pool, never on the async workers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hdx_sdk::gateway as protocol;
use serde_json::json;
use tokio::sync::oneshot;
use tower_http::cors::{Any, CorsLayer};

use crate::store::TrailRow;
use crate::{Gateway, Reason, Refusal, Refused, Request};

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| v.to_str().map(str::to_string).unwrap_or_default())
}

fn request(method: &Method, uri: &Uri, headers: &HeaderMap) -> Request {
    Request {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        signer: header(headers, protocol::SIGNER_HEADER),
        signature: header(headers, protocol::SIGNATURE_HEADER),
        time: header(headers, protocol::TIME_HEADER),
        nonce: header(headers, protocol::NONCE_HEADER),
    }
}

fn refused(refusal: &Refusal) -> Response {
    let status =
        StatusCode::from_u16(refusal.reason.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({ "error": refusal.reason.name(), "message": refusal.message })),
    )
        .into_response()
}

/// Writes the refusal to the trail (on the blocking pool) and answers with it.
async fn refused_and_logged(
    gw: Arc<Gateway>,
    req: Request,
    (refusal, row): (Refusal, TrailRow),
) -> Response {
    let answer = refused(&refusal);
    let _ = tokio::task::spawn_blocking(move || gw.log(&req, &refusal, row)).await;
    answer
}

/// Runs `f` on the blocking pool; a panic there is an internal refusal.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Refused> + Send + 'static,
) -> Result<T, Refused> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(Box::new((
            Refusal::new(Reason::Internal, format!("the request failed: {e}")),
            TrailRow::default(),
        )))
    })
}

async fn upload(
    State(gw): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let req = request(&method, &uri, &headers);
    let limit = gw.config().max_upload;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let body = match declared {
        Some(n) if n > limit as u64 => Err(n),
        _ => axum::body::to_bytes(body, limit).await.map_err(|_| 0),
    };
    let body = match body {
        Ok(b) => b,
        Err(declared) => {
            let refusal = Refusal::new(
                Reason::TooLarge,
                if declared > 0 {
                    format!("the upload is {declared} bytes, the limit is {limit}")
                } else {
                    format!("the upload is over the limit of {limit} bytes (or was cut short)")
                },
            );
            let g = gw.clone();
            let r = req.clone();
            let row = TrailRow {
                bytes: (declared > 0).then_some(declared),
                ..TrailRow::default()
            };
            let _ = tokio::task::spawn_blocking(move || g.log(&r, &refusal, row)).await;
            return refused(&Refusal::new(
                Reason::TooLarge,
                format!("the upload is over the limit of {limit} bytes"),
            ));
        }
    };
    let g = gw.clone();
    let r = req.clone();
    match blocking(move || g.upload(&r, &body)).await {
        // 201 for a new binding; 200 for an upload that changed nothing (idempotent).
        Ok(uploaded) => {
            let status = if uploaded.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(uploaded)).into_response()
        }
        Err(boxed) => refused_and_logged(gw, req, *boxed).await,
    }
}

async fn release(
    State(gw): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = request(&method, &uri, &headers);
    let g = gw.clone();
    let r = req.clone();
    match blocking(move || g.release(&r)).await {
        Ok(release) => {
            let mut response = Response::new(Body::from(release.data));
            let h = response.headers_mut();
            h.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            h.insert(
                protocol::ENTRY_HEADER,
                HeaderValue::from_str(&release.entry.to_string()).expect("digits"),
            );
            h.insert(
                protocol::CONTENT_HASH_HEADER,
                HeaderValue::from_str(&protocol::hex(&release.content_hash)).expect("hex"),
            );
            response
        }
        Err(boxed) => refused_and_logged(gw, req, *boxed).await,
    }
}

async fn query_study(
    State(gw): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let req = request(&method, &uri, &headers);
    let limit = crate::study::MAX_QUERY_BYTES;
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        let refusal = Refusal::new(
            Reason::TooLarge,
            format!("the query is over the limit of {limit} bytes (or was cut short)"),
        );
        return refused_and_logged(gw, req, (refusal, TrailRow::default())).await;
    };
    let g = gw.clone();
    let r = req.clone();
    match blocking(move || g.query_study(&r, &body)).await {
        Ok(answer) => Json(answer).into_response(),
        Err(boxed) => refused_and_logged(gw, req, *boxed).await,
    }
}

async fn health(State(gw): State<Arc<Gateway>>) -> Response {
    Json(json!({
        "protocol": protocol::PROTOCOL,
        "window_secs": gw.config().window_secs,
        "max_upload": gw.config().max_upload,
    }))
    .into_response()
}

async fn fallback(
    State(gw): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = request(&method, &uri, &headers);
    let refusal = Refusal::new(
        Reason::NoSuchEndpoint,
        format!(
            "no endpoint {method} {:?}: the gateway serves PUT /v1/blobs/{{patient}}/{{cid}}?record=N&category=NAME, GET /v1/records/{{patient}}/{{index}}?entry=N and POST /v1/studies/{{study}}/query",
            uri.path().chars().take(120).collect::<String>()
        ),
    );
    refused_and_logged(gw, req, (refusal, TrailRow::default())).await
}

/// Browsers may call the gateway from any page (the patient's page uploads
/// from the origin `hdx serve` serves it on): every request is
/// authenticated by its signature headers, never by cookies, so a cross-origin
/// caller gains nothing a script outside a browser does not have.
fn cors() -> CorsLayer {
    let signed = [
        protocol::SIGNER_HEADER,
        protocol::SIGNATURE_HEADER,
        protocol::TIME_HEADER,
        protocol::NONCE_HEADER,
    ];
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers(
            signed
                .iter()
                .map(|h| HeaderName::from_static(h))
                .chain([axum::http::header::CONTENT_TYPE])
                .collect::<Vec<_>>(),
        )
        .expose_headers([
            HeaderName::from_static(protocol::ENTRY_HEADER),
            HeaderName::from_static(protocol::CONTENT_HASH_HEADER),
        ])
        .max_age(std::time::Duration::from_secs(86_400))
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/blobs/{patient}/{cid}", put(upload).fallback(fallback))
        .route(
            "/v1/records/{patient}/{index}",
            get(release).fallback(fallback),
        )
        .route(
            "/v1/studies/{study}/query",
            post(query_study).fallback(fallback),
        )
        .route("/v1/health", get(health))
        .fallback(fallback)
        .layer(cors())
        .with_state(gateway)
}

/// A running gateway.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

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

/// Starts serving `gateway` on `bind`.
pub async fn start(gateway: Arc<Gateway>, bind: SocketAddr) -> anyhow::Result<Server> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(gateway);
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
