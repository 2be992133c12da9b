//! `hdx serve` with clients nobody here wrote: the Rust `solana-rpc-client`
//! (through the SDK's RPC transport) builds a scene with every account
//! type; npm `@solana/kit` and `@anchor-lang/core` then work against it
//! (app/cli/tests/js, node's own test runner, packages pinned in the
//! lockfile); and bad input gets the validator's error codes while the node
//! keeps serving.

use std::path::{Path, PathBuf};
use std::process::Command;

use hdx_sdk::ix;
use serde_json::{json, Value};
use solana_sdk::signature::{read_keypair_file, Keypair, Signer};
use solana_sdk::transaction::Transaction;

mod common;
use common::{node_test, npm_dir, scene, Server, HDX};

/// `hdx serve` on a fresh ledger whose upgrade authority is `authority`.
struct Served {
    server: Server,
    _dir: tempfile::TempDir,
    authority: Keypair,
}

impl std::ops::Deref for Served {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl Served {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("authority.json");
        let out = Command::new(HDX)
            .args(["keygen", "-o"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(out.status.success());
        Self {
            server: Server::start(dir.path(), &dir.path().join("ledger"), &key),
            authority: read_keypair_file(&key).unwrap(),
            _dir: dir,
        }
    }
}

/// The npm packages, installed from the lockfile into target/tmp (as .ci/run does).
fn js_dir() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    npm_dir("js", &src, &["compat.test.mjs"])
}

#[test]
fn solana_kit_and_anchor_work_against_hdx_serve() {
    let s = Served::start();
    scene(&s, &s.authority);
    let dir = js_dir();
    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../idl/health_data_exchange.json");
    node_test(
        &dir,
        "compat.test.mjs",
        60_000,
        &[
            ("HDX_RPC_URL", s.url.clone().into()),
            ("HDX_WS_URL", s.ws.clone().into()),
            ("HDX_IDL", idl.into()),
            (
                "HDX_REGISTRY_AUTHORITY",
                s.authority.pubkey().to_string().into(),
            ),
        ],
        2,
    );
    s.healthy();
}

fn error_of(v: &Value) -> (i64, String) {
    (
        v["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error in {v}")),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[test]
fn bad_input_gets_the_validators_error_codes_and_the_node_keeps_serving() {
    let s = Served::start();
    let patient = scene(&s, &s.authority).patient;

    // Malformed JSON: parse error, id null.
    let (status, body) = s.post(b"{\"jsonrpc\": \"2.0\", \"method\": ");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (error_of(&v), v["id"].clone()),
        ((-32700, "Parse error".into()), Value::Null)
    );
    s.healthy();

    // Not a request object, and an empty batch: invalid request.
    let (_, body) = s.post(b"{\"jsonrpc\": \"2.0\", \"id\": 3}");
    assert_eq!(
        error_of(&serde_json::from_str(&body).unwrap()),
        (-32600, "Invalid request".into())
    );
    let (_, body) = s.post(b"[]");
    assert_eq!(
        error_of(&serde_json::from_str(&body).unwrap()),
        (-32600, "Invalid request".into())
    );

    // An unknown method.
    let v = s.call("getBlockProduction2", json!([]));
    assert_eq!(error_of(&v), (-32601, "Method not found".into()));

    // Wrong params: a number where a key is expected, a key that is not one.
    let (code, message) = error_of(&s.call("getBalance", json!([42])));
    assert_eq!(code, -32602);
    assert!(
        message.starts_with("Invalid params: invalid type"),
        "{message}"
    );
    let (code, message) = error_of(&s.call("getAccountInfo", json!(["not-a-key"])));
    assert_eq!((code, message.as_str()), (-32602, "Invalid param: Invalid"));

    // A transaction with a bad signature.
    let c = s.client();
    let blockhash = c.transport.latest_blockhash().unwrap();
    let mut tx = Transaction::new_signed_with_payer(
        &[ix::register_patient(patient.pubkey())],
        Some(&patient.pubkey()),
        &[&patient],
        blockhash,
    );
    tx.signatures[0] = solana_sdk::signature::Signature::from([7u8; 64]);
    let wire = base64_of(&tx);
    let v = s.call("sendTransaction", json!([wire, { "encoding": "base64" }]));
    assert_eq!(
        error_of(&v),
        (-32003, "Transaction signature verification failure".into())
    );
    // Without preflight, as on a cluster, it is taken for forwarding and
    // never lands; so is one whose signature was made over other bytes (the
    // fee payer's real signature, the instruction's data changed after).
    let stranger = Keypair::new();
    let mut forged = Transaction::new_signed_with_payer(
        &[ix::register_patient(stranger.pubkey())],
        Some(&patient.pubkey()),
        &[&patient, &stranger],
        blockhash,
    );
    forged.message.instructions[0].data[0] ^= 1;
    for (wire, signature) in [
        (wire, tx.signatures[0]),
        (base64_of(&forged), forged.signatures[0]),
    ] {
        let v = s.call(
            "sendTransaction",
            json!([wire, { "encoding": "base64", "skipPreflight": true }]),
        );
        assert_eq!(v["result"], json!(signature.to_string()), "{v}");
        s.call(
            "requestAirdrop",
            json!([Keypair::new().pubkey().to_string(), 1]),
        );
        let v = s.call(
            "getSignatureStatuses",
            json!([[signature.to_string()], { "searchTransactionHistory": true }]),
        );
        assert_eq!(v["result"]["value"], json!([null]), "{v}");
    }

    // A transaction that fails preflight: the program's error and logs come back.
    // (A newer blockhash: with the scene's, it would be the scene's own
    // transaction again, and "already processed" would be the right answer.)
    let mut blockhash = blockhash;
    while blockhash == c.transport.latest_blockhash().unwrap() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    blockhash = c.transport.latest_blockhash().unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[ix::register_patient(patient.pubkey())],
        Some(&patient.pubkey()),
        &[&patient],
        blockhash,
    );
    let balance = |s: &Served| {
        s.call("getBalance", json!([patient.pubkey().to_string()]))["result"]["value"].clone()
    };
    let before = balance(&s);
    let v = s.call(
        "sendTransaction",
        json!([base64_of(&tx), { "encoding": "base64" }]),
    );
    // It changed nothing: no fee, no status (it ran once, and was not committed).
    assert_eq!(balance(&s), before);
    let status = s.call(
        "getSignatureStatuses",
        json!([[tx.signatures[0].to_string()], { "searchTransactionHistory": true }]),
    );
    assert_eq!(status["result"]["value"], json!([null]), "{status}");
    assert!(
        v["error"]["data"]["unitsConsumed"].as_u64().unwrap() > 0,
        "{v}"
    );
    let (code, message) = error_of(&v);
    assert_eq!(code, -32002);
    assert_eq!(
        message,
        "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x177b"
    );
    let logs: Vec<String> = serde_json::from_value(v["error"]["data"]["logs"].clone()).unwrap();
    assert!(
        logs.iter()
            .any(|l| l.contains("Error Code: AccountAlreadyExists")),
        "{logs:?}"
    );

    // A transaction too large for a packet, and a request too large for the node.
    let v = s.call(
        "sendTransaction",
        json!(["A".repeat(1_645), { "encoding": "base64" }]),
    );
    assert_eq!(
        error_of(&v),
        (
            -32602,
            "base64 encoded solana_transaction::versioned::VersionedTransaction too large: 1645 bytes (max: encoded/raw 1644/1232)".into()
        )
    );
    let huge =
        json!({ "jsonrpc": "2.0", "id": 1, "method": "getHealth", "params": ["x".repeat(60_000)] });
    let (status, _) = s.post(huge.to_string().as_bytes());
    assert_eq!(
        status, 413,
        "a request over 50 KiB is refused as a validator refuses it"
    );

    // Through all of that the node kept serving.
    s.healthy();
    let slot = s.call("getSlot", json!([]))["result"].as_u64().unwrap();
    assert!(slot > 1);
}

fn base64_of(tx: &Transaction) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx).unwrap())
}
