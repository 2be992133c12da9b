//! `hdx serve`: the node as a Solana JSON-RPC 2.0 server over HTTP, with
//! PubSub over WebSocket on the next port (and on the same port), as a
//! validator serves them. Request, response and error types come from the
//! agave client crates and from `jsonrpc-core` (what the validator's own RPC
//! server is built on), so stock clients see the shapes, codes and messages
//! they expect.
//!
//! Methods: the ones the Rust `solana-rpc-client`, npm `@solana/kit` and
//! `@anchor-lang/core` (web3.js 1.x) use in a normal flow — see [`METHODS`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State, WebSocketUpgrade};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use jsonrpc_core::{
    Call, Error, MethodCall, Output, Params, Request as JsonRequest, Response as JsonResponse,
    Version,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_types::config::{
    RpcAccountInfoConfig, RpcContextConfig, RpcEncodingConfigWrapper, RpcProgramAccountsConfig,
    RpcRequestAirdropConfig, RpcSendTransactionConfig, RpcSignatureStatusConfig,
    RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig, RpcTransactionConfig,
};
use solana_rpc_client_types::filter::RpcFilterType;
use solana_rpc_client_types::request::{
    MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT, MAX_GET_PROGRAM_ACCOUNT_FILTERS,
    MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS, MAX_MULTIPLE_ACCOUNTS,
};
use solana_rpc_client_types::response::{
    OptionalContext, RpcBlockhash, RpcConfirmedTransactionStatusWithSignature, RpcKeyedAccount,
    RpcResponseContext, RpcSimulateTransactionResult, RpcVersionInfo,
};
use solana_sdk::hash::Hash;
use solana_sdk::message::VersionedMessage;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{TransactionError, TransactionVersion, VersionedTransaction};
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedConfirmedTransactionWithStatusMeta,
    EncodedTransaction, EncodedTransactionWithStatusMeta, TransactionBinaryEncoding,
    TransactionConfirmationStatus, TransactionStatus, UiCompiledInstruction, UiMessage,
    UiRawMessage, UiReturnDataEncoding, UiTransaction, UiTransactionEncoding,
    UiTransactionReturnData, UiTransactionStatusMeta,
};
use tokio::sync::oneshot;
use tower_http::cors::{Any, CorsLayer};

use crate::node::{Node, NodeError};
use crate::runtime::{Rejected, LAMPORTS_PER_SIGNATURE, PACKET_DATA_SIZE};

/// The validator's limit on a request body (agave `rpc_service`): larger requests get HTTP 413.
pub const MAX_REQUEST_BODY_SIZE: usize = 50 * (1 << 10);
/// Encoded transaction limits (agave `rpc`): the packet size, encoded.
const MAX_BASE58_SIZE: usize = 1683;
const MAX_BASE64_SIZE: usize = 1644;
/// The agave release whose RPC this node answers as.
pub const SOLANA_CORE_VERSION: &str = "3.1.12";
/// Slots per epoch (the node's epoch schedule, without warmup).
const SLOTS_PER_EPOCH: u64 = 432_000;

/// Every method this node answers.
pub const METHODS: &[&str] = &[
    "getAccountInfo",
    "getBalance",
    "getBlockHeight",
    "getBlockTime",
    "getEpochInfo",
    "getFeeForMessage",
    "getGenesisHash",
    "getHealth",
    "getLatestBlockhash",
    "getMinimumBalanceForRentExemption",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getSignatureStatuses",
    "getSignaturesForAddress",
    "getSlot",
    "getTransaction",
    "getVersion",
    "isBlockhashValid",
    "requestAirdrop",
    "sendTransaction",
    "simulateTransaction",
];

/// What a handler returns: a JSON value or a JSON-RPC error.
use crate::encoding::{internal, parse_pubkey, ui_account, Answer};

#[derive(Clone)]
pub(crate) struct Served {
    pub node: Arc<Node>,
    /// The directory bundles of an in-memory node.
    pub bundles: crate::directory::MemoryBundles,
}

