//! The front door on loopback: an in-process node over JSON-RPC, the data
//! gateway and `hdx-fhir` over HTTP, a verified lab whose EHR signs in with
//! an ES384 client assertion, a patient with two records at the gateway
//! (lab results, imaging) and a consent to the lab for lab results, read,
//! treatment. Every answer is checked exactly: statuses, OAuth error codes
//! and reasons, OperationOutcomes, the patient's log.

use std::sync::Arc;

use hdx_fhir::ehr::EhrKey;
use hdx_fhir::smart::{ClientsFile, Smart, ASSERTION_TYPE};
use hdx_fhir::FrontDoor;
use hdx_node::node::{Node, NodeConfig};
use hdx_sdk::client::HdxClient;
use hdx_sdk::codes::{Category, Outcome, ProviderKind, Purpose, MODE_READ};
use hdx_sdk::gateway::GatewayClient;
use hdx_sdk::program::{AddRecordArgs, ConsentTerms};
use hdx_sdk::rpc::RpcTransport;
use hdx_sdk::transport::Faucet;
use hdx_sdk::{cid, ix};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use solana_sdk::signature::{Keypair, Signer};

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn wall() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ehr_key(kid: &str) -> EhrKey {
    EhrKey::generate(kid).unwrap()
}

/// Stops one of the world's servers on its runtime.
type Stop = Box<dyn FnOnce(&tokio::runtime::Runtime)>;

struct World {
    rt: tokio::runtime::Runtime,
    node: Arc<Node>,
    servers: Vec<Stop>,
    _dir: tempfile::TempDir,
    c: HdxClient,
    fhir: String,
    token_url: String,
    patient: Keypair,
    lab: Keypair,
    ehr: EhrKey,
    /// Record data, by index: 0 lab results, 1 imaging.
    data: Vec<Vec<u8>>,
}

