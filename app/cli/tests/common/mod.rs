//! `hdx serve` as the integration tests start it (a child process on a
//! loopback port, killed when dropped), raw HTTP and JSON-RPC helpers, and a
//! scene with every account type.
#![allow(dead_code)] // each test binary uses its own part of this

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use hdx::served::ServeProcess;
use hdx_sdk::client::HdxClient;
use hdx_sdk::codes::{Category, ProviderKind, Purpose, ALL_PURPOSES, MODE_READ};
use hdx_sdk::program::{AddRecordArgs, ConsentTerms};
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Faucet;
use hdx_sdk::{ix, pda};
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};

pub const HDX: &str = env!("CARGO_BIN_EXE_hdx");

/// `hdx serve` on loopback, with raw HTTP and JSON-RPC helpers.
pub struct Server(pub ServeProcess);

impl std::ops::Deref for Server {
    type Target = ServeProcess;
    fn deref(&self) -> &ServeProcess {
        &self.0
    }
}

impl Server {
    /// `hdx serve --ledger LEDGER -k KEYPAIR` as the user whose home is `home`.
    pub fn start(home: &Path, ledger: &Path, keypair: &Path) -> Self {
        Self(ServeProcess::start(Path::new(HDX), home, ledger, keypair).expect("hdx serve starts"))
    }

    /// One raw HTTP POST: (status, body).
    pub fn post(&self, body: &[u8]) -> (u16, String) {
        let host = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        let _ = stream.write_all(body);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        // Chunked responses carry a length line; the JSON is the line that parses.
        let body = body
            .lines()
            .find(|l| l.trim_start().starts_with('{') || l.trim_start().starts_with('['))
            .unwrap_or(&body)
            .to_string();
        (status, body)
    }

    /// One JSON-RPC call; the whole response.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let (status, body) = self.post(
            json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// The node's faucet (`requestAirdrop`).
    pub fn faucet(&self) -> RpcTransport {
        RpcTransport::new(&self.url, CommitmentConfig::confirmed())
    }

    /// The SDK's client over this server's JSON-RPC.
    pub fn client(&self) -> HdxClient {
        client(&self.url)
    }

    pub fn healthy(&self) {
        assert_eq!(self.call("getHealth", json!([]))["result"], "ok");
    }

    /// SIGKILL, as a crash: nothing runs in the server after this.
    pub fn kill(&mut self) {
        self.0.kill();
    }
}

/// The SDK's client over the JSON-RPC at `url`.
pub fn client(url: &str) -> HdxClient {
    HdxClient::new(RpcTransport::new(url, CommitmentConfig::confirmed()))
}

/// The scene's lab (verified, granted lab results for any purpose for a
/// day) and patient (one lab-results record, one granted access logged).
pub struct Scene {
    pub lab: Keypair,
    pub patient: Keypair,
}

/// A scene with every account type, built through the Rust RPC client.
pub fn scene(s: &Server, auth: &Keypair) -> Scene {
    let c = s.client();
    let faucet = s.faucet();
    let funded = |k: &Keypair| faucet.fund(&k.pubkey(), 10_000_000_000).unwrap();
    let (lab, patient) = (Keypair::new(), Keypair::new());
    for k in [auth, &lab, &patient] {
        funded(k);
    }
    let (l, p) = (lab.pubkey(), patient.pubkey());
    c.send(
        &[ix::initialize_registry(
            auth.pubkey(),
            auth.pubkey(),
            auth.pubkey(),
        )],
        auth,
        &[],
    )
    .unwrap();
    c.send(
        &[ix::register_provider(l, ProviderKind::Laboratory, [3; 32])],
        &lab,
        &[],
    )
    .unwrap();
    c.send(&[ix::verify_provider(auth.pubkey(), &l)], auth, &[])
        .unwrap();
    c.send(&[ix::register_patient(p)], &patient, &[]).unwrap();
    c.add_record(
        &patient,
        &p,
        AddRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: b"vault://0".to_vec(),
            content_hash: [1; 32],
        },
    )
    .unwrap();
    let now = c.transport.unix_time().unwrap();
    let terms = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: ALL_PURPOSES,
        not_before: now,
        expires_at: now + 86_400,
        ..ConsentTerms::default()
    };
    c.send(&[ix::grant_consent(p, &p, &l, terms)], &patient, &[])
        .unwrap();
    let granted = c
        .access_record(&lab, &l, &p, 0, Purpose::Treatment)
        .unwrap();
    assert_eq!(granted.sequence, 0);
    // The history the audit export reads: the consent's transactions, newest first.
    let sigs = s.call(
        "getSignaturesForAddress",
        json!([pda::consent(&p, &l).0.to_string()]),
    );
    assert_eq!(sigs["result"].as_array().unwrap().len(), 2, "{sigs}");
    Scene { lab, patient }
}

/// An npm project's files copied to `target/tmp/<name>` and its packages
/// installed there exactly as its lockfile pins them (`npm ci`, once per
/// lockfile: a stamp records which; `.ci/run` installs them the same way).
pub fn npm_dir(name: &str, src: &Path, files: &[&str]) -> PathBuf {
    // Tests of one binary run on threads: two of them installing into the
    // same directory at once would break each other's `npm ci`.
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    for f in files.iter().chain(&["package.json", "package-lock.json"]) {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(f), &to)
            .unwrap_or_else(|e| panic!("copying {}: {e}", src.join(f).display()));
    }
    let stamp = dir.join("node_modules/.hdx-lock");
    let lock = std::fs::read(src.join("package-lock.json")).unwrap();
    if std::fs::read(&stamp).ok() != Some(lock.clone()) {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm runs (Node.js 20 or later is needed for this test)");
        assert!(status.success(), "npm ci failed in {}", dir.display());
        std::fs::write(&stamp, lock).unwrap();
    }
    dir
}

/// `node --test FILE` in `dir` with `env` (node's own test runner; each test
/// bounded by `timeout_ms`, and open sockets do not keep node alive); prints
/// the report and asserts that all `tests` passed. Returns the report.
pub fn node_test(
    dir: &Path,
    file: &str,
    timeout_ms: u32,
    env: &[(&str, std::ffi::OsString)],
    tests: usize,
) -> String {
    let out = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            &format!("--test-timeout={timeout_ms}"),
            "--test-force-exit",
            file,
        ])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("node runs");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(out.status.success(), "{file} failed:\n{report}");
    assert!(
        report.contains(&format!("pass {tests}")) && report.contains("fail 0"),
        "{report}"
    );
    report
}
