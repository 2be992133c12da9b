//! The patient's page (`app/web`) in a real browser: `hdx serve` on a
//! temporary ledger serves it; a verified lab and a hospital with the
//! emergency role are registered here through the SDK; then
//! `app/web/test/page.test.mjs` (node's test runner, `playwright-core`
//! driving Debian's Chromium, packages pinned by `app/web/package-lock.json`)
//! registers the patient, adds records, grants, watches the lab be granted
//! and denied, sees the disclosures, ends an emergency window, revokes,
//! verifies the chain, downloads the FHIR export, approves a guardian
//! proposal, sees the providers named once the directory is published and
//! uploads a file through `hdx gateway` that the lab then fetches — every
//! transaction and upload signed by a Wallet Standard test wallet that
//! signs in the test process. Screenshots (desktop, phone) are written to
//! `target/tmp/web-screenshots/`.

use hdx_sdk::transport::Faucet;
use std::path::Path;

use hdx_sdk::codes::{ProviderKind, ROLE_EMERGENCY};
use hdx_sdk::ix;
use serde_json::json;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

mod common;
use common::{node_test, npm_dir, Server, HDX};

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn the_patients_page_in_a_real_browser() {
    let chromium = std::env::var("HDX_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Debian's Chromium at {chromium} (apt-get install chromium; .ci/run installs it) or HDX_CHROMIUM"
    );
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path();
    let key = |name: &str| {
        let k = Keypair::new();
        write_keypair_file(&k, keys.join(format!("{name}.json"))).unwrap();
        k
    };
    let (authority, lab, hospital, mum, child, patient) = (
        key("authority"),
        key("lab"),
        key("hospital"),
        key("mum"),
        key("child"),
        key("patient"),
    );
    let s = Server::start(keys, &keys.join("ledger"), &keys.join("authority.json"));

    // The registry, a verified lab (no. 0) and a verified hospital with the emergency role (no. 1).
    let c = s.client();
    for k in [&authority, &lab, &hospital, &mum, &child] {
        s.faucet().fund(&k.pubkey(), 10_000_000_000).unwrap();
    }
    let a = authority.pubkey();
    c.send(&[ix::initialize_registry(a, a, a)], &authority, &[])
        .unwrap();
    // Both commit to NPIs; the directory naming them is written for the page
    // test to publish (it checks the names appear only then).
    let mut orgs = Vec::new();
    for (k, kind, npi, name, salt) in [
        (
            &lab,
            ProviderKind::Laboratory,
            "1245319599",
            "Valley Lab",
            [2u8; 32],
        ),
        (
            &hospital,
            ProviderKind::Hospital,
            "1234567893",
            "City Hospital",
            [1u8; 32],
        ),
    ] {
        let npi = hdx_sdk::credential::Npi::parse(npi).unwrap();
        c.send(
            &[ix::register_provider_npi(k.pubkey(), kind, &salt, &npi)],
            k,
            &[],
        )
        .unwrap();
        c.send(&[ix::verify_provider(a, &k.pubkey())], &authority, &[])
            .unwrap();
        orgs.push(hdx_sdk::directory::Organization {
            provider: k.pubkey(),
            name: name.into(),
            npi: npi.to_string(),
            salt: salt.iter().map(|b| format!("{b:02x}")).collect(),
            kind: kind.name().into(),
            address: Some("1 Main St, Springfield".into()),
            endpoint: None,
        });
    }
    std::fs::write(
        keys.join("directory.json"),
        hdx_sdk::directory::bundle(&orgs),
    )
    .unwrap();
    c.send(
        &[ix::set_provider_roles(
            a,
            &hospital.pubkey(),
            ROLE_EMERGENCY,
        )],
        &authority,
        &[],
    )
    .unwrap();

    // The page hdx serve serves is the committed bundle.
    let (status, body) = get(&s.url, "/");
    assert_eq!(status, 200);
    assert!(
        body.contains("<script type=\"module\" src=\"app.js\">"),
        "{body}"
    );

    // The patient's data gateway, which the page uploads a file to.
    let gateway = hdx::served::GatewayProcess::start(
        Path::new(HDX),
        keys,
        &s.url,
        &keys.join("gateway"),
        &[],
    )
    .unwrap();

    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let run = npm_dir("web", &web, &["test/page.test.mjs", "test/wallet.js"]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../idl/health_data_exchange.json");
    node_test(
        &run,
        "test/page.test.mjs",
        300_000,
        &[
            ("HDX_URL", s.url.clone().into()),
            ("HDX_BIN", HDX.into()),
            ("HDX_CHROMIUM", chromium.into()),
            ("HDX_IDL", idl.into()),
            ("HDX_PATIENT", patient.pubkey().to_string().into()),
            ("HDX_PATIENT_KEY", keys.join("patient.json").into()),
            ("HDX_LAB", lab.pubkey().to_string().into()),
            ("HDX_LAB_KEY", keys.join("lab.json").into()),
            ("HDX_AUTHORITY_KEY", keys.join("authority.json").into()),
            ("HDX_DIRECTORY_FILE", keys.join("directory.json").into()),
            ("HDX_HOSPITAL_KEY", keys.join("hospital.json").into()),
            ("HDX_MUM_KEY", keys.join("mum.json").into()),
            ("HDX_CHILD_KEY", keys.join("child.json").into()),
            ("HDX_SCREENSHOTS", shots.clone().into()),
            ("HDX_GATEWAY", gateway.url.clone().into()),
            ("HDX_TMP", keys.into()),
            ("HOME", keys.into()),
        ],
        1,
    );
    for shot in [
        "patient-page-desktop.png",
        "patient-page-phone.png",
        "patient-page-phone-disclosures.png",
    ] {
        let len = std::fs::metadata(shots.join(shot)).map_or(0, |m| m.len());
        assert!(len > 10_000, "{shot}: {len} bytes");
    }
    println!("screenshots in {}", shots.display());
}

#[test]
fn the_fhir_export_route_refuses_bad_requests_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let k = Keypair::new();
    write_keypair_file(&k, dir.path().join("authority.json")).unwrap();
    let s = Server::start(
        dir.path(),
        &dir.path().join("ledger"),
        &dir.path().join("authority.json"),
    );
    for (path, status, error, message) in [
        (
            "/export/fhir",
            400,
            "BadRequest",
            "name the patient: /export/fhir?patient=<patient id>",
        ),
        (
            "/export/fhir?patient=nope",
            400,
            "BadRequest",
            "patient \"nope\" is not a base58 public key",
        ),
        (
            "/export/fhir?patient=11111111111111111111111111111111&provider=x",
            400,
            "BadRequest",
            "provider \"x\" is not a base58 public key",
        ),
        (
            "/export/fhir?patient=11111111111111111111111111111111&since=yesterday",
            400,
            "BadRequest",
            "since \"yesterday\" is not a time in unix seconds",
        ),
    ] {
        let (got, body) = get(&s.url, path);
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            json!({ "error": error, "message": message }),
            "{path}"
        );
    }
    let unknown = Keypair::new().pubkey();
    let (got, body) = get(&s.url, &format!("/export/fhir?patient={unknown}"));
    assert_eq!(got, 404, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "NotFound");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains(&unknown.to_string()),
        "{v}"
    );
    // The page's own files, with their types; JSON-RPC still answers at /.
    for (path, ty) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
    ] {
        let (got, head, _) = get_full(&s.url, path);
        assert_eq!(got, 200, "{path}");
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("content-type: {ty}")),
            "{path}: {head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("content-security-policy: default-src 'none'"),
            "{path}: {head}"
        );
    }
    s.healthy();
}

