//! PubSub over WebSocket: `signatureSubscribe`, `accountSubscribe`,
//! `slotSubscribe` and `logsSubscribe` (and their unsubscribes), with the
//! validator's notification envelopes. A signature that landed before it
//! was subscribed to is notified at once (clients subscribe after sending,
//! and this node commits before `sendTransaction` returns).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use jsonrpc_core::{Call, Error, MethodCall, Params, Request as JsonRequest, Version};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_rpc_client_types::config::{
    RpcAccountInfoConfig, RpcSignatureSubscribeConfig, RpcTransactionLogsConfig,
    RpcTransactionLogsFilter,
};
use solana_rpc_client_types::response::{
    ProcessedSignatureResult, RpcLogsResponse, RpcResponseContext, RpcSignatureResult, SlotInfo,
};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use tokio::sync::broadcast::error::RecvError;

use crate::encoding::{output, parse_pubkey, ui_account};
use crate::node::{Node, Notification};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

enum Subscription {
    Signature(Signature),
    Account {
        key: Pubkey,
        encoding: UiAccountEncoding,
        slice: Option<UiDataSliceConfig>,
    },
    Slot,
    Logs(Option<Pubkey>),
}

impl Subscription {
    fn kind(&self) -> &'static str {
        match self {
            Subscription::Signature(_) => "signature",
            Subscription::Account { .. } => "account",
            Subscription::Slot => "slot",
            Subscription::Logs(_) => "logs",
        }
    }
}

fn notification(method: &str, subscription: u64, result: Value) -> String {
    json!({
        "jsonrpc": "2.0",
        "method": method,
        "params": { "result": result, "subscription": subscription },
    })
    .to_string()
}

fn parse<T: DeserializeOwned>(params: Params) -> Result<T, Error> {
    params.parse()
}

