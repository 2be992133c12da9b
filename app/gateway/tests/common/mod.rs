//! A world for the gateway's tests: an in-process node served over JSON-RPC
//! on loopback, the gateway over HTTP on loopback reading it through the
//! SDK's RPC transport, and a cast: the registry authority, two verified
//! labs, a patient with records at the gateway, another patient.
#![allow(dead_code)]

use std::sync::Arc;

use hdx_gateway::{Config, Gateway};
use hdx_node::node::{Node, NodeConfig};
use hdx_node::runtime::TimeSource;
use hdx_sdk::client::HdxClient;
use hdx_sdk::codes::{Category, ProviderKind, ALL_PURPOSES, MODE_READ, MODE_WRITE};
use hdx_sdk::gateway::{self as protocol, GatewayClient};
use hdx_sdk::program::{AddRecordArgs, ConsentTerms};
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Faucet;
use hdx_sdk::{cid, ix};
use serde_json::Value;
use sha2::{Digest, Sha256};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub node: Arc<Node>,
    pub rpc: Option<hdx_node::rpc::Server>,
    pub gateway: Arc<Gateway>,
    pub server: Option<hdx_gateway::server::Server>,
    pub dir: tempfile::TempDir,
    pub c: HdxClient,
    pub url: String,
    pub auth: Keypair,
    pub lab: Keypair,
    pub lab2: Keypair,
    pub patient: Keypair,
    pub other: Keypair,
    /// Record data at the gateway, by record index (None: not held there).
    pub data: Vec<Option<Vec<u8>>>,
}