fn get(url: &str, path: &str) -> (u16, String) {
    let (status, _, body) = get_full(url, path);
    (status, body)
}

/// One raw HTTP GET: (status, head, body).
fn get_full(url: &str, path: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The page's directory check gives the names the SDK's gives: cases made
/// here with the SDK (the bundle the registry authority publishes, a
/// tampered copy, a salt that opens nothing, a wrong check digit, another
/// kind, no directory) run through `app/web/src/directory.js` under node.
#[test]
fn the_page_names_the_providers_the_sdk_names() {
    use base64::Engine;
    use hdx_sdk::codes::{IdentifierSystem, ProviderKind, ProviderStatus, StatusBasis};
    use hdx_sdk::credential::{npi_commitment, Npi};
    use hdx_sdk::directory::{bundle, bundle_sha256, display, Organization, VerifiedDirectory};
    use hdx_sdk::program::state::{Directory, Provider};
    use solana_sdk::pubkey::Pubkey;

    let provider = |kind: ProviderKind, salt: [u8; 32], npi: &str| Provider {
        id: Pubkey::new_unique(),
        signer: Pubkey::default(),
        status: ProviderStatus::Verified,
        kind,
        number: 0,
        version: 1,
        bump: 255,
        roles: 0,
        credential_commitment: npi_commitment(&salt, &Npi::parse(npi).unwrap()),
        registered_at: 0,
        status_changed_at: 0,
        identifier_system: IdentifierSystem::UsNpi,
        basis: StatusBasis::Authority,
        attestation: Pubkey::default(),
        attestation_expiry: 0,
        reserved: [0; Provider::RESERVED],
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let city = provider(ProviderKind::Hospital, [1; 32], "1234567893");
    let lab = provider(ProviderKind::Laboratory, [2; 32], "1245319599");
    let org = |p: &Provider, name: &str, npi: &str, salt: [u8; 32], kind: &str| Organization {
        provider: p.id,
        name: name.into(),
        npi: npi.into(),
        salt: hex(&salt),
        kind: kind.into(),
        address: None,
        endpoint: Some("https://ehr.example/fhir".into()),
    };
    let good = vec![
        org(&city, "City Hospital", "1234567893", [1; 32], "hospital"),
        org(&lab, "Valley Lab", "1245319599", [2; 32], "laboratory"),
    ];
    let variant = |i: usize, f: &dyn Fn(&mut Organization)| {
        let mut orgs = good.clone();
        f(&mut orgs[i]);
        bundle(&orgs)
    };
    let good_bytes = bundle(&good);
    let tampered = String::from_utf8(good_bytes.clone())
        .unwrap()
        .replace("Valley", "Va11ey")
        .into_bytes();
    /// A case: its name, the bundle served (if any), the hash published (if fixed).
    type Case = (&'static str, Option<Vec<u8>>, Option<[u8; 32]>);
    let cases: Vec<Case> = vec![
        (
            "published",
            Some(good_bytes.clone()),
            Some(bundle_sha256(&good_bytes)),
        ),
        ("tampered", Some(tampered), Some(bundle_sha256(&good_bytes))),
        ("nothing published", Some(good_bytes.clone()), None),
        ("not served", None, Some(bundle_sha256(&good_bytes))),
        (
            "a salt that opens nothing",
            Some(variant(1, &|o| o.salt = "00".repeat(32))),
            None,
        ),
        (
            "a wrong check digit",
            Some(variant(1, &|o| o.npi = "1245319590".into())),
            None,
        ),
        (
            "another kind",
            Some(variant(0, &|o| o.kind = "clinic".into())),
            None,
        ),
    ];
    let mut out = Vec::new();
    for (name, served, published) in cases {
        // A variant is published as served (its own hash): only the entry is at fault.
        let published = published.or_else(|| {
            (name != "nothing published").then(|| bundle_sha256(served.as_ref().unwrap()))
        });
        let anchor = published.map(|h| Directory::first(h, 2, 255, 0));
        let directory = VerifiedDirectory::new(
            anchor.as_ref(),
            served.as_deref().ok_or_else(|| "not served".to_string()),
        );
        let expect: serde_json::Map<String, serde_json::Value> = [&city, &lab]
            .iter()
            .map(|p| {
                let named = directory.organization(p).is_some();
                (
                    p.id.to_string(),
                    if named {
                        display(&directory.name(p), "").into()
                    } else {
                        serde_json::Value::Null
                    },
                )
            })
            .collect();
        let providers_json: Vec<serde_json::Value> = [&city, &lab]
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id.to_string(),
                    "kind": p.kind.name(),
                    "system": p.identifier_system.name(),
                    "commitment": hex(&p.credential_commitment),
                })
            })
            .collect();
        out.push(serde_json::json!({
            "case": name,
            "bundle_b64": served.map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
            "published": published.map(|h| hex(&h)),
            "providers": providers_json,
            "expect": expect,
        }));
    }
    // The SDK names both in the published case and nobody in the tampered one.
    assert_eq!(
        out[0]["expect"]
            .as_object()
            .unwrap()
            .values()
            .filter(|v| v.is_string())
            .count(),
        2
    );
    assert!(out[1]["expect"]
        .as_object()
        .unwrap()
        .values()
        .all(|v| v.is_null()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&out).unwrap()).unwrap();
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    node_test(
        &web,
        "test/directory.test.mjs",
        30_000,
        &[("HDX_DIRECTORY_CASES", file.into())],
        2,
    );
}