impl axum::extract::FromRef<Served> for crate::directory::DirectoryState {
    fn from_ref(s: &Served) -> Self {
        crate::directory::DirectoryState {
            node: s.node.clone(),
            memory: s.bundles.clone(),
        }
    }
}

/// Handlers that need only the node (the page's routes) take it alone.
impl axum::extract::FromRef<Served> for Arc<Node> {
    fn from_ref(served: &Served) -> Self {
        served.node.clone()
    }
}

/// A running server: its addresses, and a handle to stop it.
pub struct Server {
    pub http: SocketAddr,
    pub ws: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// The HTTP URL clients use (`-u`).
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// The PubSub URL (the HTTP port + 1).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws)
    }

    /// Stops serving (open connections are dropped).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Binds the HTTP port and the next one (PubSub); with port 0, finds a free pair.
async fn bind_pair(
    bind: SocketAddr,
) -> anyhow::Result<(tokio::net::TcpListener, tokio::net::TcpListener)> {
    let tries = if bind.port() == 0 { 50 } else { 1 };
    let mut last = None;
    for _ in 0..tries {
        let http = tokio::net::TcpListener::bind(bind).await?;
        let port = http.local_addr()?.port();
        let Some(ws_port) = port.checked_add(1) else {
            continue;
        };
        match tokio::net::TcpListener::bind(SocketAddr::new(bind.ip(), ws_port)).await {
            Ok(ws) => return Ok((http, ws)),
            Err(e) => last = Some(e),
        }
    }
    Err(anyhow::anyhow!(
        "cannot bind the PubSub port next to {bind}: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// Starts serving `node` on `bind` (HTTP) and the next port (PubSub).
pub async fn start(node: Arc<Node>, bind: SocketAddr) -> anyhow::Result<Server> {
    let (http, ws) = bind_pair(bind).await?;
    let (http_addr, ws_addr) = (http.local_addr()?, ws.local_addr()?);
    let state = Served {
        node,
        bundles: Default::default(),
    };
    let app = router(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        let (tx_a, rx_a) = tokio::sync::watch::channel(false);
        let a = axum::serve(http, app.clone()).with_graceful_shutdown({
            let mut rx = rx_a.clone();
            async move {
                let _ = rx.changed().await;
            }
        });
        let b = axum::serve(ws, app).with_graceful_shutdown({
            let mut rx = rx_a;
            async move {
                let _ = rx.changed().await;
            }
        });
        tokio::spawn(async move {
            shutdown.await;
            let _ = tx_a.send(true);
        });
        let _ = tokio::join!(a, b);
    });
    Ok(Server {
        http: http_addr,
        ws: ws_addr,
        stop: Some(stop),
        task: Some(task),
    })
}

fn router(state: Served) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(86_400));
    Router::new()
        .route("/", get(root_get).post(rpc_post))
        .route("/health", get(|| async { "ok" }))
        .route("/app.js", get(crate::web::app_js))
        .route("/app.css", get(crate::web::app_css))
        .route("/export/fhir", get(crate::web::export_fhir))
        .route(
            "/directory",
            get(crate::directory::get_directory)
                .put(crate::directory::put_directory)
                .layer(DefaultBodyLimit::max(
                    crate::directory::MAX_BUNDLE_BYTES + 1,
                )),
        )
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_SIZE))
        .layer(cors)
        .with_state(state)
}

/// GET /: a WebSocket upgrade (PubSub), or the patient's page for a browser.
async fn root_get(
    State(state): State<Served>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    match ws {
        Ok(ws) => ws
            .on_upgrade(move |socket| crate::pubsub::connection(state.node, socket))
            .into_response(),
        Err(_) => crate::web::index(),
    }
}

