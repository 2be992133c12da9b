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
    let (authority, lab, hospital, mum, child, patient, researcher) = (
        key("authority"),
        key("lab"),
        key("hospital"),
        key("mum"),
        key("child"),
        key("patient"),
        key("researcher"),
    );
    let s = Server::start(keys, &keys.join("ledger"), &keys.join("authority.json"));

    // The registry, a verified lab (no. 0) and a verified hospital with the emergency role (no. 1).
    let c = s.client();
    // Four more patients, so that a study the page's patient joins reaches its cohort of 5.
    let cohort: Vec<Keypair> = (0..4).map(|i| key(&format!("cohort{i}"))).collect();
    for k in cohort
        .iter()
        .chain([&authority, &lab, &hospital, &mum, &child, &researcher])
    {
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
    // It is also the custodian of the researcher's study (the researcher's key stands in).
    let custodian_key = keys.join("researcher.json").display().to_string();
    let gateway = hdx::served::GatewayProcess::start(
        Path::new(HDX),
        keys,
        &s.url,
        &keys.join("gateway"),
        &["--custodian-key", &custodian_key],
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
            ("HDX_RESEARCHER_KEY", keys.join("researcher.json").into()),
            (
                "HDX_COHORT_KEYS",
                (0..cohort.len())
                    .map(|i| keys.join(format!("cohort{i}.json")).display().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
                    .into(),
            ),
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

/// The page's own client (`app/web/src/solana.js`, `app/web/src/coder.js`)
/// against the program's and the SDK's Rust: program-derived addresses
/// (cases chosen so that some bumps are below 255, where the curve check
/// decides), instruction data and account metas for arguments at their
/// extremes (PDAs derived from the IDL's seeds, reading the patient and
/// provider accounts given here), the unsigned transaction's bytes
/// (solana-message's `Message::new_with_blockhash`, bincode), and accounts
/// decoded (a patient, a log page whose entries must encode back to the
/// bytes the program hashes).
#[test]
fn the_page_encodes_as_the_program_does() {
    use anchor_lang::{AccountSerialize, Discriminator};
    use hdx_sdk::codes::{
        Category, GuardianMode, IdentifierSystem, ProviderKind, ProviderStatus, StatusBasis,
    };
    use hdx_sdk::program::state::{
        ConsentTerms, EmergencyPreferences, LogEntry, LogPage, Patient, Provider,
    };
    use hdx_sdk::program::AddRecordArgs;
    use solana_sdk::hash::Hash;
    use solana_sdk::message::Message;
    use solana_sdk::pubkey::Pubkey;
    use solana_sdk::transaction::Transaction;

    let hex = hdx_sdk::gateway::hex;
    let program = hdx_sdk::PROGRAM_ID;

    // PDAs: until at least 8 of them needed a bump below 255.
    let mut pdas = Vec::new();
    let mut below = 0;
    while below < 8 || pdas.len() < 32 {
        let a = Pubkey::new_unique();
        let b = Keypair::new().pubkey();
        let seeds: Vec<Vec<u8>> = vec![
            b"consent".to_vec(),
            a.to_bytes().to_vec(),
            b.to_bytes().to_vec(),
        ];
        let refs: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
        let (address, bump) = Pubkey::find_program_address(&refs, &program);
        below += usize::from(bump < 255);
        pdas.push(json!({
            "seeds": seeds.iter().map(|s| hex(s)).collect::<Vec<_>>(),
            "address": address.to_string(),
            "bump": bump,
        }));
    }

    let account_bytes = |a: &dyn Fn(&mut Vec<u8>)| {
        let mut out = Vec::new();
        a(&mut out);
        hex(&out)
    };
    let patient_id = Keypair::new().pubkey();
    let authority = Keypair::new().pubkey();
    let provider_id = Keypair::new().pubkey();
    let patient = Patient {
        id: patient_id,
        authority,
        version: hdx_sdk::program::state::LAYOUT_VERSION,
        bump: 254,
        guardian_mode: GuardianMode::Alongside,
        record_count: u32::MAX,
        log_pages: 7,
        consent_revisions: u32::MAX - 1,
        emergency_windows: 3,
        registered_at: i64::MIN,
        emergency: EmergencyPreferences {
            opt_out: true,
            excluded: u16::MAX,
        },
        reserved: [0; 32],
    };
    let provider = Provider {
        id: provider_id,
        signer: Keypair::new().pubkey(),
        status: ProviderStatus::Verified,
        kind: ProviderKind::Laboratory,
        number: 9,
        version: hdx_sdk::program::state::LAYOUT_VERSION,
        bump: 255,
        roles: 0,
        credential_commitment: [0xab; 32],
        registered_at: i64::MAX,
        status_changed_at: 0,
        identifier_system: IdentifierSystem::UsNpi,
        basis: StatusBasis::Authority,
        attestation: Pubkey::default(),
        attestation_expiry: -1,
        reserved: [0; 22],
    };
    let patient_data = account_bytes(&|o| patient.try_serialize(o).unwrap());
    let provider_data = account_bytes(&|o| provider.try_serialize(o).unwrap());
    let patient_address = hdx_sdk::pda::patient(&patient_id).0;
    let provider_address = hdx_sdk::pda::provider(&provider_id).0;
    let accounts = json!({
        patient_address.to_string(): patient_data,
        provider_address.to_string(): provider_data,
    });

    let terms = |max: bool| {
        let (n64, x64) = if max { (i64::MIN, i64::MAX) } else { (0, 0) };
        (
            ConsentTerms {
                categories: if max { u16::MAX } else { 0 },
                modes: if max { u8::MAX } else { 0 },
                purposes: if max { u8::MAX } else { 0 },
                not_before: n64,
                expires_at: x64,
                access_limit: if max { u32::MAX } else { 0 },
                from_day: if max { u32::MAX } else { 0 },
                to_day: if max { u32::MAX - 1 } else { 0 },
                renewal_period_secs: if max { u32::MAX } else { 0 },
                renewals_allowed: if max { u16::MAX } else { 0 },
            },
            json!({
                "categories": if max { u16::MAX } else { 0 },
                "modes": if max { u8::MAX } else { 0 },
                "purposes": if max { u8::MAX } else { 0 },
                "notBefore": n64.to_string(),
                "expiresAt": x64.to_string(),
                "accessLimit": if max { u32::MAX } else { 0 },
                "fromDay": if max { u32::MAX } else { 0 },
                "toDay": if max { u32::MAX - 1 } else { 0 },
                "renewalPeriodSecs": if max { u32::MAX } else { 0 },
                "renewalsAllowed": if max { u16::MAX } else { 0 },
            }),
        )
    };
    let blockhash = Hash::new_from_array([7; 32]);
    let case = |name: &str,
                ix: solana_sdk::instruction::Instruction,
                payer: Pubkey,
                args: serde_json::Value,
                given: serde_json::Value| {
        let tx = Transaction::new_unsigned(Message::new_with_blockhash(
            std::slice::from_ref(&ix),
            Some(&payer),
            &blockhash,
        ));
        json!({
            "name": name,
            "args": args,
            "given": given,
            "payer": payer.to_string(),
            "data": hex(&ix.data),
            "keys": ix.accounts.iter().map(|m| json!({
                "pubkey": m.pubkey.to_string(), "isSigner": m.is_signer, "isWritable": m.is_writable,
            })).collect::<Vec<_>>(),
            "tx": hex(&bincode::serialize(&tx).unwrap()),
        })
    };
    let system = anchor_lang::system_program::ID.to_string();
    let mut instructions = Vec::new();
    for max in [true, false] {
        let (t, j) = terms(max);
        instructions.push(case(
            "grantConsent",
            ix::grant_consent(authority, &patient_id, &provider_id, t),
            authority,
            json!({ "terms": j }),
            json!({
                "authority": authority.to_string(),
                "patient": patient_address.to_string(),
                "provider": provider_address.to_string(),
                "systemProgram": system,
            }),
        ));
    }
    let locator = vec![0xff; 128];
    let args = AddRecordArgs {
        category: Category::Genomics,
        clinical_day: u32::MAX,
        locator: locator.clone(),
        content_hash: std::array::from_fn(|i| i as u8),
    };
    instructions.push(case(
        "addRecord",
        ix::add_record(authority, &patient_id, 41, args),
        authority,
        json!({ "args": {
            "category": { "genomics": {} },
            "clinicalDay": u32::MAX,
            "locator": hex(&locator),
            "contentHash": (0..32).collect::<Vec<u8>>(),
        }}),
        json!({
            "authority": authority.to_string(),
            "patient": patient_address.to_string(),
            "record": hdx_sdk::pda::record(&patient_id, 41).0.to_string(),
            "systemProgram": system,
        }),
    ));
    instructions.push(case(
        "setEmergencyPreferences",
        ix::set_emergency_preferences(authority, &patient_id, true, u16::MAX),
        authority,
        json!({ "args": { "optOut": true, "excluded": u16::MAX } }),
        json!({ "authority": authority.to_string(), "patient": patient_address.to_string() }),
    ));
    instructions.push(case(
        "registerPatient",
        ix::register_patient(patient_id),
        patient_id,
        json!({}),
        json!({ "id": patient_id.to_string(), "systemProgram": system }),
    ));

    // A log page with entries at their extremes, as the program stores it.
    let mut page: LogPage = bytemuck::Zeroable::zeroed();
    page.patient = patient_id;
    page.head = [0xee; 32];
    page.first_sequence = u64::MAX - 3;
    page.page_index = 5;
    page.version = hdx_sdk::program::state::LAYOUT_VERSION;
    let entries = [
        LogEntry {
            provider: u32::MAX,
            time: u32::MAX,
            record_index: u32::MAX,
            basis: u32::MAX,
            category: 255,
            action: 255,
            purpose: 255,
            outcome: 255,
        },
        LogEntry::default(),
        LogEntry {
            provider: 1,
            time: 1_790_000_000,
            record_index: 0,
            basis: 2,
            category: 3,
            action: 1,
            purpose: 0,
            outcome: 0,
        },
    ];
    for e in entries {
        page.append(e);
    }
    let mut page_data = LogPage::DISCRIMINATOR.to_vec();
    page_data.extend_from_slice(bytemuck::bytes_of(&page));

    // A study release (created by hand, so the page adds its layout to the IDL's) at its extremes.
    let release = hdx_sdk::program::state::StudyRelease {
        study: provider_id,
        index: u32::MAX,
        version: hdx_sdk::program::state::LAYOUT_VERSION,
        bump: 253,
        at: i64::MAX,
        facts: hdx_sdk::program::state::ReleaseFacts {
            query_hash: [0x51; 32],
            epsilon_milli: u64::MAX,
            cohort_size: u32::MAX - 1,
            cohort_hash: [0xc0; 32],
            cohort_slot: 7,
        },
        head: [0xee; 32],
        reserved: [0; 8],
    };
    let release_data = account_bytes(&|o| release.try_serialize(o).unwrap());
    let cases = json!({
        "program": program.to_string(),
        "studyRelease": {
            "data": release_data,
            "expect": {
                "study": provider_id.to_string(), "index": u32::MAX, "at": i64::MAX.to_string(),
                "epsilonMilli": u64::MAX.to_string(), "cohortSize": u32::MAX - 1, "cohortSlot": 7,
                "queryHash": hex(&[0x51; 32]), "cohortHash": hex(&[0xc0; 32]), "head": hex(&[0xee; 32]),
            },
        },
        "pdas": pdas,
        "accounts": accounts,
        "blockhash": blockhash.to_string(),
        "instructions": instructions,
        "patient": {
            "data": patient_data,
            "expect": {
                "id": patient_id.to_string(), "authority": authority.to_string(),
                "guardianMode": { "alongside": {} }, "recordCount": u32::MAX, "logPages": 7,
                "consentRevisions": u32::MAX - 1, "registeredAt": i64::MIN.to_string(),
                "emergency": { "optOut": true, "excluded": u16::MAX },
            },
        },
        "logPage": {
            "data": hex(&page_data),
            "firstSequence": page.first_sequence.to_string(),
            "entries": entries.iter().map(|e| hex(e.as_bytes())).collect::<Vec<_>>(),
        },
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let run = npm_dir(
        "web",
        &web,
        &[
            "src/solana.js",
            "src/coder.js",
            "src/idl.js",
            "test/coder.test.mjs",
        ],
    );
    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../idl/health_data_exchange.json");
    node_test(
        &run,
        "test/coder.test.mjs",
        30_000,
        &[("HDX_CODER_CASES", file.into()), ("HDX_IDL", idl.into())],
        5,
    );
}
