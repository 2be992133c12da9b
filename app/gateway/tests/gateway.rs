//! The gateway releases a record's data only against a fresh, granted,
//! unredeemed read entry of the right provider for the right record, under
//! a consent that still allows it; every other request gets a 4xx/5xx with
//! a JSON body naming the problem, is written to the trail, and releases
//! nothing. Against a real node (JSON-RPC on loopback) and a real HTTP server.

mod common;

use common::*;
use hdx_gateway::{Config, Reason};
use hdx_sdk::codes::Category;
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
    let file = w.blob_file(&data);
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
    std::fs::copy(w.blob_file(w.data[1].as_ref().unwrap()), &file).unwrap();
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
    // Other data sealed (with the custodian's own key) under this CID, file
    // and row replaced behind the gateway's back: the hash check refuses it.
    let key =
        hdx_gateway::seal::MasterKey::load_or_create(&w.dir.path().join("master.key")).unwrap();
    let wrong = key.seal(&cid, b"someone else's results").unwrap();
    std::fs::write(&file, &wrong.ciphertext).unwrap();
    let db = rusqlite::Connection::open(w.dir.path().join("gateway.sqlite")).unwrap();
    db.execute(
        "UPDATE blobs SET nonce = ?1, wrapped_key = ?2, key_nonce = ?3 WHERE cid = ?4",
        rusqlite::params![
            &wrong.nonce[..],
            wrong.wrapped_key,
            &wrong.key_nonce[..],
            cid
        ],
    )
    .unwrap();
    let e = w.access(&w.lab, AT_GATEWAY);
    refused(
        &w,
        &Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now()).send(&w.url),
        Reason::HashMismatch,
        "/v1/records/",
    );
    // The patient uploads the file again for its record: the bad copy is
    // replaced by a new file (the old one deleted), and it releases again.
    let up = w
        .gateway_client()
        .upload(
            &w.patient,
            &p,
            AT_GATEWAY,
            Category::LabResults,
            &data,
            w.now(),
        )
        .unwrap();
    assert!(!up.created, "the binding was there: an identical upload");
    assert_ne!(
        w.blob_file(&data),
        file,
        "a new file, never the old one rewritten"
    );
    assert!(!file.exists(), "the bad copy is gone");
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
        .put(format!(
            "{}{path}?{}",
            w.url,
            protocol::upload_query(NEXT_RECORD, Category::LabResults)
        ))
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            big.clone(),
        )));
    for (n, v) in signed_headers(
        &p,
        &w.patient,
        &protocol::upload_line(&path, NEXT_RECORD, Category::LabResults, &h, now, &nonce),
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
    // A provider uploading for the patient without a consent to write lab results.
    let a = Raw::upload(&w.lab, &p, b"from the lab", now).send(&w.url);
    refused(&w, &a, Reason::NoWriteConsent, up);
    // A key that is neither the patient's nor a provider's.
    let a = Raw::upload(&w.other, &p, b"from a stranger", now).send(&w.url);
    refused(&w, &a, Reason::NotPatientAuthority, up);
    // Not a patient at all.
    let a = Raw::upload(&w.patient, &Keypair::new().pubkey(), b"x", now).send(&w.url);
    refused(&w, &a, Reason::NotAPatient, up);
    // A body that is not what the CID names (signed as sent).
    let named = Raw::upload(&w.patient, &p, b"the real thing", now);
    let body = b"something else".to_vec();
    let line = protocol::upload_line(
        &named.path,
        NEXT_RECORD,
        Category::LabResults,
        &hash(&body),
        now,
        "00112233445566778899",
    );
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

/// The aliasing attack and its siblings: a blob is released only through the
/// record it was uploaded for (its index, its category, its creator), never
/// through another record that names the same content.
#[test]
fn a_blob_is_released_only_through_the_record_it_was_uploaded_for() {
    use hdx_sdk::codes::Purpose;
    use hdx_sdk::program::{AddRecordArgs, WriteRecordArgs};
    let w = World::new(Config::default());
    let p = w.p();
    let imaging = w.data[IMAGING as usize].clone().unwrap();
    let h = hash(&imaging);
    let locator = cid::locator(&h).into_bytes();
    let records = "/v1/records/";

    // 1. lab2 may read and write lab results only. It writes a lab-results
    // record naming the imaging record's CID and hash (both public on-chain),
    // reads it (granted: lab results) and asks for its data.
    let alias =
        w.c.write_record(
            &w.lab2,
            &w.lab2.pubkey(),
            &p,
            WriteRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: locator.clone(),
                content_hash: h,
                purpose: Purpose::Treatment,
            },
        )
        .unwrap();
    assert_eq!(alias, NEXT_RECORD);
    let e = w.access(&w.lab2, alias);
    refused(
        &w,
        &Raw::release(&w.lab2, &p, alias, e, w.now()).send(&w.url),
        Reason::BlobNotBound,
        records,
    );
    // The same through the SDK's client (what `hdx fetch` calls).
    let e = w.access(&w.lab2, alias);
    match w.gateway_client().fetch(&w.lab2, &p, alias, e, &h, w.now()) {
        Err(GatewayError::Refused(r)) => assert_eq!(r.error, "BlobNotBound"),
        other => panic!("{other:?}"),
    }
    // lab2 cannot bind the imaging bytes to its record without having them;
    // a binding it makes for other bytes does not open this record either.
    let a = Raw::upload_for(
        &w.lab2,
        &p,
        alias,
        Category::LabResults,
        b"lab2's own",
        w.now(),
    )
    .send(&w.url);
    refused(&w, &a, Reason::BindingMismatch, "/v1/blobs/");

    // 2. The same CID under another category: the patient adds a lab-results
    // record naming the imaging content; lab (lab results and imaging) reads it.
    let same =
        w.c.add_record(
            &w.patient,
            &p,
            AddRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: locator.clone(),
                content_hash: h,
            },
        )
        .unwrap();
    let e = w.access(&w.lab, same);
    refused(
        &w,
        &Raw::release(&w.lab, &p, same, e, w.now()).send(&w.url),
        Reason::BlobNotBound,
        records,
    );
    // Bound for that record but as imaging: the upload itself is refused
    // (the record exists and is lab results) ...
    let a =
        Raw::upload_for(&w.patient, &p, same, Category::Imaging, &imaging, w.now()).send(&w.url);
    refused(&w, &a, Reason::BindingMismatch, "/v1/blobs/");
    // ... and a binding made before the record existed, in another category,
    // does not release it either.
    let next = same + 1;
    let up = w
        .gateway_client()
        .upload(&w.patient, &p, next, Category::Imaging, &imaging, w.now())
        .unwrap();
    assert!(up.created);
    w.c.add_record(
        &w.patient,
        &p,
        AddRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: locator.clone(),
            content_hash: h,
        },
    )
    .unwrap();
    let e = w.access(&w.lab, next);
    let a = Raw::release(&w.lab, &p, next, e, w.now()).send(&w.url);
    refused(&w, &a, Reason::BindingMismatch, records);
    assert!(
        a.json()["message"]
            .as_str()
            .unwrap()
            .contains("it was uploaded as imaging, the record is lab-results"),
        "{}",
        a.json()
    );

    // 3. Another patient's record naming this patient's CID: that patient's
    // blobs are its own (nothing held for it).
    let o = w.other.pubkey();
    w.c.add_record(
        &w.other,
        &o,
        AddRecordArgs {
            category: Category::Imaging,
            clinical_day: 0,
            locator: locator.clone(),
            content_hash: h,
        },
    )
    .unwrap();
    let now = w.now();
    w.c.send(
        &[ix::grant_consent(
            o,
            &o,
            &w.lab.pubkey(),
            hdx_sdk::program::ConsentTerms {
                categories: Category::Imaging.bit(),
                modes: hdx_sdk::codes::MODE_READ,
                purposes: hdx_sdk::codes::ALL_PURPOSES,
                not_before: now,
                expires_at: now + 86_400,
                ..Default::default()
            },
        )],
        &w.other,
        &[],
    )
    .unwrap();
    let e =
        w.c.access_record(&w.lab, &w.lab.pubkey(), &o, 0, Purpose::Treatment)
            .unwrap()
            .sequence;
    refused(
        &w,
        &Raw::release(&w.lab, &o, 0, e, w.now()).send(&w.url),
        Reason::BlobNotFound,
        records,
    );

    // 4. A patient-added record pointing at a provider-uploaded blob: lab2
    // uploads its report for the next record, but the patient adds that record.
    let report = b"lab2's report: potassium 4.1 mmol/L".to_vec();
    let hr = hash(&report);
    let next = w.c.patient(&p).unwrap().record_count;
    let up = w
        .gateway_client()
        .upload(&w.lab2, &p, next, Category::LabResults, &report, w.now())
        .unwrap();
    assert_eq!(up.uploader, w.lab2.pubkey().to_string());
    w.c.add_record(
        &w.patient,
        &p,
        AddRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: cid::locator(&hr).into_bytes(),
            content_hash: hr,
        },
    )
    .unwrap();
    let e = w.access(&w.lab2, next);
    let a = Raw::release(&w.lab2, &p, next, e, w.now()).send(&w.url);
    refused(&w, &a, Reason::BindingMismatch, records);
    assert!(
        a.json()["message"].as_str().unwrap().contains(&format!(
            "it was uploaded by {}, the record was created by {p}",
            w.lab2.pubkey()
        )),
        "{}",
        a.json()
    );

    // The legitimate paths still release: lab2 writes the record its upload
    // is for, and the imaging record releases through itself.
    let next = w.c.patient(&p).unwrap().record_count;
    w.gateway_client()
        .upload(&w.lab2, &p, next, Category::LabResults, &report, w.now())
        .unwrap();
    let written =
        w.c.write_record(
            &w.lab2,
            &w.lab2.pubkey(),
            &p,
            WriteRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: cid::locator(&hr).into_bytes(),
                content_hash: hr,
                purpose: Purpose::Treatment,
            },
        )
        .unwrap();
    assert_eq!(written, next);
    let e = w.access(&w.lab2, written);
    assert_eq!(
        Raw::release(&w.lab2, &p, written, e, w.now())
            .send(&w.url)
            .body,
        report
    );
    let e = w.access(&w.lab, IMAGING);
    assert_eq!(
        Raw::release(&w.lab, &p, IMAGING, e, w.now())
            .send(&w.url)
            .body,
        imaging
    );
    let report = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.releases, 2);
}