pub fn hash(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Record 0: lab results at the gateway; 1: imaging at the gateway;
/// 2: lab results with a `vault://` locator; 3: lab results whose
/// `ipfs://` CID the gateway does not hold.
pub const AT_GATEWAY: u32 = 0;
pub const IMAGING: u32 = 1;
pub const NOT_A_GATEWAY_RECORD: u32 = 2;
pub const NOT_UPLOADED: u32 = 3;
/// The patient's next record (not on-chain yet): what plain test uploads are for.
pub const NEXT_RECORD: u32 = 4;

impl World {
    pub fn new(config: Config) -> World {
        World::with_custodian(config, None)
    }

    /// A world whose gateway answers the studies that name `custodian`.
    pub fn with_custodian(config: Config, custodian: Option<Keypair>) -> World {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let auth = Keypair::new();
        let node = Arc::new(Node::open(NodeConfig::memory(auth.pubkey(), T0)).unwrap());
        let rpc = rt
            .block_on(hdx_node::rpc::start(
                node.clone(),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let chain = HdxClient::new(RpcTransport::new(&rpc.url(), CommitmentConfig::confirmed()));
        let gateway = Gateway::open(dir.path(), chain, config).unwrap();
        let gateway = Arc::new(match custodian {
            Some(key) => gateway.with_custodian(key),
            None => gateway,
        });
        let server = rt
            .block_on(hdx_gateway::server::start(
                gateway.clone(),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        let c = HdxClient::new(RpcTransport::new(&rpc.url(), CommitmentConfig::confirmed()));
        let url = server.url();
        let mut w = World {
            rt,
            node,
            rpc: Some(rpc),
            gateway,
            server: Some(server),
            dir,
            c,
            url,
            auth,
            lab: Keypair::new(),
            lab2: Keypair::new(),
            patient: Keypair::new(),
            other: Keypair::new(),
            data: vec![],
        };
        w.cast();
        w
    }

    fn cast(&mut self) {
        let c = &self.c;
        for k in [
            &self.auth,
            &self.lab,
            &self.lab2,
            &self.patient,
            &self.other,
        ] {
            self.node.fund(&k.pubkey(), 10_000_000_000).unwrap();
        }
        let a = self.auth.pubkey();
        c.send(&[ix::initialize_registry(a, a, a)], &self.auth, &[])
            .unwrap();
        for lab in [&self.lab, &self.lab2] {
            c.send(
                &[ix::register_provider(
                    lab.pubkey(),
                    ProviderKind::Laboratory,
                    [3; 32],
                )],
                lab,
                &[],
            )
            .unwrap();
            c.send(&[ix::verify_provider(a, &lab.pubkey())], &self.auth, &[])
                .unwrap();
        }
        let p = self.patient.pubkey();
        for who in [&self.patient, &self.other] {
            c.send(&[ix::register_patient(who.pubkey())], who, &[])
                .unwrap();
        }
        type Spec<'a> = (Category, Option<&'a [u8]>, Option<&'a str>);
        let records: [Spec; 4] = [
            (
                Category::LabResults,
                Some(b"HbA1c 5.6%, 2026-01-01".as_slice()),
                None,
            ),
            (
                Category::Imaging,
                Some(b"chest x-ray: clear".as_slice()),
                None,
            ),
            (Category::LabResults, None, Some("vault://elsewhere/7")),
            (Category::LabResults, None, None),
        ];
        for (i, (category, data, locator)) in records.into_iter().enumerate() {
            let content = data.map_or_else(
                || format!("never uploaded {i}").into_bytes(),
                |d| d.to_vec(),
            );
            let h = hash(&content);
            if data.is_some() {
                let up = self
                    .gateway_client()
                    .upload(&self.patient, &p, i as u32, category, &content, T0)
                    .unwrap();
                assert_eq!(up.locator, cid::locator(&h));
                assert_eq!(up.content_hash, protocol::hex(&h));
            }
            c.add_record(
                &self.patient,
                &p,
                AddRecordArgs {
                    category,
                    clinical_day: 0,
                    locator: locator
                        .map_or_else(|| cid::locator(&h), str::to_string)
                        .into_bytes(),
                    content_hash: h,
                },
            )
            .unwrap();
            self.data.push(data.map(|_| content));
        }
        // lab: lab results and imaging, read, treatment; lab2: lab results, read and write, any purpose.
        let terms = |categories: u16, modes: u8, purposes: u8| ConsentTerms {
            categories,
            modes,
            purposes,
            not_before: T0,
            expires_at: T0 + 30 * 86_400,
            ..ConsentTerms::default()
        };
        c.send(
            &[ix::grant_consent(
                p,
                &p,
                &self.lab.pubkey(),
                terms(
                    Category::LabResults.bit() | Category::Imaging.bit(),
                    MODE_READ,
                    hdx_sdk::codes::Purpose::Treatment.bit(),
                ),
            )],
            &self.patient,
            &[],
        )
        .unwrap();
        c.send(
            &[ix::grant_consent(
                p,
                &p,
                &self.lab2.pubkey(),
                terms(
                    Category::LabResults.bit(),
                    MODE_READ | MODE_WRITE,
                    ALL_PURPOSES,
                ),
            )],
            &self.patient,
            &[],
        )
        .unwrap();
    }

    pub fn gateway_client(&self) -> GatewayClient {
        GatewayClient::new(&self.url)
    }

    pub fn p(&self) -> Pubkey {
        self.patient.pubkey()
    }

    pub fn now(&self) -> i64 {
        self.c.transport.unix_time().unwrap()
    }

    pub fn set_time(&self, t: i64) {
        self.node.set_time(TimeSource::Manual(t));
        self.node.advance_slot();
        assert_eq!(self.now(), t);
    }

    /// `who` reads record `index` for treatment on-chain: the log entry's sequence.
    pub fn access(&self, who: &Keypair, index: u32) -> u64 {
        self.c
            .access_record(
                who,
                &who.pubkey(),
                &self.p(),
                index,
                hdx_sdk::codes::Purpose::Treatment,
            )
            .unwrap()
            .sequence
    }

    /// The sequence of the patient's last log entry.
    pub fn last_entry(&self) -> u64 {
        self.c
            .log(&self.p())
            .unwrap()
            .entries()
            .last()
            .unwrap()
            .sequence
    }

    /// The gateway's trail, newest last.
    pub fn trail(&self) -> Vec<hdx_gateway::store::TrailRow> {
        self.gateway.store().trail(0, usize::MAX).unwrap()
    }

    pub fn redemptions(&self) -> usize {
        self.gateway.store().redemptions().unwrap().len()
    }

    /// The sealed file the gateway holds for `data` of the patient.
    pub fn blob_file(&self, data: &[u8]) -> std::path::PathBuf {
        let (p, c) = (self.p().to_string(), cid::of_hash(&hash(data)));
        let store = self.gateway.store();
        store.blob_path(&p, &store.blob(&p, &c).unwrap().expect("held"))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.stop());
        }
        if let Some(s) = self.rpc.take() {
            self.rt.block_on(s.stop());
        }
        self.node.shutdown();
    }
}

/// A request the test builds by hand, so that any part can be wrong.
pub struct Raw {
    pub method: reqwest::Method,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub entry_header: Option<String>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Signature headers for `line`, signed by `key`, claiming `signer`.
pub fn signed_headers(
    signer: &Pubkey,
    key: &Keypair,
    line: &str,
    time: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    vec![
        (protocol::SIGNER_HEADER.into(), signer.to_string()),
        (
            protocol::SIGNATURE_HEADER.into(),
            protocol::sign(key, line).unwrap().to_string(),
        ),
        (protocol::TIME_HEADER.into(), time.to_string()),
        (protocol::NONCE_HEADER.into(), nonce.into()),
    ]
}

impl Raw {
    /// A correctly signed release request by `key` for (patient, index, entry) at `time`.
    pub fn release(key: &Keypair, patient: &Pubkey, index: u32, entry: u64, time: i64) -> Raw {
        let path = protocol::release_path(patient, index);
        let nonce = protocol::nonce().unwrap();
        let line = protocol::release_line(&path, entry, time, &nonce);
        Raw {
            method: reqwest::Method::GET,
            headers: signed_headers(&key.pubkey(), key, &line, time, &nonce),
            path,
            query: format!("entry={entry}"),
            body: vec![],
        }
    }

    /// A correctly signed upload by `key` of `data` for the next record
    /// (`NEXT_RECORD`, lab results) of `patient` at `time`.
    pub fn upload(key: &Keypair, patient: &Pubkey, data: &[u8], time: i64) -> Raw {
        Raw::upload_for(key, patient, NEXT_RECORD, Category::LabResults, data, time)
    }

    /// A correctly signed upload by `key` of `data` for record `record` of
    /// `category` of `patient` at `time`.
    pub fn upload_for(
        key: &Keypair,
        patient: &Pubkey,
        record: u32,
        category: Category,
        data: &[u8],
        time: i64,
    ) -> Raw {
        let h = hash(data);
        let path = protocol::upload_path(patient, &cid::of_hash(&h));
        let nonce = protocol::nonce().unwrap();
        let line = protocol::upload_line(&path, record, category, &h, time, &nonce);
        Raw {
            method: reqwest::Method::PUT,
            headers: signed_headers(&key.pubkey(), key, &line, time, &nonce),
            path,
            query: protocol::upload_query(record, category),
            body: data.to_vec(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Raw {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Raw {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    pub fn send(&self, base: &str) -> Answer {
        let url = if self.query.is_empty() {
            format!("{base}{}", self.path)
        } else {
            format!("{base}{}?{}", self.path, self.query)
        };
        let http = reqwest::blocking::Client::new();
        let mut req = http.request(self.method.clone(), url);
        for (n, v) in &self.headers {
            req = req.header(n, v);
        }
        if !self.body.is_empty() {
            req = req.body(self.body.clone());
        }
        let response = req.send().unwrap();
        let status = response.status().as_u16();
        let entry_header = response
            .headers()
            .get(protocol::ENTRY_HEADER)
            .map(|v| v.to_str().unwrap().to_string());
        Answer {
            status,
            body: response.bytes().unwrap().to_vec(),
            entry_header,
        }
    }
}
