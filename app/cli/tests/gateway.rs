//! The whole round trip through the `hdx` binary, as a patient and a lab
//! run it: `hdx serve` and `hdx gateway` as child processes on loopback,
//! `record upload`, `fetch`, a revocation refusing the next fetch (exit 3,
//! nothing written), `gateway log --reconcile`; bad input refused before
//! anything changes; and the gateway killed mid-run, again and again,
//! losing no acknowledged upload and releasing no entry twice.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use hdx::served::GatewayProcess;
use hdx_sdk::codes::Category;
use hdx_sdk::gateway::GatewayClient;
use hdx_sdk::transport::Faucet;
use serde_json::Value;
use solana_sdk::signature::{read_keypair_file, Keypair, Signer};

mod common;
use common::{Server, HDX};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", self.stdout, self.stderr))
    }
}

struct Setup {
    dir: tempfile::TempDir,
    server: Server,
    gateway: Option<GatewayProcess>,
    patient: Keypair,
    lab: Keypair,
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn home(&self) -> PathBuf {
        self.path("home")
    }

    fn key(&self, name: &str) -> String {
        self.path(&format!("{name}.json")).display().to_string()
    }

    fn g(&self) -> &str {
        &self.gateway.as_ref().unwrap().url
    }

    /// `hdx -u SERVED --output json ARGS -k KEY`.
    fn hdx(&self, key: &str, args: &[&str]) -> Run {
        let out = Command::new(HDX)
            .args(["-u", &self.server.url, "--output", "json"])
            .args(args)
            .args(["-k", &self.key(key)])
            .current_dir(self.dir.path())
            .env("HOME", self.home())
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    fn ok(&self, key: &str, args: &[&str]) -> Value {
        let r = self.hdx(key, args);
        assert_eq!(r.code, 0, "hdx {args:?}: {} {}", r.stdout, r.stderr);
        r.json()
    }

    /// The patient grants the lab lab results, read, treatment, one day.
    fn grant_lab(&self) {
        let lab = self.lab.pubkey().to_string();
        self.ok(
            "patient",
            &[
                "consent",
                "grant",
                &lab,
                "--categories",
                "lab-results",
                "--modes",
                "read",
                "--purposes",
                "treatment",
                "--expires",
                "1d",
            ],
        );
    }

    /// The lab fetches the patient's record 0 for treatment into `out`.
    fn fetch(&self, out: &str) -> Run {
        let patient = self.patient.pubkey().to_string();
        self.hdx(
            "lab",
            &[
                "fetch",
                &patient,
                "0",
                "--purpose",
                "treatment",
                "--gateway",
                self.g(),
                "-o",
                out,
            ],
        )
    }

    #[track_caller]
    fn fetch_ok(&self, out: &str) -> Value {
        let r = self.fetch(out);
        assert_eq!(r.code, 0, "fetch: {} {}", r.stdout, r.stderr);
        r.json()
    }

    fn start_gateway(&mut self) {
        self.gateway = Some(
            GatewayProcess::start(
                Path::new(HDX),
                &self.home(),
                &self.server.url,
                &self.path("gateway"),
                &[],
            )
            .unwrap(),
        );
    }

    fn entries(&self) -> usize {
        let c = self.server.client();
        c.log(&self.patient.pubkey())
            .map_or(0, |l| l.entries().len())
    }

    fn records(&self) -> u32 {
        self.server
            .client()
            .patient(&self.patient.pubkey())
            .unwrap()
            .record_count
    }
}

/// A served ledger, a running gateway, a verified lab and a registered patient.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    let keys: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    for (k, name) in keys.iter().zip(["authority", "lab", "patient"]) {
        solana_sdk::signature::write_keypair_file(k, dir.path().join(format!("{name}.json")))
            .unwrap();
    }
    let server = Server::start(
        &dir.path().join("home"),
        &dir.path().join("ledger"),
        &dir.path().join("authority.json"),
    );
    for k in &keys {
        server.faucet().fund(&k.pubkey(), 10_000_000_000).unwrap();
    }
    let mut s = Setup {
        patient: read_keypair_file(dir.path().join("patient.json")).unwrap(),
        lab: read_keypair_file(dir.path().join("lab.json")).unwrap(),
        dir,
        server,
        gateway: None,
    };
    s.start_gateway();
    let lab = s.lab.pubkey().to_string();
    s.ok("authority", &["registry", "init"]);
    s.ok(
        "lab",
        &[
            "provider",
            "register",
            "--kind",
            "laboratory",
            "--credential-commitment",
            &"ab".repeat(32),
        ],
    );
    s.ok("authority", &["provider", "verify", &lab]);
    s.ok("patient", &["patient", "register"]);
    s
}