async fn rpc_post(State(state): State<Served>, body: Bytes) -> Response {
    let response = match serde_json::from_slice::<JsonRequest>(&body) {
        Err(_) => Some(JsonResponse::from(Error::parse_error(), Some(Version::V2))),
        Ok(JsonRequest::Single(call)) => handle_call(&state, call).await.map(JsonResponse::Single),
        Ok(JsonRequest::Batch(calls)) if calls.is_empty() => Some(JsonResponse::from(
            Error::invalid_request(),
            Some(Version::V2),
        )),
        Ok(JsonRequest::Batch(calls)) => {
            let mut outputs = Vec::with_capacity(calls.len());
            for call in calls {
                if let Some(o) = handle_call(&state, call).await {
                    outputs.push(o);
                }
            }
            (!outputs.is_empty()).then_some(JsonResponse::Batch(outputs))
        }
    };
    match response {
        Some(r) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&r).unwrap_or_default(),
        )
            .into_response(),
        // Only notifications: nothing to answer.
        None => StatusCode::OK.into_response(),
    }
}

async fn handle_call(state: &Served, call: Call) -> Option<Output> {
    match call {
        Call::MethodCall(MethodCall {
            jsonrpc,
            method,
            params,
            id,
        }) => Some(Output::from(
            dispatch(state, &method, params).await,
            id,
            jsonrpc,
        )),
        Call::Notification(_) => None,
        Call::Invalid { id } => Some(Output::invalid_request(id, Some(Version::V2))),
    }
}

/// Parses params as the validator does (`Invalid params: ...` on failure).
fn parse<T: DeserializeOwned>(params: Params) -> Result<T, Error> {
    params.parse()
}

fn to_value<T: serde::Serialize>(v: T) -> Answer {
    serde_json::to_value(v).map_err(|_| Error::internal_error())
}

fn context<T: serde::Serialize>(slot: u64, value: T) -> Answer {
    to_value(json!({ "context": RpcResponseContext::new(slot), "value": value }))
}

fn parse_signature(s: &str) -> Result<Signature, Error> {
    s.parse()
        .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))
}

fn stopped(e: NodeError) -> Error {
    internal(e)
}

/// The commitment levels the node accepts. Each reads the same state here:
/// a transaction's state is served only once the store has committed it
/// durably, and the node has no forks, so what is processed is confirmed
/// and finalized.
pub const COMMITMENT_LEVELS: [&str; 3] = ["processed", "confirmed", "finalized"];

/// Refuses a `commitment` (or `preflightCommitment`) that names no level:
/// the validator's config types flatten it into an `Option`, which would
/// drop an unknown level silently.
fn check_commitment(params: &Params) -> Result<(), Error> {
    let Params::Array(items) = params else {
        return Ok(());
    };
    for map in items.iter().filter_map(Value::as_object) {
        for key in ["commitment", "preflightCommitment"] {
            match map.get(key) {
                None => {}
                Some(Value::String(level)) if COMMITMENT_LEVELS.contains(&level.as_str()) => {}
                Some(other) => {
                    return Err(Error::invalid_params(format!(
                    "Invalid param: {key} {other} is not a commitment level: this node accepts {}",
                    COMMITMENT_LEVELS.join(", ")
                )))
                }
            }
        }
    }
    Ok(())
}

