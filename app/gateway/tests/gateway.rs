//! The gateway releases a record's data only against a fresh, granted,
//! unredeemed read entry of the right provider for the right record, under
//! a consent that still allows it; every other request gets a 4xx/5xx with
//! a JSON body naming the problem, is written to the trail, and releases
//! nothing. Against a real node (JSON-RPC on loopback) and a real HTTP server.

mod common;

use common::*;
use hdx_gateway::{Config, Reason};
use hdx_sdk::gateway::{self as protocol, GatewayError};
use hdx_sdk::{cid, ix};
use solana_sdk::signature::{Keypair, Signer};

/// Asserts a refusal: status, error name, a message, a trail row with that
/// reason for this path, and no new release.
#[track_caller]
fn refused(w: &World, a: &Answer, reason: Reason, path_hint: &str) {
    let before = w.redemptions();
    assert_eq!(
        (a.status, a.error()),
        (reason.status(), reason.name().to_string()),
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    assert!(!a.json()["message"].as_str().unwrap().is_empty());
    let last = w.trail().pop().expect("a trail row");
    assert_eq!(last.reason, reason.name(), "{last:?}");
    assert!(last.path.contains(path_hint), "{last:?}");
    assert_eq!(w.redemptions(), before);
}

#[test]
fn a_granted_read_releases_the_data_once_and_the_trails_reconcile() {
    let w = World::new(Config::default());
    let p = w.p();
    let entry = w.access(&w.lab, AT_GATEWAY);
    let data = w
        .gateway_client()
        .fetch(
            &w.lab,
            &p,
            AT_GATEWAY,
            entry,
            &hash(w.data[0].as_ref().unwrap()),
            w.now(),
        )
        .unwrap();
    assert_eq!(Some(data), w.data[0]);

    // The trail: two uploads at setup, then this release naming its entry.
    let trail = w.trail();
    let reasons: Vec<&str> = trail.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons, ["Uploaded", "Uploaded", "Released"]);
    let release = trail.last().unwrap();
    assert_eq!(release.entry, Some(entry));
    assert_eq!(release.record, Some(AT_GATEWAY));
    assert_eq!(
        release.signer.as_deref(),
        Some(w.lab.pubkey().to_string().as_str())
    );
    assert_eq!(release.patient.as_deref(), Some(p.to_string().as_str()));
    assert_eq!(
        release.cid.as_deref(),
        Some(cid::of_hash(&hash(w.data[0].as_ref().unwrap())).as_str())
    );
    let r = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert_eq!((r.releases, r.matched, r.ok()), (1, 1, true), "{r:?}");

    // Single use: the same entry again, freshly signed, is refused.
    let again = Raw::release(&w.lab, &p, AT_GATEWAY, entry, w.now()).send(&w.url);
    refused(&w, &again, Reason::AlreadyRedeemed, "/v1/records/");
    // A new access gives a new entry, which releases.
    let entry2 = w.access(&w.lab, AT_GATEWAY);
    let a = Raw::release(&w.lab, &p, AT_GATEWAY, entry2, w.now()).send(&w.url);
    assert_eq!(a.status, 200);
    assert_eq!(a.entry_header, Some(entry2.to_string()));
    let r = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert_eq!((r.releases, r.matched), (2, 2));
}

#[test]
fn the_client_checks_the_hash_and_names_a_refusal() {
    let w = World::new(Config::default());
    let p = w.p();
    let entry = w.access(&w.lab, AT_GATEWAY);
    // The provider's client holds the on-chain hash: data that is not it is an error.
    let err = w
        .gateway_client()
        .fetch(&w.lab, &p, AT_GATEWAY, entry, &[0; 32], w.now())
        .unwrap_err();
    assert!(
        err.to_string().contains("is not the record's content hash"),
        "{err}"
    );
    // (the gateway released it: the redemption is spent)
    match w
        .gateway_client()
        .fetch(&w.lab, &p, AT_GATEWAY, entry, &[0; 32], w.now())
        .unwrap_err()
    {
        GatewayError::Refused(r) => {
            assert_eq!(
                (r.status, r.error.as_str()),
                (409, "AlreadyRedeemed"),
                "{r:?}"
            )
        }
        e => panic!("{e}"),
    }
    match GatewayClient::new("http://127.0.0.1:9").fetch(&w.lab, &p, 0, entry, &[0; 32], w.now()) {
        Err(GatewayError::Unreachable { url, .. }) => assert_eq!(url, "http://127.0.0.1:9"),
        other => panic!("{other:?}"),
    }
}