impl World {
    fn new(token_lifetime: i64) -> World {
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
        let confirmed = solana_commitment_config::CommitmentConfig::confirmed();
        let dir = tempfile::tempdir().unwrap();
        let gateway = Arc::new(
            hdx_gateway::Gateway::open(
                &dir.path().join("gateway"),
                HdxClient::new(RpcTransport::new(&rpc.url(), confirmed)),
                hdx_gateway::Config::default(),
            )
            .unwrap(),
        );
        let gw = rt
            .block_on(hdx_gateway::server::start(
                gateway,
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        let c = HdxClient::new(RpcTransport::new(&rpc.url(), confirmed));
        let (patient, lab) = (Keypair::new(), Keypair::new());
        for k in [&auth, &patient, &lab] {
            node.fund(&k.pubkey(), 10_000_000_000).unwrap();
        }
        let a = auth.pubkey();
        c.send(&[ix::initialize_registry(a, a, a)], &auth, &[])
            .unwrap();
        c.send(
            &[ix::register_provider(
                lab.pubkey(),
                ProviderKind::Laboratory,
                [3; 32],
            )],
            &lab,
            &[],
        )
        .unwrap();
        c.send(&[ix::verify_provider(a, &lab.pubkey())], &auth, &[])
            .unwrap();
        let p = patient.pubkey();
        c.send(&[ix::register_patient(p)], &patient, &[]).unwrap();
        let mut data = Vec::new();
        for (i, category) in [Category::LabResults, Category::Imaging]
            .into_iter()
            .enumerate()
        {
            let content: Vec<u8> = (0..1024u32).map(|b| (b as u8) ^ (i as u8 * 0x55)).collect();
            let h: [u8; 32] = Sha256::digest(&content).into();
            GatewayClient::new(&gw.url())
                .upload(&patient, &p, i as u32, category, &content, T0)
                .unwrap();
            c.add_record(
                &patient,
                &p,
                AddRecordArgs {
                    category,
                    clinical_day: 20_450,
                    locator: cid::locator(&h).into_bytes(),
                    content_hash: h,
                },
            )
            .unwrap();
            data.push(content);
        }
        c.send(
            &[ix::grant_consent(
                p,
                &p,
                &lab.pubkey(),
                ConsentTerms {
                    categories: Category::LabResults.bit(),
                    modes: MODE_READ,
                    purposes: Purpose::Treatment.bit(),
                    not_before: T0,
                    expires_at: T0 + 30 * 86_400,
                    ..ConsentTerms::default()
                },
            )],
            &patient,
            &[],
        )
        .unwrap();

        let ehr = ehr_key("ehr-2026");
        let clients: ClientsFile = serde_json::from_value(json!({
            "clients": [{ "client_id": "ehr", "jwks": { "keys": [ehr.jwk()] } }]
        }))
        .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let fhir = format!("http://{}", listener.local_addr().unwrap());
        let token_url = format!("{fhir}/token");
        let smart = Smart::open(
            &clients,
            &dir.path().join("fhir"),
            token_url.clone(),
            token_lifetime,
        )
        .unwrap();
        let door = Arc::new(FrontDoor {
            chain: HdxClient::new(RpcTransport::new(&rpc.url(), confirmed)),
            signer: lab.insecure_clone(),
            provider: lab.pubkey(),
            gateway: GatewayClient::new(&gw.url()),
            smart,
            base: fhir.clone(),
        });
        let server = rt
            .block_on(hdx_fhir::server::start(door, listener))
            .unwrap();
        let servers: Vec<Stop> = vec![
            Box::new(move |rt| rt.block_on(server.stop())),
            Box::new(move |rt| rt.block_on(gw.stop())),
            Box::new(move |rt| rt.block_on(rpc.stop())),
        ];
        World {
            rt,
            node,
            servers,
            _dir: dir,
            c,
            fhir,
            token_url,
            patient,
            lab,
            ehr,
            data,
        }
    }

    /// A client assertion with these claims (the right ones, changed by `edit`).
    fn assertion(&self, edit: impl FnOnce(&mut Value, &mut Header)) -> String {
        let mut claims = json!({
            "iss": "ehr", "sub": "ehr", "aud": self.token_url,
            "exp": wall() + 240, "jti": format!("{:x}", rand_u64()),
        });
        let mut header = Header::new(Algorithm::ES384);
        header.kid = Some("ehr-2026".into());
        edit(&mut claims, &mut header);
        jsonwebtoken::encode(&header, &claims, &self.ehr.encoding_key()).unwrap()
    }

    /// `POST /token` with `assertion` and `scope`: (status, body).
    fn token_with(&self, assertion: &str, scope: &str) -> (u16, Value) {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
            ("scope", scope),
        ];
        let r = reqwest::blocking::Client::new()
            .post(&self.token_url)
            .form(&form)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap())
    }

    fn token(&self, scope: &str) -> String {
        let (status, body) = self.token_with(&self.assertion(|_, _| {}), scope);
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// `GET path` with `token`: (status, headers, body bytes).
    fn get(&self, path: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut r = reqwest::blocking::Client::new().get(format!("{}{path}", self.fhir));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.bytes().unwrap().to_vec())
    }

    fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let (status, headers, body) = self.get(path, token);
        assert_eq!(
            headers["content-type"],
            "application/fhir+json",
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        (status, serde_json::from_slice(&body).unwrap())
    }

    fn p(&self) -> String {
        self.patient.pubkey().to_string()
    }

    /// The patient's log: (sequence, outcome) of each entry.
    fn log(&self) -> Vec<(u64, u8)> {
        self.c
            .log(&self.patient.pubkey())
            .unwrap()
            .entries()
            .iter()
            .map(|e| (e.sequence, e.entry.outcome))
            .collect()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for stop in self.servers.drain(..) {
            stop(&self.rt);
        }
        self.node.shutdown();
    }
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::getrandom(&mut b).unwrap();
    u64::from_le_bytes(b)
}

const ALL: &str =
    "system/DocumentReference.rs system/Binary.r system/Consent.rs system/AuditEvent.rs";

/// The OperationOutcome's single issue: (code, details code, diagnostics).
fn issue(v: &Value) -> (String, Option<String>, String) {
    assert_eq!(v["resourceType"], "OperationOutcome", "{v}");
    let i = &v["issue"][0];
    (
        i["code"].as_str().unwrap().to_string(),
        i["details"]["coding"][0]["code"]
            .as_str()
            .map(str::to_string),
        i["diagnostics"].as_str().unwrap().to_string(),
    )
}

