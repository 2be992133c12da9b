//! The patient's page (`app/web`) in a real browser: `hdx serve` on a
//! temporary ledger serves it; a verified lab and a hospital with the
//! emergency role are registered here through the SDK; then
//! `app/web/test/page.test.mjs` (node's test runner, `playwright-core`
//! driving Debian's Chromium, packages pinned by `app/web/package-lock.json`)
//! registers the patient, adds records, grants, watches the lab be granted
//! and denied, sees the disclosures, ends an emergency window, revokes,
//! verifies the chain, downloads the FHIR export and approves a guardian
//! proposal — every transaction signed by a Wallet Standard test wallet that
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
    for (k, kind) in [
        (&lab, ProviderKind::Laboratory),
        (&hospital, ProviderKind::Hospital),
    ] {
        c.send(&[ix::register_provider(k.pubkey(), kind, [7; 32])], k, &[])
            .unwrap();
        c.send(&[ix::verify_provider(a, &k.pubkey())], &authority, &[])
            .unwrap();
    }
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
            ("HDX_HOSPITAL_KEY", keys.join("hospital.json").into()),
            ("HDX_MUM_KEY", keys.join("mum.json").into()),
            ("HDX_CHILD_KEY", keys.join("child.json").into()),
            ("HDX_SCREENSHOTS", shots.clone().into()),
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