use hdx_sdk::gateway::GatewayClient;

#[test]
fn every_bad_release_request_is_refused_named_logged_and_releases_nothing() {
    let w = World::new(Config::default());
    let p = w.p();
    let rec = "/v1/records/";
    let now = w.now();
    let entry = w.access(&w.lab, AT_GATEWAY);

    // Missing or malformed signature headers.
    for name in [
        protocol::SIGNER_HEADER,
        protocol::SIGNATURE_HEADER,
        protocol::TIME_HEADER,
        protocol::NONCE_HEADER,
    ] {
        let a = Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
            .without(name)
            .send(&w.url);
        refused(&w, &a, Reason::MissingSignature, rec);
        assert!(
            a.json()["message"].as_str().unwrap().contains(name),
            "{:?}",
            a.json()
        );
    }
    for (name, value) in [
        (protocol::SIGNER_HEADER, "not-a-key"),
        (protocol::SIGNATURE_HEADER, "xyz"),
        (protocol::TIME_HEADER, "yesterday"),
        (protocol::NONCE_HEADER, "short"),
        (protocol::NONCE_HEADER, "zzzzzzzzzzzzzzzzzzzz"),
    ] {
        let a = Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
            .header(name, value)
            .send(&w.url);
        refused(&w, &a, Reason::MissingSignature, rec);
    }
    // A signature by another key, claiming to be the lab.
    let nonce = protocol::nonce().unwrap();
    let path = protocol::release_path(&p, AT_GATEWAY);
    let line = protocol::release_line(&path, entry, now, &nonce);
    let forged = Raw {
        headers: signed_headers(&w.lab.pubkey(), &w.lab2, &line, now, &nonce),
        ..Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
    };
    refused(&w, &forged.send(&w.url), Reason::BadSignature, rec);
    // The lab's signature over another entry, sent for this one.
    let other_line = protocol::release_line(&path, entry + 1, now, &nonce);
    let moved = Raw {
        headers: signed_headers(&w.lab.pubkey(), &w.lab, &other_line, now, &nonce),
        ..Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
    };
    refused(&w, &moved.send(&w.url), Reason::BadSignature, rec);
    // A request signed for another time than its header says.
    let a = Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
        .header(protocol::TIME_HEADER, &(now + 1).to_string())
        .send(&w.url);
    refused(&w, &a, Reason::BadSignature, rec);
    // A stale request (well signed, ten minutes old) and one from the future.
    for t in [now - 600, now + 600] {
        let a = Raw::release(&w.lab, &p, AT_GATEWAY, entry, t).send(&w.url);
        refused(&w, &a, Reason::StaleRequest, rec);
    }
    // A key that is no provider's; a registered patient is not a provider either.
    let stranger = Keypair::new();
    refused(
        &w,
        &Raw::release(&stranger, &p, AT_GATEWAY, entry, now).send(&w.url),
        Reason::NotAProvider,
        rec,
    );
    // Not a patient.
    let nobody = Keypair::new().pubkey();
    refused(
        &w,
        &Raw::release(&w.lab, &nobody, AT_GATEWAY, entry, now).send(&w.url),
        Reason::NotAPatient,
        rec,
    );
    // An entry that does not exist (on an existing page, and far beyond).
    for e in [entry + 1, 64 * 1_000] {
        refused(
            &w,
            &Raw::release(&w.lab, &p, AT_GATEWAY, e, now).send(&w.url),
            Reason::EntryNotFound,
            rec,
        );
    }
    // A denied entry: the lab asks for a purpose its consent lacks.
    let denied =
        w.c.access_record(
            &w.lab,
            &w.lab.pubkey(),
            &p,
            AT_GATEWAY,
            hdx_sdk::codes::Purpose::Research,
        )
        .unwrap_err();
    let denied = match denied {
        hdx_sdk::client::ClientError::Denied(d) => d.sequence,
        e => panic!("{e}"),
    };
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, denied, now).send(&w.url),
        Reason::EntryNotGranted,
        rec,
    );
    // Another provider's entry.
    let theirs = w.access(&w.lab2, AT_GATEWAY);
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, theirs, now).send(&w.url),
        Reason::OtherProvidersEntry,
        rec,
    );
    // Another record's entry: granted for record 0, asked for record 1.
    refused(
        &w,
        &Raw::release(&w.lab, &p, IMAGING, entry, now).send(&w.url),
        Reason::OtherRecordsEntry,
        rec,
    );
    // A write entry (lab2 may write): granted, but not a read.
    let index =
        w.c.write_record(
            &w.lab2,
            &w.lab2.pubkey(),
            &p,
            hdx_sdk::program::WriteRecordArgs {
                category: hdx_sdk::codes::Category::LabResults,
                clinical_day: 0,
                locator: cid::locator(&[5; 32]).into_bytes(),
                content_hash: [5; 32],
                purpose: hdx_sdk::codes::Purpose::Treatment,
            },
        )
        .unwrap();
    let write_entry = w.last_entry();
    refused(
        &w,
        &Raw::release(&w.lab2, &p, index, write_entry, now).send(&w.url),
        Reason::EntryNotARead,
        rec,
    );
    // Records the gateway does not hold.
    let e = w.access(&w.lab, NOT_A_GATEWAY_RECORD);
    refused(
        &w,
        &Raw::release(&w.lab, &p, NOT_A_GATEWAY_RECORD, e, now).send(&w.url),
        Reason::NotAGatewayRecord,
        rec,
    );
    let e = w.access(&w.lab, NOT_UPLOADED);
    refused(
        &w,
        &Raw::release(&w.lab, &p, NOT_UPLOADED, e, now).send(&w.url),
        Reason::BlobNotFound,
        rec,
    );
    // A replay: a request that was answered, sent again byte for byte.
    let e = w.access(&w.lab, AT_GATEWAY);
    let once = Raw::release(&w.lab, &p, AT_GATEWAY, e, now);
    assert_eq!(once.send(&w.url).status, 200);
    refused(&w, &once.send(&w.url), Reason::Replay, rec);
    // Odd paths and queries.
    for (path, query) in [
        (format!("/v1/records/{p}/0x1"), "entry=0".to_string()),
        (format!("/v1/records/{p}/-1"), "entry=0".to_string()),
        (
            format!("/v1/records/{p}/99999999999"),
            "entry=0".to_string(),
        ),
        (format!("/v1/records/{p}%00/0"), "entry=0".to_string()),
        (format!("/v1/records/{p}/0"), "entry=-1".to_string()),
        (format!("/v1/records/{p}/0"), "entry=1e3".to_string()),
        (format!("/v1/records/{p}/0"), String::new()),
        (format!("/v1/records/{p}/0"), "entry=0&entry=1".to_string()),
    ] {
        let a = Raw {
            path: path.clone(),
            query,
            ..Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
        }
        .send(&w.url);
        refused(&w, &a, Reason::BadRequest, "/v1/records/");
    }
    for (method, path) in [
        (reqwest::Method::GET, "/etc/passwd".to_string()),
        (reqwest::Method::GET, format!("/v1/records/{p}/0/extra")),
        (reqwest::Method::DELETE, format!("/v1/records/{p}/0")),
        (reqwest::Method::GET, "/v1/blobs/x/y".to_string()),
        // A client resolves dot segments, so a traversal reaches no endpoint.
        (reqwest::Method::GET, "/v1/records/%2e%2e/0".to_string()),
    ] {
        let a = Raw {
            method,
            path: path.clone(),
            ..Raw::release(&w.lab, &p, AT_GATEWAY, entry, now)
        }
        .send(&w.url);
        refused(&w, &a, Reason::NoSuchEndpoint, "/");
    }
    // Nothing above released anything but the one answered request.
    let released = w.trail().iter().filter(|r| r.reason == "Released").count();
    assert_eq!((released, w.redemptions()), (1, 1));
}