async fn dispatch(state: &Served, method: &str, params: Params) -> Answer {
    check_commitment(&params)?;
    let node = &state.node;
    match method {
        "getHealth" => to_value("ok"),
        "getVersion" => to_value(RpcVersionInfo {
            solana_core: SOLANA_CORE_VERSION.to_string(),
            feature_set: None,
        }),
        "getGenesisHash" => to_value(&node.meta().genesis_hash),
        "getSlot" => {
            let _: Option<(Option<RpcContextConfig>,)> = parse_optional(params)?;
            to_value(node.bank().slot())
        }
        "getBlockHeight" => {
            let _: Option<(Option<RpcContextConfig>,)> = parse_optional(params)?;
            let (_, height) = node.heights_async().await.map_err(stopped)?;
            to_value(height)
        }
        "getBlockTime" => {
            // The time the slot's transaction ran at (the node's clock, as
            // its Clock sysvar said); a slot that ran none was skipped.
            let (slot,): (u64,) = parse(params)?;
            match node.block_time_async(slot).await.map_err(internal)? {
                Some(time) => to_value(time),
                None if slot <= node.bank().slot() => {
                    Err(RpcCustomError::SlotSkipped { slot }.into())
                }
                None => Err(RpcCustomError::BlockNotAvailable { slot }.into()),
            }
        }
        "getEpochInfo" => {
            let _: Option<(Option<RpcContextConfig>,)> = parse_optional(params)?;
            let (_, height) = node.heights_async().await.map_err(stopped)?;
            let slot = node.bank().slot();
            to_value(json!({
                "absoluteSlot": slot,
                "blockHeight": height,
                "epoch": slot / SLOTS_PER_EPOCH,
                "slotIndex": slot % SLOTS_PER_EPOCH,
                "slotsInEpoch": SLOTS_PER_EPOCH,
                "transactionCount": null,
            }))
        }
        "getLatestBlockhash" => {
            let _: Option<(Option<RpcContextConfig>,)> = parse_optional(params)?;
            let (hash, last_valid) = node.latest_blockhash_async().await.map_err(stopped)?;
            context(
                node.bank().slot(),
                RpcBlockhash {
                    blockhash: hash.to_string(),
                    last_valid_block_height: last_valid,
                },
            )
        }
        "isBlockhashValid" => {
            let (hash, _): (String, Option<RpcContextConfig>) = parse_with_optional(params)?;
            let hash: Hash = hash
                .parse()
                .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))?;
            let valid = node.is_blockhash_valid_async(hash).await.map_err(stopped)?;
            context(node.bank().slot(), valid)
        }
        "getFeeForMessage" => {
            let (data, _): (String, Option<RpcContextConfig>) = parse_with_optional(params)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&data)
                .map_err(|e| Error::invalid_params(format!("invalid base64 encoding: {e:?}")))?;
            let message: VersionedMessage = bincode::deserialize(&bytes).map_err(|e| {
                Error::invalid_params(format!("failed to deserialize message: {e}"))
            })?;
            let valid = node
                .is_blockhash_valid_async(*message.recent_blockhash())
                .await
                .map_err(stopped)?;
            let fee = valid.then(|| {
                LAMPORTS_PER_SIGNATURE * u64::from(message.header().num_required_signatures)
            });
            context(node.bank().slot(), fee)
        }
        "getMinimumBalanceForRentExemption" => {
            let (len, _): (usize, Option<Value>) = parse_with_optional(params)?;
            to_value(node.minimum_balance(len))
        }
        "getBalance" => {
            let (key, _): (String, Option<RpcContextConfig>) = parse_with_optional(params)?;
            let key = parse_pubkey(&key)?;
            let lamports = node.get_account(&key).map_or(0, |a| a.lamports);
            context(node.bank().slot(), lamports)
        }
        "getAccountInfo" => {
            let (key, config): (String, Option<RpcAccountInfoConfig>) =
                parse_with_optional(params)?;
            let key = parse_pubkey(&key)?;
            let config = config.unwrap_or_default();
            let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
            let slot = node.bank().slot();
            let account = node
                .get_account(&key)
                .map(|a| ui_account(&a, encoding, config.data_slice))
                .transpose()?;
            context(slot, account)
        }
        "getMultipleAccounts" => {
            let (keys, config): (Vec<String>, Option<RpcAccountInfoConfig>) =
                parse_with_optional(params)?;
            if keys.len() > MAX_MULTIPLE_ACCOUNTS {
                return Err(Error::invalid_params(format!(
                    "Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"
                )));
            }
            let config = config.unwrap_or_default();
            let encoding = config.encoding.unwrap_or(UiAccountEncoding::Base64);
            let slot = node.bank().slot();
            let accounts = keys
                .iter()
                .map(|k| {
                    let key = parse_pubkey(k)?;
                    node.get_account(&key)
                        .map(|a| ui_account(&a, encoding, config.data_slice))
                        .transpose()
                })
                .collect::<Result<Vec<_>, Error>>()?;
            context(slot, accounts)
        }
        "getProgramAccounts" => {
            let (program, config): (String, Option<RpcProgramAccountsConfig>) =
                parse_with_optional(params)?;
            let program = parse_pubkey(&program)?;
            let config = config.unwrap_or_default();
            let filters = config.filters.unwrap_or_default();
            if filters.len() > MAX_GET_PROGRAM_ACCOUNT_FILTERS {
                return Err(Error::invalid_params(format!(
                    "Too many filters provided; max {MAX_GET_PROGRAM_ACCOUNT_FILTERS}"
                )));
            }
            for f in &filters {
                f.verify()
                    .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))?;
            }
            let encoding = config
                .account_config
                .encoding
                .unwrap_or(UiAccountEncoding::Binary);
            // The accounts and the slot answered with them are of one bank.
            let (slot, accounts) = node.get_program_accounts_at(&program, |data| {
                filters.iter().all(|f| match f {
                    RpcFilterType::DataSize(size) => data.len() as u64 == *size,
                    RpcFilterType::Memcmp(m) => m.bytes_match(data),
                    RpcFilterType::TokenAccountState => false,
                })
            });
            let keyed = accounts
                .iter()
                .map(|(k, a)| {
                    Ok(RpcKeyedAccount {
                        pubkey: k.to_string(),
                        account: ui_account(a, encoding, config.account_config.data_slice)?,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            if config.with_context.unwrap_or(false) {
                to_value(OptionalContext::Context(
                    solana_rpc_client_types::response::Response {
                        context: RpcResponseContext::new(slot),
                        value: keyed,
                    },
                ))
            } else {
                to_value(OptionalContext::NoContext(keyed))
            }
        }
        "sendTransaction" => {
            let (data, config): (String, Option<RpcSendTransactionConfig>) =
                parse_with_optional(params)?;
            send_transaction(node, data, config.unwrap_or_default()).await
        }
        "simulateTransaction" => {
            let (data, config): (String, Option<RpcSimulateTransactionConfig>) =
                parse_with_optional(params)?;
            simulate_transaction(node, data, config.unwrap_or_default()).await
        }
        "getSignatureStatuses" => {
            let (signatures, _): (Vec<String>, Option<RpcSignatureStatusConfig>) =
                parse_with_optional(params)?;
            if signatures.len() > MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS {
                return Err(Error::invalid_params(format!(
                    "Too many inputs provided; max {MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS}"
                )));
            }
            let signatures = signatures
                .iter()
                .map(|s| parse_signature(s))
                .collect::<Result<Vec<_>, Error>>()?;
            let statuses = node
                .statuses_async(signatures)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|s| {
                    s.map(|(slot, err)| TransactionStatus {
                        slot,
                        confirmations: None,
                        status: err.clone().map_or(Ok(()), Err),
                        err,
                        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                    })
                })
                .collect::<Vec<_>>();
            context(node.bank().slot(), statuses)
        }
        "getTransaction" => {
            let (signature, config): (
                String,
                Option<RpcEncodingConfigWrapper<RpcTransactionConfig>>,
            ) = parse_with_optional(params)?;
            let signature = parse_signature(&signature)?;
            let config = config.map(|c| c.convert_to_current()).unwrap_or_default();
            get_transaction(node, signature, config).await
        }
        "getSignaturesForAddress" => {
            let (address, config): (String, Option<RpcSignaturesForAddressConfig>) =
                parse_with_optional(params)?;
            let address = parse_pubkey(&address)?;
            let config = config.unwrap_or_default();
            let limit = config
                .limit
                .unwrap_or(MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT);
            if limit == 0 || limit > MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT {
                return Err(Error::invalid_params(format!(
                    "Invalid limit; max {MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT}"
                )));
            }
            let before = config.before.as_deref().map(parse_signature).transpose()?;
            let until = config.until.as_deref().map(parse_signature).transpose()?;
            let found = node
                .signatures_for_address_async(address, before, until, limit)
                .await
                .map_err(|e| Error::invalid_params(format!("{e:#}")))?;
            to_value(
                found
                    .into_iter()
                    .map(|s| RpcConfirmedTransactionStatusWithSignature {
                        signature: s.signature.to_string(),
                        slot: s.slot,
                        err: s.err.map(Into::into),
                        memo: None,
                        block_time: Some(s.block_time),
                        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                    })
                    .collect::<Vec<_>>(),
            )
        }
        "requestAirdrop" => {
            let (key, lamports, _): (String, u64, Option<RpcRequestAirdropConfig>) =
                parse_two_with_optional(params)?;
            let key = parse_pubkey(&key)?;
            match node.airdrop_async(key, lamports).await {
                Ok(e) => to_value(e.signature.to_string()),
                Err(e) => Err(internal(format!("airdrop request failed: {e}"))),
            }
        }
        _ => Err(Error::method_not_found()),
    }
}