#[test]
fn an_ehr_reads_only_what_the_consent_grants_and_every_read_is_logged() {
    let w = World::new(300);
    let token = w.token(ALL);
    let p = w.p();

    // The documents the consent grants now: lab results only, with its hash and where to read it.
    let (status, bundle) = w.get_json(&format!("/DocumentReference?patient={p}"), Some(&token));
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(bundle["type"], "searchset");
    assert_eq!(bundle["total"], 1);
    let doc = &bundle["entry"][0]["resource"];
    let h = hex(&Sha256::digest(&w.data[0]));
    assert_eq!(
        doc,
        &json!({
            "resourceType": "DocumentReference",
            "id": format!("{p}.0"),
            "identifier": [
                { "system": "urn:hdx:record", "value": format!("{p}.0") },
                { "system": "urn:hdx:content-sha256", "value": h }
            ],
            "status": "current",
            "type": { "text": "DiagnosticReport" },
            "category": [{ "coding": [{ "system": "urn:hdx:category", "code": "lab-results" }] }],
            "subject": { "identifier": { "system": "urn:solana:pubkey", "value": p } },
            "date": hdx_sdk::export::rfc3339(w.c.record(&w.patient.pubkey(), 0).unwrap().created_at),
            "context": { "period": { "start": "2025-12-28", "end": "2025-12-28" } },
            "content": [{ "attachment": { "contentType": "application/octet-stream", "url": format!("Binary/{p}.0") } }]
        })
    );
    assert_eq!(
        bundle["entry"][0]["fullUrl"],
        format!("{}/DocumentReference/{p}.0", w.fhir)
    );
    // Listing logged nothing.
    assert_eq!(w.log(), vec![]);
    let (_, imaging) = w.get_json(
        &format!("/DocumentReference?patient={p}&category=imaging"),
        Some(&token),
    );
    assert_eq!(imaging["total"], 0);

    // The granted read: the upload's bytes, entry 0.
    let (status, headers, body) = w.get(&format!("/Binary/{p}.0"), Some(&token));
    assert_eq!(status, 200);
    assert_eq!(body, w.data[0]);
    assert_eq!(headers["x-hdx-entry"], "0");
    assert_eq!(headers["x-hdx-content-hash"], h.as_str());

    // Imaging is outside the consent: 403, named, and the denial is entry 1 of the patient's log.
    let (status, outcome) = w.get_json(&format!("/Binary/{p}.1"), Some(&token));
    assert_eq!(status, 403);
    assert_eq!(
        issue(&outcome),
        (
            "forbidden".into(),
            Some("CategoryNotPermitted".into()),
            "Denied: CategoryNotPermitted (the patient's log entry 1 records it)".into()
        )
    );
    assert_eq!(
        w.log(),
        vec![
            (0, Outcome::Granted.code()),
            (1, Outcome::CategoryNotPermitted.code())
        ]
    );

    // The audit trail and the consent, from the SDK's exporter.
    let (status, events) = w.get_json(&format!("/AuditEvent?patient={p}"), Some(&token));
    assert_eq!(status, 200);
    assert_eq!(events["total"], 2);
    let outcomes: Vec<&str> = events["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["0", "4"]);
    let (_, none) = w.get_json(
        &format!("/AuditEvent?patient={p}&date=lt2026-01-01"),
        Some(&token),
    );
    assert_eq!(none["total"], 0);
    let (status, consents) = w.get_json(&format!("/Consent?patient=Patient/{p}"), Some(&token));
    assert_eq!(status, 200);
    assert_eq!(consents["total"], 1);
    assert_eq!(consents["entry"][0]["resource"]["resourceType"], "Consent");

    // Revoked: the next read is denied NoConsent (entry 2), and nothing is listed.
    w.c.send(
        &[ix::revoke_consent(
            w.patient.pubkey(),
            &w.patient.pubkey(),
            &w.lab.pubkey(),
        )],
        &w.patient,
        &[],
    )
    .unwrap();
    let (status, outcome) = w.get_json(&format!("/Binary/{p}.0"), Some(&token));
    assert_eq!(status, 403);
    assert_eq!(issue(&outcome).1.as_deref(), Some("NoConsent"));
    assert_eq!(w.log().last(), Some(&(2, Outcome::NoConsent.code())));
    let (_, after) = w.get_json(&format!("/DocumentReference?patient={p}"), Some(&token));
    assert_eq!(after["total"], 0);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_bad_assertion_is_refused_with_its_reason_and_no_token() {
    let w = World::new(300);
    let other = ehr_key("ehr-2026"); // the right kid, another key
    let replayed = w.assertion(|_, _| {});
    assert_eq!(w.token_with(&replayed, ALL).0, 200);
    type Case = (&'static str, String, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (
            "a replayed jti",
            replayed,
            "invalid_client",
            "was used before",
        ),
        (
            "another aud",
            w.assertion(|c, _| c["aud"] = json!("http://127.0.0.1:1/token")),
            "invalid_client",
            "aud must be",
        ),
        (
            "an expired assertion",
            w.assertion(|c, _| c["exp"] = json!(wall() - 120)),
            "invalid_client",
            "has expired",
        ),
        (
            "exp 10 minutes ahead",
            w.assertion(|c, _| c["exp"] = json!(wall() + 600)),
            "invalid_client",
            "at most 300 s",
        ),
        (
            "no jti",
            w.assertion(|c, _| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "invalid_client",
            "needs a jti",
        ),
        (
            "no exp",
            w.assertion(|c, _| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            "invalid_client",
            "no exp claim",
        ),
        (
            "sub is not iss",
            w.assertion(|c, _| c["sub"] = json!("someone")),
            "invalid_client",
            "sub must be its iss",
        ),
        (
            "an unknown client",
            w.assertion(|c, _| {
                c["iss"] = json!("stranger");
                c["sub"] = json!("stranger");
            }),
            "invalid_client",
            "unknown client \"stranger\"",
        ),
        (
            "an unknown key id",
            w.assertion(|_, h| h.kid = Some("old-key".into())),
            "invalid_client",
            "unknown key id \"old-key\"",
        ),
        (
            "no key id",
            w.assertion(|_, h| h.kid = None),
            "invalid_client",
            "names no kid",
        ),
        (
            "another key, the right kid",
            {
                let mut h = Header::new(Algorithm::ES384);
                h.kid = Some("ehr-2026".into());
                let c = json!({ "iss": "ehr", "sub": "ehr", "aud": w.token_url, "exp": wall() + 60, "jti": "x1" });
                jsonwebtoken::encode(&h, &c, &other.encoding_key()).unwrap()
            },
            "invalid_client",
            "signature does not verify",
        ),
        (
            "an unsupported algorithm (HS256)",
            {
                let mut h = Header::new(Algorithm::HS256);
                h.kid = Some("ehr-2026".into());
                let c = json!({ "iss": "ehr", "sub": "ehr", "aud": w.token_url, "exp": wall() + 60, "jti": "x2" });
                jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(b"shared")).unwrap()
            },
            "invalid_client",
            "unsupported algorithm HS256",
        ),
        (
            "not a JWT",
            "not.a.jwt".into(),
            "invalid_client",
            "not a JWT",
        ),
    ];
    for (what, assertion, code, reason) in cases {
        let (status, body) = w.token_with(&assertion, ALL);
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"], code, "{what}: {body}");
        let said = body["error_description"].as_str().unwrap();
        assert!(said.contains(reason), "{what}: {said}");
        assert!(body.get("access_token").is_none(), "{what}");
    }
    // Scopes: none, or one this server does not grant.
    let (status, body) = w.token_with(&w.assertion(|_, _| {}), "");
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_scope")),
        "{body}"
    );
    let (status, body) = w.token_with(&w.assertion(|_, _| {}), "system/Patient.rs launch/patient");
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_scope")),
        "{body}"
    );
    // Of what is asked, what this client may have is granted, and the answer says which.
    let (status, body) = w.token_with(
        &w.assertion(|_, _| {}),
        "launch/patient system/Binary.r openid",
    );
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("system/Binary.r")),
        "{body}"
    );
    // Another grant type.
    let r = reqwest::blocking::Client::new()
        .post(&w.token_url)
        .form(&[("grant_type", "password"), ("username", "x")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.json::<Value>().unwrap()["error"],
        "unsupported_grant_type"
    );
    // Nothing was read on-chain.
    assert_eq!(w.log(), vec![]);
}