#[test]
fn a_change_on_chain_after_the_access_stops_the_release() {
    let w = World::new(Config::default());
    let p = w.p();
    let rec = "/v1/records/";
    // Revoked after the access.
    let entry = w.access(&w.lab, AT_GATEWAY);
    w.c.send(
        &[ix::revoke_consent(w.p(), &p, &w.lab.pubkey())],
        &w.patient,
        &[],
    )
    .unwrap();
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, entry, w.now()).send(&w.url),
        Reason::ConsentNotLive,
        rec,
    );
    // Narrowed after the access: lab2's consent updated to imaging only.
    let entry = w.access(&w.lab2, AT_GATEWAY);
    let terms = hdx_sdk::program::ConsentTerms {
        categories: hdx_sdk::codes::Category::Imaging.bit(),
        modes: hdx_sdk::codes::MODE_READ,
        purposes: hdx_sdk::codes::ALL_PURPOSES,
        not_before: T0,
        expires_at: T0 + 86_400,
        ..Default::default()
    };
    w.c.send(
        &[ix::update_consent(p, &p, &w.lab2.pubkey(), terms)],
        &w.patient,
        &[],
    )
    .unwrap();
    refused(
        &w,
        &Raw::release(&w.lab2, &p, AT_GATEWAY, entry, w.now()).send(&w.url),
        Reason::ConsentNotLive,
        rec,
    );
    // Suspended after the access (lab2's consent restored first).
    w.c.send(
        &[ix::update_consent(
            p,
            &p,
            &w.lab2.pubkey(),
            hdx_sdk::program::ConsentTerms {
                categories: hdx_sdk::codes::Category::LabResults.bit(),
                ..terms
            },
        )],
        &w.patient,
        &[],
    )
    .unwrap();
    let entry = w.access(&w.lab2, AT_GATEWAY);
    w.c.send(
        &[ix::suspend_provider(w.auth.pubkey(), &w.lab2.pubkey())],
        &w.auth,
        &[],
    )
    .unwrap();
    refused(
        &w,
        &Raw::release(&w.lab2, &p, AT_GATEWAY, entry, w.now()).send(&w.url),
        Reason::ProviderSuspended,
        rec,
    );
    w.c.send(
        &[ix::reinstate_provider(w.auth.pubkey(), &w.lab2.pubkey())],
        &w.auth,
        &[],
    )
    .unwrap();
    // Reinstated within the window: the same entry now releases.
    assert_eq!(
        Raw::release(&w.lab2, &p, AT_GATEWAY, entry, w.now())
            .send(&w.url)
            .status,
        200
    );
    // Stale: an entry older than the window (5 minutes), asked for at the cluster's new time.
    let entry = w.access(&w.lab2, AT_GATEWAY);
    w.set_time(T0 + 301);
    refused(
        &w,
        &Raw::release(&w.lab2, &p, AT_GATEWAY, entry, w.now()).send(&w.url),
        Reason::EntryStale,
        rec,
    );
    w.set_time(T0 + 300);
    // At exactly the window's edge it still releases.
    assert_eq!(
        Raw::release(&w.lab2, &p, AT_GATEWAY, entry, w.now())
            .send(&w.url)
            .status,
        200
    );
}