/// `[]`, `[config]` or nothing.
fn parse_optional<T: DeserializeOwned>(params: Params) -> Result<Option<T>, Error> {
    match params {
        Params::None => Ok(None),
        Params::Array(a) if a.is_empty() => Ok(None),
        p => parse(p).map(Some),
    }
}

/// `[x]` or `[x, config]`.
fn parse_with_optional<A: DeserializeOwned, B: DeserializeOwned>(
    params: Params,
) -> Result<(A, Option<B>), Error> {
    match params {
        Params::Array(a) if a.len() == 1 => {
            let (x,): (A,) = parse(Params::Array(a))?;
            Ok((x, None))
        }
        p => parse(p),
    }
}

/// `[x, y]` or `[x, y, config]`.
fn parse_two_with_optional<A: DeserializeOwned, B: DeserializeOwned, C: DeserializeOwned>(
    params: Params,
) -> Result<(A, B, Option<C>), Error> {
    match params {
        Params::Array(a) if a.len() == 2 => {
            let (x, y): (A, B) = parse(Params::Array(a))?;
            Ok((x, y, None))
        }
        p => parse(p),
    }
}

/// Decodes a wire transaction as the validator does, with its limits and messages.
fn decode_transaction(
    data: &str,
    encoding: UiTransactionEncoding,
) -> Result<VersionedTransaction, Error> {
    let binary = encoding.into_binary_encoding().ok_or_else(|| {
        Error::invalid_params(format!(
            "unsupported encoding: {encoding}. Supported encodings: base58, base64"
        ))
    })?;
    let type_name = std::any::type_name::<VersionedTransaction>();
    let wire = match binary {
        TransactionBinaryEncoding::Base58 => {
            if data.len() > MAX_BASE58_SIZE {
                return Err(Error::invalid_params(format!(
                    "base58 encoded {type_name} too large: {} bytes (max: encoded/raw {MAX_BASE58_SIZE}/{PACKET_DATA_SIZE})",
                    data.len()
                )));
            }
            bs58::decode(data)
                .into_vec()
                .map_err(|e| Error::invalid_params(format!("invalid base58 encoding: {e:?}")))?
        }
        TransactionBinaryEncoding::Base64 => {
            if data.len() > MAX_BASE64_SIZE {
                return Err(Error::invalid_params(format!(
                    "base64 encoded {type_name} too large: {} bytes (max: encoded/raw {MAX_BASE64_SIZE}/{PACKET_DATA_SIZE})",
                    data.len()
                )));
            }
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| Error::invalid_params(format!("invalid base64 encoding: {e:?}")))?
        }
    };
    if wire.len() > PACKET_DATA_SIZE {
        return Err(Error::invalid_params(format!(
            "decoded {type_name} too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            wire.len()
        )));
    }
    use bincode::Options;
    bincode::options()
        .with_limit(PACKET_DATA_SIZE as u64)
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .deserialize_from(&wire[..])
        .map_err(|e| Error::invalid_params(format!("failed to deserialize {type_name}: {e}")))
}