#[test]
fn a_token_is_good_for_its_life_and_its_scopes_only() {
    let w = World::new(2);
    let p = w.p();
    let list = format!("/DocumentReference?patient={p}");
    // No token, a token that is not one, a header that is not a bearer token.
    for token in [None, Some("forged")] {
        let (status, outcome) = w.get_json(&list, token);
        assert_eq!(status, 401);
        assert_eq!(issue(&outcome).0, "login");
    }
    let narrow = w.token("system/DocumentReference.rs");
    let (status, _) = w.get_json(&list, Some(&narrow));
    assert_eq!(status, 200);
    let (status, outcome) = w.get_json(&format!("/Binary/{p}.0"), Some(&narrow));
    assert_eq!(status, 403);
    assert_eq!(
        issue(&outcome),
        (
            "forbidden".into(),
            Some("InsufficientScope".into()),
            "the token does not grant system/Binary.r".into()
        )
    );
    assert_eq!(
        w.log(),
        vec![],
        "a read the token does not allow is not attempted"
    );
    // Past its life.
    std::thread::sleep(std::time::Duration::from_millis(3_100));
    let (status, outcome) = w.get_json(&list, Some(&narrow));
    assert_eq!(status, 401);
    assert!(
        issue(&outcome).2.starts_with("the token expired"),
        "{outcome}"
    );
}