#[test]
fn tampered_blobs_are_refused_not_released() {
    let w = World::new(Config::default());
    let p = w.p();
    let data = w.data[0].clone().unwrap();
    let cid = cid::of_hash(&hash(&data));
    let file = w.dir.path().join("blobs").join(p.to_string()).join(&cid);
    let sealed = std::fs::read(&file).unwrap();
    assert!(
        !sealed.windows(data.len()).any(|x| x == data),
        "sealed at rest"
    );
    // One bit flipped on disk.
    let mut flipped = sealed.clone();
    flipped[3] ^= 1;
    std::fs::write(&file, &flipped).unwrap();
    let e = w.access(&w.lab, AT_GATEWAY);
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now()).send(&w.url),
        Reason::BlobCorrupt,
        "/v1/records/",
    );
    // Another blob's ciphertext moved under this name.
    let other = cid::of_hash(&hash(w.data[1].as_ref().unwrap()));
    std::fs::copy(file.with_file_name(&other), &file).unwrap();
    let e = w.access(&w.lab, AT_GATEWAY);
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now()).send(&w.url),
        Reason::BlobCorrupt,
        "/v1/records/",
    );
    // Deleted.
    std::fs::remove_file(&file).unwrap();
    let e = w.access(&w.lab, AT_GATEWAY);
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now()).send(&w.url),
        Reason::BlobCorrupt,
        "/v1/records/",
    );
    // Other data sealed (with the custodian's own key) under this CID: the hash check refuses it.
    let key =
        hdx_gateway::seal::MasterKey::load_or_create(&w.dir.path().join("master.key")).unwrap();
    let wrong = key.seal(&cid, b"someone else's results").unwrap();
    w.gateway
        .store()
        .put_blob(
            &p.to_string(),
            &cid,
            22,
            &wrong,
            &hdx_gateway::store::TrailRow {
                reason: "Uploaded".into(),
                method: "TEST".into(),
                path: "planted".into(),
                message: "planted".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let e = w.access(&w.lab, AT_GATEWAY);
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now()).send(&w.url),
        Reason::HashMismatch,
        "/v1/records/",
    );
    // The patient uploads the file again: it releases again.
    w.gateway_client()
        .upload(&w.patient, &p, &data, w.now())
        .unwrap();
    let e = w.access(&w.lab, AT_GATEWAY);
    assert_eq!(
        Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now())
            .send(&w.url)
            .body,
        data
    );
}