fn invalid_transaction(err: &TransactionError) -> Error {
    Error::invalid_params(format!("invalid transaction: {err}"))
}

fn return_data(r: Option<(Pubkey, Vec<u8>)>) -> Option<UiTransactionReturnData> {
    r.map(|(program, data)| UiTransactionReturnData {
        program_id: program.to_string(),
        data: (
            base64::engine::general_purpose::STANDARD.encode(data),
            UiReturnDataEncoding::Base64,
        ),
    })
}

fn preflight_failure(
    err: TransactionError,
    logs: Vec<String>,
    units: u64,
    returned: Option<(Pubkey, Vec<u8>)>,
) -> Error {
    RpcCustomError::SendTransactionPreflightFailure {
        message: format!("Transaction simulation failed: {err}"),
        result: RpcSimulateTransactionResult {
            err: Some(err.into()),
            logs: Some(logs),
            accounts: None,
            units_consumed: Some(units),
            loaded_accounts_data_size: None,
            return_data: return_data(returned),
            inner_instructions: None,
            replacement_blockhash: None,
            fee: None,
            pre_balances: None,
            post_balances: None,
            pre_token_balances: None,
            post_token_balances: None,
            loaded_addresses: None,
        },
    }
    .into()
}

async fn send_transaction(node: &Node, data: String, config: RpcSendTransactionConfig) -> Answer {
    let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Base58);
    let tx = decode_transaction(&data, encoding)?;
    let signature = tx
        .signatures
        .first()
        .copied()
        .ok_or_else(|| invalid_transaction(&TransactionError::SanitizeFailure))?;
    match node.process_async(tx, !config.skip_preflight).await {
        Ok(_) => to_value(signature.to_string()),
        Err(NodeError::Rejected(Rejected::Preflight(sim))) => Err(preflight_failure(
            sim.result.err().unwrap_or(TransactionError::AccountInUse),
            sim.logs,
            sim.units_consumed,
            sim.return_data,
        )),
        Err(NodeError::Rejected(Rejected::Invalid(err))) => {
            if config.skip_preflight {
                // As on a cluster: accepted for forwarding, then dropped; it never lands.
                return to_value(signature.to_string());
            }
            match err {
                TransactionError::SignatureFailure => {
                    Err(RpcCustomError::TransactionSignatureVerificationFailure.into())
                }
                TransactionError::SanitizeFailure => Err(invalid_transaction(&err)),
                err => Err(preflight_failure(err, Vec::new(), 0, None)),
            }
        }
        Err(e @ NodeError::Stopped(_)) => Err(stopped(e)),
    }
}