#[test]
fn a_record_goes_from_patient_to_lab_only_under_consent_and_the_trails_reconcile() {
    let s = setup();
    let (lab, patient) = (s.lab.pubkey().to_string(), s.patient.pubkey().to_string());
    let data = b"Potassium 4.1 mmol/L\n".repeat(1000);
    std::fs::write(s.path("k.txt"), &data).unwrap();
    let up = s.ok(
        "patient",
        &[
            "record",
            "upload",
            "k.txt",
            "--category",
            "lab-results",
            "--clinical-date",
            "2026-01-02",
            "--gateway",
            s.g(),
        ],
    );
    assert_eq!(up["index"], 0);
    assert_eq!(up["bytes"], data.len());
    let hash = hdx_sdk::gateway::hex(&{
        use sha2::Digest;
        let h: [u8; 32] = sha2::Sha256::digest(&data).into();
        h
    });
    assert_eq!(up["content_hash"], hash);
    assert!(up["locator"]
        .as_str()
        .unwrap()
        .starts_with("ipfs://bafkrei"));
    let listed = s.ok("patient", &["record", "list"]);
    assert_eq!(listed[0]["locator"], up["locator"], "{listed}");

    // No consent yet: denied on-chain (exit 3), nothing written.
    let r = s.fetch("got.txt");
    assert_eq!(
        (r.code, r.json()["reason"].as_str()),
        (3, Some("NoConsent")),
        "{}",
        r.stderr
    );
    assert!(!s.path("got.txt").exists());

    s.grant_lab();
    let got = s.fetch_ok("got.txt");
    assert_eq!(
        (got["outcome"].as_str(), got["sequence"].as_u64()),
        (Some("Released"), Some(1))
    );
    assert_eq!(std::fs::read(s.path("got.txt")).unwrap(), data);

    // An existing output file is refused before anything is asked on-chain.
    let before = s.entries();
    let r = s.fetch("got.txt");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("exists: pass --force"), "{}", r.stderr);
    assert_eq!(s.entries(), before);

    // Revoked: the next fetch is denied, nothing written.
    s.ok("patient", &["consent", "revoke", &lab]);
    let r = s.fetch("after.txt");
    assert_eq!(
        (r.code, r.json()["reason"].as_str()),
        (3, Some("NoConsent")),
        "{}",
        r.stderr
    );
    assert!(!s.path("after.txt").exists());

    // The gateway refusing (data tampered at rest): exit 3, named, nothing written.
    s.grant_lab();
    let cid = up["locator"]
        .as_str()
        .unwrap()
        .trim_start_matches("ipfs://")
        .to_string();
    let blob = {
        let store = hdx_gateway::store::Store::open_read_only(&s.path("gateway")).unwrap();
        store.blob_path(&patient, &store.blob(&patient, &cid).unwrap().unwrap())
    };
    let sealed = std::fs::read(&blob).unwrap();
    let mut flipped = sealed.clone();
    flipped[100] ^= 0x40;
    std::fs::write(&blob, &flipped).unwrap();
    let r = s.fetch("after.txt");
    assert_eq!(r.code, 3, "{}", r.stderr);
    let j = r.json();
    assert_eq!(
        (
            j["kind"].as_str(),
            j["reason"].as_str(),
            j["status"].as_u64()
        ),
        (Some("refused"), Some("BlobCorrupt"), Some(500))
    );
    assert!(!s.path("after.txt").exists());
    std::fs::write(&blob, &sealed).unwrap();

    // The auditor: the gateway's trail, reconciled with the chain.
    let log = s.ok(
        "patient",
        &[
            "gateway",
            "log",
            "--store",
            s.path("gateway").to_str().unwrap(),
            "--reconcile",
        ],
    );
    let reasons: Vec<&str> = log["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["Uploaded", "Released", "BlobCorrupt"], "{log}");
    assert_eq!(log["reconciliation"]["releases"], 1);
    assert_eq!(log["reconciliation"]["matched"], 1);
    assert_eq!(log["trail"][1]["entry"], 1);
}