#[test]
fn every_bad_upload_is_refused_named_logged_and_stores_nothing() {
    let w = World::new(Config {
        max_upload: 1 << 20,
        ..Config::default()
    });
    let p = w.p();
    let up = "/v1/blobs/";
    let now = w.now();
    let blobs = || {
        std::fs::read_dir(w.dir.path().join("blobs").join(p.to_string()))
            .unwrap()
            .count()
    };
    let held = blobs();
    // Over the limit: by its declared length, and streamed (chunked) without one.
    let big = vec![7u8; (1 << 20) + 1];
    let a = Raw::upload(&w.patient, &p, &big, now).send(&w.url);
    refused(&w, &a, Reason::TooLarge, up);
    let h = hash(&big);
    let path = protocol::upload_path(&p, &cid::of_hash(&h));
    let nonce = protocol::nonce().unwrap();
    let mut req = reqwest::blocking::Client::new()
        .put(format!("{}{path}", w.url))
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            big.clone(),
        )));
    for (n, v) in signed_headers(
        &p,
        &w.patient,
        &protocol::upload_line(&path, &h, now, &nonce),
        now,
        &nonce,
    ) {
        req = req.header(n, v);
    }
    let r = req.send().unwrap();
    assert_eq!(r.status().as_u16(), 413);
    // Exactly at the limit is fine.
    let fits = vec![8u8; 1 << 20];
    assert_eq!(
        Raw::upload(&w.patient, &p, &fits, now).send(&w.url).status,
        201
    );
    let held = held + 1;
    // Another patient's id: the signer is not its authority.
    let a = Raw::upload(&w.patient, &w.other.pubkey(), b"not yours", now).send(&w.url);
    refused(&w, &a, Reason::NotPatientAuthority, up);
    // A provider uploading for the patient.
    let a = Raw::upload(&w.lab, &p, b"from the lab", now).send(&w.url);
    refused(&w, &a, Reason::NotPatientAuthority, up);
    // Not a patient at all.
    let a = Raw::upload(&w.patient, &Keypair::new().pubkey(), b"x", now).send(&w.url);
    refused(&w, &a, Reason::NotAPatient, up);
    // A body that is not what the CID names (signed as sent).
    let named = Raw::upload(&w.patient, &p, b"the real thing", now);
    let body = b"something else".to_vec();
    let line = protocol::upload_line(&named.path, &hash(&body), now, "00112233445566778899");
    let a = Raw {
        headers: signed_headers(&p, &w.patient, &line, now, "00112233445566778899"),
        body,
        ..named
    }
    .send(&w.url);
    refused(&w, &a, Reason::ContentMismatch, up);
    // The body changed after signing.
    let mut a = Raw::upload(&w.patient, &p, b"signed body", now);
    a.body = b"other body".to_vec();
    refused(&w, &a.send(&w.url), Reason::BadSignature, up);
    // Unsigned, stale, replayed.
    refused(
        &w,
        &Raw::upload(&w.patient, &p, b"x", now)
            .without(protocol::SIGNATURE_HEADER)
            .send(&w.url),
        Reason::MissingSignature,
        up,
    );
    refused(
        &w,
        &Raw::upload(&w.patient, &p, b"x", now - 301).send(&w.url),
        Reason::StaleRequest,
        up,
    );
    let once = Raw::upload(&w.patient, &p, b"once", now);
    assert_eq!(once.send(&w.url).status, 201);
    let held = held + 1;
    refused(&w, &once.send(&w.url), Reason::Replay, up);
    // Odd CIDs: uppercase, CIDv0, another codec, garbage, traversal.
    let c = cid::of_hash(&hash(b"x"));
    for bad in [
        c.to_uppercase(),
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG".to_string(),
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi".to_string(),
        "b!!!!".to_string(),
        "bafk%2Fx".to_string(),
    ] {
        let a = Raw {
            path: format!("/v1/blobs/{p}/{bad}"),
            ..Raw::upload(&w.patient, &p, b"x", now)
        }
        .send(&w.url);
        refused(&w, &a, Reason::BadRequest, up);
    }
    assert_eq!(blobs(), held, "no refused upload left a blob");
    let uploads = w.trail().iter().filter(|r| r.reason == "Uploaded").count();
    assert_eq!(uploads, 2 + 2);
}