/// `--reconcile` checks the binding a release went through against the
/// record on-chain, not only the log entry.
#[test]
fn reconcile_names_a_release_whose_binding_is_not_its_record() {
    let w = World::new(Config::default());
    let p = w.p();
    let e = w.access(&w.lab, AT_GATEWAY);
    let a = Raw::release(&w.lab, &p, AT_GATEWAY, e, w.now()).send(&w.url);
    assert_eq!(a.status, 200);
    assert!(hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain())
        .unwrap()
        .ok());
    // The redemption's binding edited behind the gateway's back.
    let db = rusqlite::Connection::open(w.dir.path().join("gateway.sqlite")).unwrap();
    db.execute(
        "UPDATE redemptions SET category = ?1",
        [Category::MentalHealth.code()],
    )
    .unwrap();
    let report = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert!(!report.ok());
    assert_eq!((report.releases, report.matched), (1, 0));
    assert!(
        report.unmatched[0]
            .contains("binding: it was uploaded as mental-health, the record is lab-results"),
        "{:?}",
        report.unmatched
    );
}

/// Eight identical uploads at once all succeed: one binds (201), the others
/// find it bound (200); one blob file is kept, and the record releases.
#[test]
fn concurrent_identical_uploads_all_succeed_and_keep_one_blob() {
    let w = World::new(Config::default());
    let p = w.p();
    let data = b"ferritin 45 ng/mL, drawn 2026-02-03".repeat(1000);
    let now = w.now();
    let barrier = std::sync::Barrier::new(8);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let raw = Raw::upload(&w.patient, &p, &data, now);
                    barrier.wait();
                    raw.send(&w.url).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [200, 200, 200, 200, 200, 200, 200, 201],
        "{statuses:?}"
    );
    let dir = w.dir.path().join("blobs").join(p.to_string());
    let c = cid::of_hash(&hash(&data));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(&c))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    w.c.add_record(
        &w.patient,
        &p,
        hdx_sdk::program::AddRecordArgs {
            category: Category::LabResults,
            clinical_day: 0,
            locator: cid::locator(&hash(&data)).into_bytes(),
            content_hash: hash(&data),
        },
    )
    .unwrap();
    let e = w.access(&w.lab, NEXT_RECORD);
    assert_eq!(
        Raw::release(&w.lab, &p, NEXT_RECORD, e, w.now())
            .send(&w.url)
            .body,
        data
    );
}