/// `[x]` or `[x, config]`.
fn first_and_config<A: DeserializeOwned, B: DeserializeOwned>(
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

/// Serves one PubSub connection until the client goes away.
pub async fn connection(node: Arc<Node>, mut socket: WebSocket) {
    let mut events = node.subscribe();
    let mut subs: HashMap<u64, Subscription> = HashMap::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { break };
                let text = match message {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                for reply in handle(&node, &mut subs, &text).await {
                    if socket.send(Message::Text(reply.into())).await.is_err() {
                        return;
                    }
                }
            }
            event = events.recv() => {
                let event = match event {
                    Ok(e) => e,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                };
                for message in notify(&mut subs, &event) {
                    if socket.send(Message::Text(message.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Answers one client message (a request or a batch); may also send
/// notifications due at once (a signature that already landed).
async fn handle(node: &Node, subs: &mut HashMap<u64, Subscription>, text: &str) -> Vec<String> {
    let request = match serde_json::from_str::<JsonRequest>(text) {
        Ok(r) => r,
        Err(_) => {
            return vec![serde_json::to_string(&jsonrpc_core::Response::from(
                Error::parse_error(),
                Some(Version::V2),
            ))
            .unwrap_or_default()]
        }
    };
    let calls = match request {
        JsonRequest::Single(c) => vec![c],
        JsonRequest::Batch(c) => c,
    };
    let mut out = Vec::new();
    for call in calls {
        match call {
            Call::MethodCall(MethodCall {
                method, params, id, ..
            }) => {
                let (answer, immediate) = subscribe(node, subs, &method, params).await;
                out.push(serde_json::to_string(&output(answer, id)).unwrap_or_default());
                out.extend(immediate);
            }
            Call::Notification(_) => {}
            Call::Invalid { id } => out.push(
                serde_json::to_string(&jsonrpc_core::Output::invalid_request(
                    id,
                    Some(Version::V2),
                ))
                .unwrap_or_default(),
            ),
        }
    }
    out
}

async fn subscribe(
    node: &Node,
    subs: &mut HashMap<u64, Subscription>,
    method: &str,
    params: Params,
) -> (Result<Value, Error>, Vec<String>) {
    // A signature subscription first looks the signature up in history.
    let landed = match (method, &params) {
        ("signatureSubscribe", Params::Array(a)) => match a.first().and_then(Value::as_str) {
            Some(s) => match s.parse::<Signature>() {
                Ok(sig) => node.transaction_async(sig).await.ok().flatten(),
                Err(_) => None,
            },
            None => None,
        },
        _ => None,
    };
    let add = |subs: &mut HashMap<u64, Subscription>, s: Subscription| {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        subs.insert(id, s);
        id
    };
    let result = (|| -> Result<(Value, Vec<String>), Error> {
        match method {
            "signatureSubscribe" => {
                let (sig, _): (String, Option<RpcSignatureSubscribeConfig>) =
                    first_and_config(params)?;
                let sig: Signature = sig
                    .parse()
                    .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))?;
                // Already landed? Notify now (and the one-shot subscription ends).
                let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                match landed.filter(|r| r.signature == sig) {
                    Some(record) => {
                        let value =
                            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult {
                                err: record.result.err().map(Into::into),
                            });
                        let note = notification(
                            "signatureNotification",
                            id,
                            json!({ "context": RpcResponseContext::new(record.slot), "value": value }),
                        );
                        Ok((json!(id), vec![note]))
                    }
                    None => {
                        subs.insert(id, Subscription::Signature(sig));
                        Ok((json!(id), Vec::new()))
                    }
                }
            }
            "accountSubscribe" => {
                let (key, config): (String, Option<RpcAccountInfoConfig>) =
                    first_and_config(params)?;
                let key = parse_pubkey(&key)?;
                let config = config.unwrap_or_default();
                let id = add(
                    subs,
                    Subscription::Account {
                        key,
                        encoding: config.encoding.unwrap_or(UiAccountEncoding::Binary),
                        slice: config.data_slice,
                    },
                );
                Ok((json!(id), Vec::new()))
            }
            "slotSubscribe" => Ok((json!(add(subs, Subscription::Slot)), Vec::new())),
            "logsSubscribe" => {
                let (filter, _): (RpcTransactionLogsFilter, Option<RpcTransactionLogsConfig>) =
                    first_and_config(params)?;
                let mention = match filter {
                    RpcTransactionLogsFilter::All | RpcTransactionLogsFilter::AllWithVotes => None,
                    RpcTransactionLogsFilter::Mentions(keys) => {
                        if keys.len() != 1 {
                            return Err(Error::invalid_params(
                                "Invalid Request: Only 1 address supported",
                            ));
                        }
                        Some(parse_pubkey(&keys[0])?)
                    }
                };
                Ok((json!(add(subs, Subscription::Logs(mention))), Vec::new()))
            }
            "signatureUnsubscribe"
            | "accountUnsubscribe"
            | "slotUnsubscribe"
            | "logsUnsubscribe" => {
                let (id,): (u64,) = parse(params)?;
                let kind = method.trim_end_matches("Unsubscribe");
                match subs.get(&id) {
                    Some(s) if s.kind() == kind => {
                        subs.remove(&id);
                        Ok((json!(true), Vec::new()))
                    }
                    _ => Err(Error::invalid_params("Invalid subscription id.")),
                }
            }
            _ => Err(Error::method_not_found()),
        }
    })();
    match result {
        Ok((value, immediate)) => (Ok(value), immediate),
        Err(e) => (Err(e), Vec::new()),
    }
}

/// The notifications an event owes this connection's subscriptions.
fn notify(subs: &mut HashMap<u64, Subscription>, event: &Notification) -> Vec<String> {
    let mut out = Vec::new();
    let mut done = Vec::new();
    match event {
        Notification::Slot { slot, parent } => {
            for (id, s) in subs.iter() {
                if let Subscription::Slot = s {
                    let info = SlotInfo {
                        slot: *slot,
                        parent: *parent,
                        root: *parent,
                    };
                    out.push(notification("slotNotification", *id, json!(info)));
                }
            }
        }
        Notification::Processed(e) => {
            let ctx = RpcResponseContext::new(e.slot);
            for (id, s) in subs.iter() {
                match s {
                    Subscription::Signature(sig) if *sig == e.signature => {
                        let value =
                            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult {
                                err: e.result.clone().err().map(Into::into),
                            });
                        out.push(notification(
                            "signatureNotification",
                            *id,
                            json!({ "context": ctx, "value": value }),
                        ));
                        done.push(*id);
                    }
                    Subscription::Account {
                        key,
                        encoding,
                        slice,
                    } => {
                        if let Some((_, account)) = e.written.iter().find(|(k, _)| k == key) {
                            let value = account
                                .as_ref()
                                .map(|a| ui_account(a, *encoding, *slice))
                                .and_then(Result::ok)
                                .map(|a| json!(a))
                                .unwrap_or_else(|| {
                                    // A closed account: zero lamports, no data, system-owned.
                                    json!(ui_account(
                                        &solana_sdk::account::Account::default(),
                                        *encoding,
                                        None
                                    )
                                    .ok())
                                });
                            out.push(notification(
                                "accountNotification",
                                *id,
                                json!({ "context": ctx, "value": value }),
                            ));
                        }
                    }
                    Subscription::Logs(mention)
                        if mention.is_none_or(|m| e.account_keys.contains(&m)) =>
                    {
                        let value = RpcLogsResponse {
                            signature: e.signature.to_string(),
                            err: e.result.clone().err().map(Into::into),
                            logs: e.logs.clone(),
                        };
                        out.push(notification(
                            "logsNotification",
                            *id,
                            json!({ "context": ctx, "value": value }),
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
    for id in done {
        subs.remove(&id);
    }
    out
}