/// The page's upload (`app/web/src/gateway.js`) signs what the gateway
/// verifies: the same CIDs as `hdx_sdk::cid` (content with extreme hashes
/// too), the same request line as `hdx_sdk::gateway::upload_line`, and the
/// same off-chain message bytes (a signature made here by the SDK must verify
/// in node over the bytes the page builds).
#[test]
fn the_page_builds_an_upload_as_the_sdk_does() {
    use hdx_sdk::codes::Category;
    use hdx_sdk::gateway as protocol;
    use sha2::{Digest, Sha256};
    let key = Keypair::new();
    let patient = Keypair::new().pubkey();
    let mut cases = Vec::new();
    for (i, hash) in [
        Sha256::digest(b"hello world").into(),
        [0u8; 32],
        [0xffu8; 32],
        Sha256::digest(b"").into(),
    ]
    .into_iter()
    .enumerate()
    {
        let cid = hdx_sdk::cid::of_hash(&hash);
        let path = protocol::upload_path(&patient, &cid);
        let (record, category, time) = [
            (0, Category::LabResults, 0),
            (u32::MAX, Category::Genomics, i64::MAX),
            (7, Category::MentalHealth, i64::MIN),
            (1, Category::Imaging, 1_790_000_000),
        ][i];
        let nonce = protocol::hex(&[i as u8; 16]);
        let line = protocol::upload_line(&path, record, category, &hash, time, &nonce);
        let signature = protocol::sign(&key, &line).unwrap();
        cases.push(json!({
            "hash": protocol::hex(&hash),
            "cid": cid,
            "path": path,
            "record": record,
            "category": category.name(),
            "time": time.to_string(),
            "nonce": nonce,
            "line": line,
            "signer": protocol::hex(&key.pubkey().to_bytes()),
            "signature": protocol::hex(signature.as_ref()),
        }));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    node_test(
        &web,
        "test/gateway.test.mjs",
        30_000,
        &[("HDX_UPLOAD_CASES", file.into())],
        2,
    );
}