/// Request times anywhere in i64 (the edges, one past the window) are
/// refused by name, never a panic.
#[test]
fn extreme_request_times_are_refused_as_stale_never_a_panic() {
    let w = World::new(Config::default());
    let p = w.p();
    let now = w.now();
    let e = w.access(&w.lab, AT_GATEWAY);
    for t in [
        i64::MIN,
        i64::MIN + 1,
        -1,
        0,
        now - 301,
        now + 301,
        i64::MAX - 1,
        i64::MAX,
    ] {
        let a = Raw::release(&w.lab, &p, AT_GATEWAY, e, t).send(&w.url);
        refused(&w, &a, Reason::StaleRequest, "/v1/records/");
        let a = Raw::upload(&w.patient, &p, b"x", t).send(&w.url);
        refused(&w, &a, Reason::StaleRequest, "/v1/blobs/");
    }
    for t in [now - 300, now + 300] {
        let a = Raw::upload(&w.patient, &p, format!("at {t}").as_bytes(), t).send(&w.url);
        assert_eq!(a.status, 201, "{t}");
    }
    assert_eq!(
        Raw::release(&w.lab, &p, AT_GATEWAY, e, now)
            .send(&w.url)
            .status,
        200
    );
}

/// Property-based fuzzing of the request parsing and every check behind it
/// (signed request, path, query, headers, body), in process. Inputs start
/// from correctly signed requests for real entries and records and mutate
/// up to three fields to extreme or malformed values (0, MAX, MIN, bounds
/// and one past, garbage, absent), then sign what they became (or not).
/// Every input must end in a release or upload of the right data, or a
/// named refusal that is not `Internal`, never a panic; the census of
/// refusals reached is printed and the deep ones are required.
/// `HDX_GATEWAY_FUZZ_INPUTS` (default 1,500) and `HDX_GATEWAY_FUZZ_SEED`.
#[test]
fn fuzzed_requests_each_get_a_release_or_a_named_refusal_never_a_panic() {
    use hdx_gateway::Request;
    use proptest::prelude::*;
    use proptest::test_runner::{Config as RunConfig, FileFailurePersistence, TestRng, TestRunner};
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    let inputs: u32 = std::env::var("HDX_GATEWAY_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500);
    let seed: u64 = std::env::var("HDX_GATEWAY_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9a7e_0000_f022_0001);
    const LIMIT: usize = 4096;
    let w = World::new(Config {
        max_upload: LIMIT,
        ..Config::default()
    });
    let p = w.p();
    // Entries: stale ones first (made 400 s before the fuzzing starts), then fresh ones.
    // (sequence, record, provider: 0 lab, 1 lab2)
    let entries: Mutex<Vec<(u64, u32, usize)>> = Mutex::default();
    let provs = [&w.lab, &w.lab2];
    let make = |w: &World, who: usize, record: u32| {
        let r = w.c.access_record(
            provs[who],
            &provs[who].pubkey(),
            &p,
            record,
            hdx_sdk::codes::Purpose::Treatment,
        );
        let seq = match r {
            Ok(g) => g.sequence,
            Err(hdx_sdk::client::ClientError::Denied(d)) => d.sequence,
            Err(e) => panic!("{e}"),
        };
        entries.lock().unwrap().push((seq, record, who));
    };
    for (who, record) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        make(&w, who, record);
    }
    w.set_time(T0 + 400);
    for (who, record) in [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 0),
        (1, 1),
        (0, 0),
        (1, 0),
    ] {
        make(&w, who, record);
    }
    let now = w.now();
    let held_cid = cid::of_hash(&hash(w.data[0].as_ref().unwrap()));
    let unheld_cid = cid::of_hash(&hash(b"never uploaded anywhere"));

    let census: Mutex<BTreeMap<String, u64>> = Mutex::default();
    let used_nonces: Mutex<Vec<String>> = Mutex::default();
    let count = std::sync::atomic::AtomicU32::new(0);
    let strategy = (
        0u8..3,
        any::<u16>(),
        prop::collection::vec((0u8..12, any::<u8>(), any::<u64>()), 0..4),
        0u8..10,
    );
    let config = RunConfig {
        cases: inputs,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..RunConfig::default()
    };
    let rng = TestRng::from_seed(config.rng_algorithm, &seed.to_le_bytes().repeat(4));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let pick = |table: &[String], choice: u8| table[choice as usize % table.len()].clone();
    let result = runner.run(&strategy, |(kind, target, mutations, sign)| {
        let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n % 250 == 249 {
            // New fresh entries, so releases keep being reachable.
            make(&w, 0, 0);
            make(&w, 1, 0);
        }
        let (seq, record, who) = {
            let e = entries.lock().unwrap();
            e[target as usize % e.len()]
        };
        let upload = kind == 1;
        // The template: a correct request.
        let mut signer_key: &Keypair = if upload { &w.patient } else { provs[who] };
        let mut patient_seg = p.to_string();
        let mut tail = if upload {
            held_cid.clone()
        } else {
            record.to_string()
        };
        let data0 = w.data[0].clone().unwrap();
        let mut body = if upload { data0.clone() } else { vec![] };
        let (mut up_record, mut up_category) = ("0".to_string(), "lab-results".to_string());
        let mut entry_q = Some(format!("entry={seq}"));
        let mut up_query: Option<String> = None;
        let mut time = Some(now.to_string());
        let mut nonce = Some(protocol::nonce().unwrap());
        let mut signer_hdr: Option<String> = None;
        let mut signature_hdr: Option<Option<String>> = None;
        let mut method = if upload { "PUT" } else { "GET" }.to_string();
        if kind == 2 {
            method = "POST".into();
        }
        for (field, choice, raw) in mutations {
            match field {
                0 => {
                    patient_seg = pick(
                        &[
                            w.other.pubkey().to_string(),
                            Keypair::new().pubkey().to_string(),
                            String::new(),
                            "xyz".into(),
                            "1".repeat(44),
                            format!("{p}/extra"),
                            "%2e%2e".into(),
                        ],
                        choice,
                    )
                }
                1 => {
                    tail = pick(
                        &[
                            "0".into(),
                            "3".into(),
                            "4".into(),
                            u32::MAX.to_string(),
                            (u64::from(u32::MAX) + 1).to_string(),
                            "-1".into(),
                            "01".into(),
                            String::new(),
                            "1e3".into(),
                            "+1".into(),
                            " 1".into(),
                            raw.to_string(),
                            unheld_cid.clone(),
                            held_cid.to_uppercase(),
                            "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG".into(),
                        ],
                        choice,
                    )
                }
                2 => {
                    entry_q = pick(
                        &[
                            "entry=0".into(),
                            format!("entry={}", u64::MAX),
                            "entry=18446744073709551616".into(),
                            "entry=-1".into(),
                            "entry=".into(),
                            "entry=1&entry=2".into(),
                            "x=1".into(),
                            format!("entry={raw}"),
                            format!("entry={}", raw % 64),
                            String::new(),
                        ],
                        choice,
                    )
                    .into();
                    if choice % 11 == 10 {
                        entry_q = None;
                    }
                }
                3 => {
                    up_record = pick(
                        &[
                            "4".into(),
                            "1".into(),
                            u32::MAX.to_string(),
                            (u64::from(u32::MAX) + 1).to_string(),
                            "-1".into(),
                            String::new(),
                            "abc".into(),
                            (raw % 8).to_string(),
                        ],
                        choice,
                    )
                }
                4 => {
                    up_category = pick(
                        &[
                            "imaging".into(),
                            "mental-health".into(),
                            "LabResults".into(),
                            String::new(),
                            "claims".into(),
                        ],
                        choice,
                    )
                }
                5 => {
                    up_query = Some(pick(
                        &[
                            String::new(),
                            "record=4".into(),
                            "category=lab-results".into(),
                            "record=4&category=lab-results&record=5".into(),
                            "record=4&category=lab-results&x=1".into(),
                            "record4&category=lab-results".into(),
                            "&&".into(),
                        ],
                        choice,
                    ))
                }
                6 => {
                    let window = 300;
                    time = Some(pick(
                        &[
                            (now - window).to_string(),
                            (now + window).to_string(),
                            (now - window - 1).to_string(),
                            (now + window + 1).to_string(),
                            i64::MIN.to_string(),
                            i64::MAX.to_string(),
                            "0".into(),
                            "-1".into(),
                            "abc".into(),
                            String::new(),
                            " 5".into(),
                            (raw as i64).to_string(),
                            "99999999999999999999".into(),
                        ],
                        choice,
                    ));
                    if choice % 14 == 13 {
                        time = None;
                    }
                }
                7 => {
                    let reused = used_nonces.lock().unwrap().last().cloned();
                    nonce = Some(pick(
                        &[
                            "0".repeat(15),
                            "0".repeat(16),
                            "a".repeat(64),
                            "a".repeat(65),
                            "zz".repeat(10),
                            String::new(),
                            reused.unwrap_or_default(),
                        ],
                        choice,
                    ));
                    if choice % 8 == 7 {
                        nonce = None;
                    }
                }
                8 => {
                    let keys = [&w.lab, &w.lab2, &w.patient, &w.other];
                    signer_key = keys[choice as usize % keys.len()];
                    if choice % 5 == 4 {
                        signer_hdr = Some(pick(&["abc".into(), String::new()], choice));
                    }
                }
                9 => {
                    body = match choice % 5 {
                        0 => b"other bytes".to_vec(),
                        1 => vec![],
                        2 => vec![1; LIMIT + 1],
                        3 => vec![2; LIMIT],
                        _ => w.data[1].clone().unwrap(),
                    };
                    if upload && choice % 5 == 3 {
                        tail = cid::of_hash(&hash(&body));
                    }
                }
                10 => {
                    method = pick(
                        &["GET".into(), "PUT".into(), String::new(), "get".into()],
                        choice,
                    )
                }
                _ => {
                    signature_hdr = Some(match choice % 4 {
                        0 => Some("xyz".into()),
                        1 => Some(String::new()),
                        2 => Some("1".repeat(88)),
                        _ => None,
                    })
                }
            }
        }
        let prefix = if upload { "/v1/blobs/" } else { "/v1/records/" };
        let path = format!("{prefix}{patient_seg}/{tail}");
        let query = if upload {
            up_query.or(Some(format!("record={up_record}&category={up_category}")))
        } else {
            entry_q
        };
        // Sign what the request became (parsable parts), or not.
        let t: i64 = time.as_deref().and_then(|t| t.parse().ok()).unwrap_or(now);
        let nc = nonce.clone().unwrap_or_default();
        let line = if upload {
            let rec: u32 = up_record.parse().unwrap_or(0);
            let cat = Category::ALL
                .iter()
                .copied()
                .find(|c| c.name() == up_category)
                .unwrap_or(Category::LabResults);
            protocol::upload_line(&path, rec, cat, &hash(&body), t, &nc)
        } else {
            let e: u64 = query
                .as_deref()
                .and_then(|q| q.strip_prefix("entry="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(seq);
            protocol::release_line(&path, e, t, &nc)
        };
        let signature = match sign {
            0..=6 => Some(protocol::sign(signer_key, &line).unwrap().to_string()),
            7 => Some(protocol::sign(&Keypair::new(), &line).unwrap().to_string()),
            8 => Some(
                protocol::sign(signer_key, &format!("{line} "))
                    .unwrap()
                    .to_string(),
            ),
            _ => None,
        };
        let request = Request {
            method,
            path,
            query,
            signer: signer_hdr.or_else(|| Some(signer_key.pubkey().to_string())),
            signature: signature_hdr.unwrap_or(signature),
            time,
            nonce: nonce.clone(),
        };
        if let Some(nc) = nonce {
            used_nonces.lock().unwrap().push(nc);
        }
        let gw = w.gateway.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if upload {
                gw.upload(&request, &body)
                    .map(|u| (Reason::Uploaded, u.bytes as usize))
            } else {
                gw.release(&request)
                    .map(|r| (Reason::Released, r.data.len()))
            }
        }))
        .map_err(|_| TestCaseError::fail(format!("panic on {request:?}")))?;
        let name = match outcome {
            Ok((reason, _)) => reason.name().to_string(),
            Err(boxed) => {
                let (refusal, _) = *boxed;
                prop_assert_ne!(
                    refusal.reason,
                    Reason::Internal,
                    "{:?} on {:?}",
                    refusal,
                    request
                );
                prop_assert!(!refusal.message.is_empty());
                refusal.reason.name().to_string()
            }
        };
        *census.lock().unwrap().entry(name).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("the gateway failed a fuzzed request (shrunk): {e}");
    }
    let census = census.into_inner().unwrap();
    println!("gateway fuzz: {inputs} inputs (seed {seed}):");
    for (reason, n) in &census {
        println!("  {reason:<22} {n:>7}");
    }
    for deep in [
        "Released",
        "Uploaded",
        "BadRequest",
        "MissingSignature",
        "BadSignature",
        "StaleRequest",
        "Replay",
        "ContentMismatch",
        "TooLarge",
        "NotAPatient",
        "NotPatientAuthority",
        "NotAProvider",
        "EntryNotFound",
        "EntryNotGranted",
        "OtherProvidersEntry",
        "OtherRecordsEntry",
        "EntryStale",
        "AlreadyRedeemed",
        "NotAGatewayRecord",
        "BlobNotFound",
        "BindingMismatch",
        "NoWriteConsent",
    ] {
        assert!(
            census.get(deep).copied().unwrap_or(0) > 0,
            "the fuzzer never reached {deep}: {census:?}"
        );
    }
}