async fn simulate_transaction(
    node: &Node,
    data: String,
    config: RpcSimulateTransactionConfig,
) -> Answer {
    let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Base58);
    let mut tx = decode_transaction(&data, encoding)?;
    if config.sig_verify && config.replace_recent_blockhash {
        return Err(Error::invalid_params(
            "sigVerify may not be used with replaceRecentBlockhash",
        ));
    }
    let mut replacement = None;
    if config.replace_recent_blockhash {
        let (hash, last_valid) = node.latest_blockhash_async().await.map_err(stopped)?;
        tx.message.set_recent_blockhash(hash);
        replacement = Some(RpcBlockhash {
            blockhash: hash.to_string(),
            last_valid_block_height: last_valid,
        });
    }
    let (addresses, account_encoding) = match &config.accounts {
        Some(a) => (
            a.addresses
                .iter()
                .map(|s| parse_pubkey(s))
                .collect::<Result<Vec<_>, Error>>()?,
            a.encoding.unwrap_or(UiAccountEncoding::Base64),
        ),
        None => (Vec::new(), UiAccountEncoding::Base64),
    };
    let slot = node.bank().slot();
    let sim = match node
        .simulate_async(tx, config.sig_verify, addresses)
        .await
        .map_err(stopped)?
    {
        Ok(sim) => sim,
        Err(TransactionError::SignatureFailure) => {
            return Err(RpcCustomError::TransactionSignatureVerificationFailure.into())
        }
        Err(err) => return Err(invalid_transaction(&err)),
    };
    let accounts = config
        .accounts
        .is_some()
        .then(|| {
            sim.accounts
                .iter()
                .map(|a| {
                    a.as_ref()
                        .map(|a| ui_account(a, account_encoding, None))
                        .transpose()
                })
                .collect::<Result<Vec<_>, Error>>()
        })
        .transpose()?;
    context(
        slot,
        RpcSimulateTransactionResult {
            err: sim.result.err().map(Into::into),
            logs: Some(sim.logs),
            accounts,
            units_consumed: Some(sim.units_consumed),
            loaded_accounts_data_size: None,
            return_data: return_data(sim.return_data),
            inner_instructions: None,
            replacement_blockhash: replacement,
            fee: None,
            pre_balances: None,
            post_balances: None,
            pre_token_balances: None,
            post_token_balances: None,
            loaded_addresses: None,
        },
    )
}