#[test]
fn bad_input_changes_nothing() {
    let s = setup();
    let patient = s.patient.pubkey().to_string();
    std::fs::write(s.path("a.txt"), b"a").unwrap();
    // A file that is not there; an empty one.
    let r = s.hdx(
        "patient",
        &[
            "record",
            "upload",
            "missing.txt",
            "--category",
            "lab-results",
            "--gateway",
            s.g(),
        ],
    );
    assert_eq!(
        (r.code, r.json()["kind"].as_str()),
        (1, Some("io")),
        "{}",
        r.stderr
    );
    std::fs::write(s.path("empty.txt"), b"").unwrap();
    let r = s.hdx(
        "patient",
        &[
            "record",
            "upload",
            "empty.txt",
            "--category",
            "lab-results",
            "--gateway",
            s.g(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is empty"), "{}", r.stderr);
    // A gateway that is not there: no record added.
    let r = s.hdx(
        "patient",
        &[
            "record",
            "upload",
            "a.txt",
            "--category",
            "lab-results",
            "--gateway",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (1, Some("GatewayUnreachable")),
        "{}",
        r.stderr
    );
    // The lab is no patient's authority: the gateway refuses, no record added.
    let r = s.hdx(
        "lab",
        &[
            "record",
            "upload",
            "a.txt",
            "--category",
            "lab-results",
            "--gateway",
            s.g(),
            "--patient",
            &patient,
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("is not the authority of patient"),
        "{}",
        r.stderr
    );
    assert_eq!(s.records(), 0);
    // An ipfs:// locator that names other content than the hash.
    let other = hdx_sdk::cid::locator(&[7; 32]);
    let r = s.hdx(
        "patient",
        &[
            "record",
            "add",
            "--category",
            "lab-results",
            "--locator",
            &other,
            "--content-hash",
            &"08".repeat(32),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("names content whose SHA-256 is 0707"),
        "{}",
        r.stderr
    );
    let r = s.hdx(
        "patient",
        &[
            "record",
            "add",
            "--category",
            "lab-results",
            "--locator",
            "ipfs://QmNotACidV1",
            "--content-hash",
            &"08".repeat(32),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a CID"), "{}", r.stderr);
    assert_eq!(s.records(), 0);
    // A record that no gateway holds: refused before any access is logged.
    s.ok(
        "patient",
        &[
            "record",
            "add",
            "--category",
            "lab-results",
            "--locator",
            "vault://x",
            "--content-hash",
            &"08".repeat(32),
        ],
    );
    let before = s.entries();
    let r = s.fetch("x.txt");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is not held by a gateway"),
        "{}",
        r.stderr
    );
    let r = s.fetch("no/such/dir/x.txt");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a directory"), "{}", r.stderr);
    assert_eq!(s.entries(), before);
    // The gateway on the embedded ledger, and with bad settings.
    let out = Command::new(HDX)
        .args(["gateway", "--store"])
        .arg(s.path("g2"))
        .env("HOME", s.home())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass its URL with -u"));
    for (flag, value, says) in [
        ("--max-upload", "12XB", "not a size unit"),
        ("--max-upload", "0", "between 1 byte"),
        ("--window", "2d", "between 1 second and 1 day"),
    ] {
        let out = Command::new(HDX)
            .args(["-u", &s.server.url, "gateway", flag, value])
            .env("HOME", s.home())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A store that is not one.
    let r = s.hdx(
        "patient",
        &[
            "gateway",
            "log",
            "--store",
            s.path("nothing").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a gateway store"), "{}", r.stderr);
}

/// The gateway is SIGKILLed at spread-out moments while a patient uploads
/// and a lab fetches; after each restart every acknowledged upload is held
/// (and opens to its content), every acknowledged release is redeemed,
/// every redemption has its one trail row, and no entry released twice.
#[test]
fn a_killed_gateway_loses_no_upload_and_never_releases_twice() {
    let mut s = setup();
    let p = s.patient.pubkey();
    std::fs::write(s.path("r.txt"), b"the record").unwrap();
    s.ok(
        "patient",
        &[
            "record",
            "upload",
            "r.txt",
            "--category",
            "lab-results",
            "--gateway",
            s.g(),
        ],
    );
    s.grant_lab();
    let record_hash = {
        use sha2::Digest;
        let h: [u8; 32] = sha2::Sha256::digest(b"the record").into();
        h
    };
    let uploads: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let releases: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut landed_unacknowledged = 0;
    const ROUNDS: u64 = 8;
    for round in 0..ROUNDS {
        let url = s.g().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let client = s.server.client();
        let patient = read_keypair_file(s.path("patient.json")).unwrap();
        let lab_key = read_keypair_file(s.path("lab.json")).unwrap();
        let (ups, rels, stop2) = (uploads.clone(), releases.clone(), stop.clone());
        let worker = std::thread::spawn(move || {
            let g = GatewayClient::new(&url);
            let mut n = 0u64;
            while !stop2.load(Ordering::SeqCst) {
                n += 1;
                let data = format!("round {round} upload {n} ")
                    .repeat(2000)
                    .into_bytes();
                let now = client.transport.unix_time().unwrap();
                // A new record's data (record 1 is never added: bound ahead of it) ...
                match g.upload(&patient, &p, 1, Category::LabResults, &data, now) {
                    Ok(_) => ups.lock().unwrap().push(data),
                    Err(_) => break,
                }
                // ... and record 0's data again: a re-upload of content held,
                // killed at any moment, must leave record 0 releasable.
                if g.upload(&patient, &p, 0, Category::LabResults, b"the record", now)
                    .is_err()
                {
                    break;
                }
                let granted = client
                    .access_record(
                        &lab_key,
                        &lab_key.pubkey(),
                        &p,
                        0,
                        hdx_sdk::codes::Purpose::Treatment,
                    )
                    .unwrap();
                match g.fetch(&lab_key, &p, 0, granted.sequence, &record_hash, now) {
                    Ok(_) => rels.lock().unwrap().push(granted.sequence),
                    Err(_) => break,
                }
            }
        });
        // Spread the kills over two seconds of work (an access waits for a new blockhash, ~0.4 s).
        std::thread::sleep(std::time::Duration::from_millis(300 + round * 250));
        s.gateway.as_mut().unwrap().kill();
        stop.store(true, Ordering::SeqCst);
        worker.join().unwrap();
        s.start_gateway();

        let store = hdx_gateway::store::Store::open_read_only(&s.path("gateway")).unwrap();
        let key =
            hdx_gateway::seal::MasterKey::load_or_create(&s.path("gateway").join("master.key"))
                .unwrap();
        for data in uploads.lock().unwrap().iter() {
            let cid = hdx_sdk::cid::of_hash(&{
                use sha2::Digest;
                sha2::Sha256::digest(data).into()
            });
            let row = store
                .blob(&p.to_string(), &cid)
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: acknowledged upload {cid} lost"));
            let sealed = hdx_gateway::seal::Sealed {
                ciphertext: store.blob_file(&p.to_string(), &row).unwrap(),
                nonce: row.nonce,
                wrapped_key: row.wrapped_key,
                key_nonce: row.key_nonce,
            };
            assert_eq!(&key.open(&cid, &sealed).unwrap(), data, "round {round}");
        }
        let redeemed: Vec<u64> = store
            .redemptions()
            .unwrap()
            .iter()
            .map(|r| r.sequence)
            .collect();
        for e in releases.lock().unwrap().iter() {
            assert!(
                redeemed.contains(e),
                "round {round}: acknowledged release of entry {e} not redeemed"
            );
        }
        landed_unacknowledged += redeemed.len() - releases.lock().unwrap().len();
        let released: Vec<u64> = store
            .trail(0, usize::MAX)
            .unwrap()
            .iter()
            .filter(|r| r.reason == "Released")
            .map(|r| r.entry.unwrap())
            .collect();
        let mut distinct = released.clone();
        distinct.dedup();
        assert_eq!(released, distinct, "round {round}: an entry released twice");
        assert_eq!(
            released, redeemed,
            "round {round}: trail and redemptions disagree"
        );
        // Every redeemed entry stays redeemed after the restart.
        if let Some(e) = redeemed.last() {
            let now = s.server.client().transport.unix_time().unwrap();
            match GatewayClient::new(s.g()).fetch(&s.lab, &p, 0, *e, &record_hash, now) {
                Err(hdx_sdk::gateway::GatewayError::Refused(r)) => {
                    assert_eq!(r.error, "AlreadyRedeemed")
                }
                other => panic!("round {round}: {other:?}"),
            }
        }
    }
    let store = hdx_gateway::store::Store::open_read_only(&s.path("gateway")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    eprintln!(
        "{ROUNDS} kills: {} uploads and {} releases acknowledged, none lost; {landed_unacknowledged} releases committed but unacknowledged",
        uploads.lock().unwrap().len(),
        releases.lock().unwrap().len()
    );
    assert!(
        uploads.lock().unwrap().len() as u64 >= ROUNDS,
        "the kills came too early to test anything"
    );
}

/// `hdx serve` after an idle gap: the next transaction runs on wall time,
/// not on the clock of the transaction before the gap. A consent that
/// expired during the gap denies (`Expired`) with the entry dated within a
/// second of wall time, and the gateway's freshness check (which reads the
/// node's clock) refuses an entry older than its window (`EntryStale`).
#[test]
fn after_an_idle_gap_the_node_runs_on_wall_time_and_the_gateway_refuses_stale_entries() {
    use hdx_sdk::codes::{Outcome, Purpose, ALL_PURPOSES, MODE_READ};
    let s = setup();
    let (p, l) = (s.patient.pubkey(), s.lab.pubkey());
    std::fs::write(s.path("r.txt"), b"sodium 140 mmol/L").unwrap();
    s.ok(
        "patient",
        &[
            "record",
            "upload",
            "r.txt",
            "--category",
            "lab-results",
            "--gateway",
            s.g(),
        ],
    );
    let strict = GatewayProcess::start(
        Path::new(HDX),
        &s.home(),
        &s.server.url,
        &s.path("gateway"),
        &["--window", "2s"],
    );
    // The store is held by the running gateway: a second one is refused.
    let err = strict.err().expect("one process per store").to_string();
    assert!(err.contains("in use by another process"), "{err}");
    let mut s = s;
    s.gateway.as_mut().unwrap().kill();
    s.gateway = Some(
        GatewayProcess::start(
            Path::new(HDX),
            &s.home(),
            &s.server.url,
            &s.path("gateway"),
            &["--window", "2s"],
        )
        .unwrap(),
    );
    let c = s.server.client();
    let wall = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let now = c.transport.unix_time().unwrap();
    assert!((now - wall()).abs() <= 1, "the node's clock is wall time");
    let terms = hdx_sdk::program::ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: ALL_PURPOSES,
        not_before: now,
        expires_at: now + 3,
        ..Default::default()
    };
    c.send(
        &[hdx_sdk::ix::grant_consent(p, &p, &l, terms)],
        &s.patient,
        &[],
    )
    .unwrap();
    let fresh = c
        .access_record(&s.lab, &l, &p, 0, Purpose::Treatment)
        .unwrap();
    // Idle: no transaction at all for four seconds.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let hash = c.record(&p, 0).unwrap().content_hash;
    let at = c.transport.unix_time().unwrap();
    assert!(at - now >= 4, "the clock moved while idle: {now} then {at}");
    match GatewayClient::new(s.g()).fetch(&s.lab, &p, 0, fresh.sequence, &hash, at) {
        Err(hdx_sdk::gateway::GatewayError::Refused(r)) => {
            assert_eq!((r.status, r.error.as_str()), (403, "EntryStale"), "{r}")
        }
        other => panic!("an entry older than the window was not refused: {other:?}"),
    }
    let before = wall();
    let denied = c.access_record(&s.lab, &l, &p, 0, Purpose::Treatment);
    let after = wall();
    assert!(
        matches!(&denied, Err(hdx_sdk::client::ClientError::Denied(d)) if d.reason == Outcome::Expired),
        "{denied:?}"
    );
    let last = c.log(&p).unwrap().entries().pop().unwrap();
    assert_eq!(last.entry.outcome, Outcome::Expired as u8);
    let t = i64::from(last.entry.time);
    assert!(
        before - 1 <= t && t <= after + 1,
        "the entry is dated {t}, wall time was {before}..{after}"
    );
    // The gateway's trail names the stale refusal.
    let r = s.hdx(
        "patient",
        &[
            "gateway",
            "log",
            "--store",
            s.path("gateway").to_str().unwrap(),
        ],
    );
    assert!(r.stdout.contains("EntryStale"), "{}", r.stdout);
}

/// A study asked through the binary: `hdx gateway --custodian-key`, five
/// patients' Observations uploaded with `hdx record upload`, `hdx study
/// query` refused by the chain below the minimum cohort (exit 3, nothing
/// recorded), answered at it, and the release in `hdx study log`.
#[test]
fn a_study_is_queried_through_the_binary_and_its_release_is_in_the_log() {
    let mut s = setup();
    let names = ["researcher", "custodian", "p0", "p1", "p2", "p3", "p4"];
    for name in names {
        let k = Keypair::new();
        solana_sdk::signature::write_keypair_file(&k, s.path(&format!("{name}.json"))).unwrap();
        s.server.faucet().fund(&k.pubkey(), 10_000_000_000).unwrap();
    }
    let custodian_key = s.key("custodian");
    let custodian = read_keypair_file(&custodian_key)
        .unwrap()
        .pubkey()
        .to_string();
    s.gateway.take().unwrap().kill();
    s.gateway = Some(
        GatewayProcess::start(
            Path::new(HDX),
            &s.home(),
            &s.server.url,
            &s.path("gateway"),
            &["--custodian-key", &custodian_key],
        )
        .unwrap(),
    );
    let researcher = read_keypair_file(s.key("researcher"))
        .unwrap()
        .pubkey()
        .to_string();
    s.ok(
        "researcher",
        &[
            "provider",
            "register",
            "--kind",
            "researcher",
            "--credential-commitment",
            &"cd".repeat(32),
        ],
    );
    s.ok("authority", &["provider", "verify", &researcher]);
    let created = s.ok(
        "researcher",
        &[
            "study",
            "create",
            "1",
            "--custodian",
            &custodian,
            "--duo",
            "hmb",
            "--categories",
            "lab-results",
            "--epsilon",
            "2",
            "--enrollment-closes",
            "30d",
        ],
    );
    let study = created["study"].as_str().unwrap().to_string();
    s.ok("authority", &["study", "approve", &study]);
    for (i, p) in ["p0", "p1", "p2", "p3", "p4"].iter().enumerate() {
        s.ok(p, &["patient", "register"]);
        let file = s.path(&format!("{p}-obs.json"));
        std::fs::write(
            &file,
            format!(
                r#"{{"resourceType":"Observation","code":{{"coding":[{{"system":"http://loinc.org","code":"8867-4"}}]}},"valueQuantity":{{"value":{}}}}}"#,
                60 + 10 * i
            ),
        )
        .unwrap();
        s.ok(
            p,
            &[
                "record",
                "upload",
                &file.display().to_string(),
                "--category",
                "lab-results",
                "--gateway",
                s.g(),
            ],
        );
        if i < 4 {
            s.ok(p, &["study", "enroll", &study, "--until", "365d"]);
        }
    }
    let query = |epsilon: &str, extra: &[&str]| {
        let mut args = vec![
            "study",
            "query",
            &study,
            "--code",
            "8867-4",
            "--epsilon",
            epsilon,
            "--gateway",
            s.g(),
        ];
        args.extend(extra);
        s.hdx("researcher", &args)
    };
    // Bad input, refused before anything is asked.
    for (epsilon, extra, says) in [
        ("0", &[][..], "invalid epsilon"),
        ("10.001", &[], "invalid epsilon"),
        ("1", &["--histogram", "80,60"], "bin edges"),
        ("1", &["--histogram", "60"], "bin edges"),
        ("1", &["--histogram", "60,nan"], "bin edges"),
    ] {
        let r = query(epsilon, extra);
        assert_eq!(r.code, 2, "{epsilon} {extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{epsilon} {extra:?}: {}", r.stderr);
    }
    // Four enrolled: the chain refuses below the minimum cohort of 5; exit 3, nothing recorded.
    let r = query("1", &[]);
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    assert_eq!(r.json()["reason"], "CohortBelowMinimum", "{}", r.stderr);
    assert_eq!(
        s.ok("researcher", &["study", "show", &study])["releases"],
        0
    );
    // Not the sponsor.
    let r = s.hdx(
        "lab",
        &[
            "study",
            "query",
            &study,
            "--code",
            "8867-4",
            "--epsilon",
            "1",
            "--gateway",
            s.g(),
        ],
    );
    assert_eq!(
        (r.code, r.json()["reason"].as_str()),
        (3, Some("NotTheSponsor"))
    );
    s.ok("p4", &["study", "enroll", &study, "--until", "365d"]);
    let answer = s.ok(
        "researcher",
        &[
            "study",
            "query",
            &study,
            "--code",
            "8867-4",
            "--epsilon",
            "1.5",
            "--histogram",
            "50,70,90,110",
            "--gateway",
            s.g(),
        ],
    );
    assert_eq!(answer["release"], 0);
    assert_eq!(answer["cohort_size"], 5);
    assert_eq!(answer["epsilon_spent_milli"], 1500);
    assert_eq!(answer["counts"].as_array().unwrap().len(), 3);
    let log = s.ok("researcher", &["study", "log", &study]);
    assert_eq!(log["releases"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["releases"][0]["cohort_hash"], answer["cohort_hash"]);
    // Past the budget (1.5 + 1 > 2): refused on-chain, nothing answered.
    let r = query("1", &[]);
    assert_eq!(
        (r.code, r.json()["reason"].as_str()),
        (3, Some("StudyBudgetExceeded")),
        "{}",
        r.stderr
    );
}