#[test]
fn discovery_says_exactly_what_is_served_and_bad_requests_are_named() {
    let w = World::new(300);
    let (status, _, body) = w.get("/.well-known/smart-configuration", None);
    assert_eq!(status, 200);
    let config: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        config,
        json!({
            "token_endpoint": w.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES384", "RS384"],
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": ["system/DocumentReference.rs", "system/Binary.r", "system/Consent.rs", "system/AuditEvent.rs"],
            "capabilities": ["client-confidential-asymmetric", "permission-v2"]
        })
    );
    let (status, metadata) = w.get_json("/metadata", None);
    assert_eq!(status, 200);
    let served: Vec<&str> = metadata["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        served,
        ["DocumentReference", "Binary", "Consent", "AuditEvent"]
    );
    assert_eq!(
        metadata["rest"][0]["security"]["extension"][0]["extension"][0]["valueUri"],
        w.token_url
    );

    let token = w.token(ALL);
    let p = w.p();
    let bad: [(&str, u16, &str); 8] = [
        ("/DocumentReference", 400, "give the patient"),
        (
            "/DocumentReference?patient=nobody",
            400,
            "is not a patient id",
        ),
        (
            &format!("/DocumentReference?patient={p}&category=x-rays"),
            400,
            "is not a category",
        ),
        (
            &format!("/DocumentReference?patient={p}&_sort=date"),
            400,
            "\"_sort\" is not supported",
        ),
        (
            &format!("/DocumentReference?patient={}", Keypair::new().pubkey()),
            404,
            "not on this cluster",
        ),
        (
            &format!("/AuditEvent?patient={p}&date=2026-02-30"),
            400,
            "is not [eq|ge|gt|le|lt]YYYY-MM-DD",
        ),
        (&format!("/Binary/{p}"), 400, "is not a record id"),
        ("/Patient", 404, "nothing is served"),
    ];
    for (path, want, reason) in bad {
        let (status, outcome) = w.get_json(path, Some(&token));
        assert_eq!(status, want, "{path}: {outcome}");
        assert!(issue(&outcome).2.contains(reason), "{path}: {outcome}");
    }
    let (status, outcome) = w.get_json(&format!("/Binary/{p}.7"), Some(&token));
    assert_eq!(status, 404, "{outcome}");
    assert_eq!(w.log(), vec![], "no bad request reached the chain");
}