/// A browser page (the patient's, served from another origin) may ask: the
/// preflight allows exactly the signed request's headers and methods, the
/// release exposes its entry and hash headers, and a preflight changes
/// nothing (no trail row). A request still needs its signature: CORS grants
/// a page nothing a script outside a browser lacks.
#[test]
fn a_browser_page_may_call_the_gateway_and_still_needs_a_signature() {
    let w = World::new(Config::default());
    let rows = w.trail().len();
    let http = reqwest::blocking::Client::new();
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/blobs/{}/bafy", w.url, w.p()),
        )
        .header("origin", "http://127.0.0.1:8899")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "x-hdx-signer,x-hdx-signature,x-hdx-time,x-hdx-nonce,content-type",
        )
        .send()
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 200);
    let h = |name: &str| {
        preflight
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(h("access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(
        h("access-control-allow-methods").as_deref(),
        Some("GET,PUT")
    );
    assert_eq!(
        h("access-control-allow-headers").as_deref(),
        Some("x-hdx-signer,x-hdx-signature,x-hdx-time,x-hdx-nonce,content-type")
    );
    assert_eq!(w.trail().len(), rows, "a preflight is not a request");

    // A release answered to a page exposes what the page must check.
    let entry = w.access(&w.lab, AT_GATEWAY);
    let a = Raw::release(&w.lab, &w.p(), AT_GATEWAY, entry, w.now())
        .header("origin", "http://127.0.0.1:8899")
        .send(&w.url);
    assert_eq!(a.status, 200);
    let release = http
        .get(format!("{}/v1/health", w.url))
        .header("origin", "http://127.0.0.1:8899")
        .send()
        .unwrap();
    assert_eq!(
        release.headers()["access-control-expose-headers"],
        "x-hdx-entry,x-hdx-content-hash"
    );

    // From a page, an unsigned upload is still refused and logged.
    let unsigned = Raw::upload(&w.lab, &w.p(), b"from a page", w.now())
        .without(protocol::SIGNATURE_HEADER)
        .header("origin", "http://127.0.0.1:8899")
        .send(&w.url);
    assert_eq!(unsigned.status, 401, "{}", unsigned.error());
    assert_eq!(w.trail().len(), rows + 2);
}

/// A provider whose key was rotated: the release is read in one batch at
/// the provider's id (its first key), so the new key is found by a second
/// read and releases; the old key is no provider's current key any more.
#[test]
fn after_a_key_rotation_the_new_key_releases_and_the_old_one_is_refused() {
    let w = World::new(Config::default());
    let p = w.p();
    let l = w.lab.pubkey();
    let new_key = Keypair::new();
    {
        use hdx_sdk::transport::Faucet;
        w.node
            .as_ref()
            .fund(&new_key.pubkey(), 10_000_000_000)
            .unwrap();
    }
    w.c.send(
        &[ix::rotate_provider_key(l, new_key.pubkey(), &l)],
        &w.lab,
        &[&new_key],
    )
    .unwrap();
    let entry =
        w.c.access_record(
            &new_key,
            &l,
            &p,
            AT_GATEWAY,
            hdx_sdk::codes::Purpose::Treatment,
        )
        .unwrap()
        .sequence;
    // The old key signs for the new key's entry: no longer a provider's key.
    let old = Raw::release(&w.lab, &p, AT_GATEWAY, entry, w.now()).send(&w.url);
    refused(&w, &old, Reason::NotAProvider, "/v1/records/");
    let a = Raw::release(&new_key, &p, AT_GATEWAY, entry, w.now()).send(&w.url);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(Some(a.body.clone()), w.data[AT_GATEWAY as usize]);
    let release = w.trail().pop().unwrap();
    assert_eq!(release.reason, "Released");
    assert_eq!(release.signer, Some(new_key.pubkey().to_string()));
    let r = hdx_gateway::reconcile(w.gateway.store(), w.gateway.chain()).unwrap();
    assert_eq!((r.releases, r.matched, r.ok()), (1, 1, true), "{r:?}");
}