async fn get_transaction(
    node: &Node,
    signature: Signature,
    config: RpcTransactionConfig,
) -> Answer {
    let Some(record) = node.transaction_async(signature).await.map_err(internal)? else {
        return to_value(Value::Null);
    };
    let tx = &record.transaction;
    let version = match (&tx.message, config.max_supported_transaction_version) {
        (VersionedMessage::Legacy(_), None) => None,
        (VersionedMessage::Legacy(_), Some(_)) => Some(TransactionVersion::LEGACY),
        (VersionedMessage::V0(_), Some(_)) => Some(TransactionVersion::Number(0)),
        (VersionedMessage::V0(_), None) => {
            return Err(RpcCustomError::UnsupportedTransactionVersion(0).into())
        }
    };
    let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
    let wire = bincode::serialize(tx).map_err(internal)?;
    let transaction = match encoding {
        UiTransactionEncoding::Binary => {
            EncodedTransaction::LegacyBinary(bs58::encode(&wire).into_string())
        }
        UiTransactionEncoding::Base58 => EncodedTransaction::Binary(
            bs58::encode(&wire).into_string(),
            TransactionBinaryEncoding::Base58,
        ),
        UiTransactionEncoding::Base64 => EncodedTransaction::Binary(
            base64::engine::general_purpose::STANDARD.encode(&wire),
            TransactionBinaryEncoding::Base64,
        ),
        UiTransactionEncoding::Json | UiTransactionEncoding::JsonParsed => {
            let m = &tx.message;
            EncodedTransaction::Json(UiTransaction {
                signatures: tx.signatures.iter().map(ToString::to_string).collect(),
                message: UiMessage::Raw(UiRawMessage {
                    header: *m.header(),
                    account_keys: m
                        .static_account_keys()
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    recent_blockhash: m.recent_blockhash().to_string(),
                    instructions: m
                        .instructions()
                        .iter()
                        .map(|i| UiCompiledInstruction::from(i, Some(1)))
                        .collect(),
                    address_table_lookups: m
                        .address_table_lookups()
                        .map(|l| l.iter().map(Into::into).collect()),
                }),
            })
        }
    };
    let err = record.result.clone().err();
    let meta = UiTransactionStatusMeta {
        err: err.clone().map(Into::into),
        status: record.result.clone().map_err(Into::into),
        fee: record.fee,
        pre_balances: record.pre_balances.clone(),
        post_balances: record.post_balances.clone(),
        inner_instructions: OptionSerializer::None,
        log_messages: OptionSerializer::Some(record.logs.clone()),
        pre_token_balances: OptionSerializer::None,
        post_token_balances: OptionSerializer::None,
        rewards: OptionSerializer::None,
        loaded_addresses: OptionSerializer::Skip,
        return_data: match return_data(record.return_data.clone()) {
            Some(r) => OptionSerializer::Some(r),
            None => OptionSerializer::Skip,
        },
        compute_units_consumed: OptionSerializer::Some(record.units_consumed),
        cost_units: OptionSerializer::Skip,
    };
    to_value(EncodedConfirmedTransactionWithStatusMeta {
        slot: record.slot,
        transaction: EncodedTransactionWithStatusMeta {
            transaction,
            meta: Some(meta),
            version,
        },
        block_time: Some(record.block_time),
    })
}