#[test]
fn concurrent_redemptions_of_one_entry_release_it_once() {
    let w = World::new(Config::default());
    let p = w.p();
    for round in 0..3 {
        let entry = w.access(&w.lab, AT_GATEWAY);
        let now = w.now();
        let requests: Vec<Raw> = (0..8)
            .map(|_| Raw::release(&w.lab, &p, AT_GATEWAY, entry, now))
            .collect();
        let url = w.url.clone();
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = requests
                .iter()
                .map(|r| {
                    let url = url.clone();
                    s.spawn(move || r.send(&url).status)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok = statuses.iter().filter(|s| **s == 200).count();
        let again = statuses.iter().filter(|s| **s == 409).count();
        assert_eq!((ok, again), (1, 7), "round {round}: {statuses:?}");
    }
    let r = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert_eq!((r.releases, r.matched), (3, 3));
}

#[test]
fn an_emergency_read_releases_while_its_window_is_open_and_not_after() {
    let w = World::new(Config::default());
    let p = w.p();
    let er = &w.lab2;
    w.c.send(
        &[ix::set_provider_roles(
            w.auth.pubkey(),
            &er.pubkey(),
            hdx_sdk::codes::ROLE_EMERGENCY,
        )],
        &w.auth,
        &[],
    )
    .unwrap();
    let window =
        w.c.open_emergency(
            er,
            &er.pubkey(),
            &p,
            hdx_sdk::codes::EmergencyReason::PatientCannotConsent,
            600,
        )
        .unwrap();
    // Imaging: lab2's consent does not cover it, the emergency window does.
    let g =
        w.c.emergency_access(er, &er.pubkey(), &p, IMAGING, window)
            .unwrap();
    let a = Raw::release(er, &p, IMAGING, g.sequence, w.now()).send(&w.url);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(Some(a.body), w.data[IMAGING as usize]);
    // Read again, then the window is closed before the fetch: refused.
    let g =
        w.c.emergency_access(er, &er.pubkey(), &p, IMAGING, window)
            .unwrap();
    w.c.send(
        &[ix::close_emergency(er.pubkey(), &er.pubkey(), &p, window)],
        er,
        &[],
    )
    .unwrap();
    refused(
        &w,
        &Raw::release(er, &p, IMAGING, g.sequence, w.now()).send(&w.url),
        Reason::ConsentNotLive,
        "/v1/records/",
    );
    let r = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert_eq!((r.releases, r.matched), (1, 1));
}
