//! `hdx serve`'s ledger directory: a crash (SIGKILL at any point during a
//! run of sends) loses no confirmed transaction and never corrupts the
//! store; while served, the directory is not opened directly; an old-format
//! directory gets a message saying what to do.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdx_node::store::{Store, OLD_FORMAT_FILE};
use hdx_sdk::client::granted;
use hdx_sdk::codes::{Category, ALL_PURPOSES, MODE_READ};
use hdx_sdk::codes::{Outcome, Purpose};
use hdx_sdk::program::ConsentTerms;
use hdx_sdk::transport::Transport;
use hdx_sdk::{ix, pda};
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::signature::{read_keypair_file, Signer};

mod common;
use common::{scene, Server, HDX};

fn keygen(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.json"));
    let out = Command::new(HDX)
        .args(["keygen", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    path
}

#[test]
fn a_crash_mid_run_loses_no_confirmed_transaction_and_never_corrupts_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let ledger = dir.path().join("ledger");
    let server = Server::start(dir.path(), &ledger, &key);
    let s = scene(&server, &read_keypair_file(&key).unwrap());
    let (lab, patient) = (Arc::new(s.lab), s.patient.pubkey());
    // A cap far off, so the consent counts each access in the same
    // transaction that appends its entry: two accounts that must agree.
    let c = server.client();
    let now = c.transport.unix_time().unwrap();
    let terms = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: ALL_PURPOSES,
        not_before: now,
        expires_at: now + 86_400,
        access_limit: 1_000_000,
        ..ConsentTerms::default()
    };
    let l = lab.pubkey();
    c.send(
        &[ix::update_consent(patient, &patient, &l, terms)],
        &s.patient,
        &[],
    )
    .unwrap();
    drop(server);

    // Sequence numbers the node confirmed, across every round.
    let confirmed: Arc<Mutex<Vec<u64>>> = Arc::new(Mutex::new(vec![0]));
    let mut in_flight_landed = 0;
    const ROUNDS: u64 = 12;
    for round in 0..ROUNDS {
        let mut server = Server::start(dir.path(), &ledger, &key);
        let c = server.client();
        let before = confirmed.lock().unwrap().len();
        let sender = {
            let (confirmed, lab, url) = (confirmed.clone(), lab.clone(), server.url.clone());
            std::thread::spawn(move || {
                let c = common::client(&url);
                let l = lab.pubkey();
                // Until the server dies under it. Each transaction distinct
                // (its priority fee), so none waits for a new blockhash.
                for fee in 1.. {
                    let Ok(page) = c.writable_log_page(&*lab, &patient) else {
                        break;
                    };
                    let access = ix::access_record(l, &l, &patient, 0, page, Purpose::Treatment);
                    let price = ComputeBudgetInstruction::set_compute_unit_price(fee);
                    let Ok(receipt) = c.send(&[price, access], &*lab, &[]) else {
                        break;
                    };
                    confirmed
                        .lock()
                        .unwrap()
                        .push(granted(&receipt).unwrap().sequence);
                }
            })
        };
        // Kill after a few confirmations, at a different phase of the
        // send-and-confirm cycle each round (reads, send, commit, polling).
        let started = Instant::now();
        let deadline = started + Duration::from_secs(60);
        while confirmed.lock().unwrap().len() < before + 5 {
            assert!(Instant::now() < deadline, "the sender stalled");
            std::thread::sleep(Duration::from_micros(200));
        }
        let cycle = started.elapsed() / 5;
        std::thread::sleep(cycle * round as u32 / ROUNDS as u32);
        server.kill();
        sender.join().unwrap();
        drop(c);

        // The store is sound, as the crash left it.
        assert_eq!(
            Store::integrity_check(&ledger).unwrap(),
            ["ok"],
            "round {round}"
        );
        // Reopened, it holds every confirmed access, in order, with its chain.
        let server = Server::start(dir.path(), &ledger, &key);
        let log = server.client().log(&patient).unwrap();
        log.verify().expect("the chain verifies after the crash");
        let entries = log.entries();
        let acknowledged = confirmed.lock().unwrap().clone();
        let last = *acknowledged.last().unwrap();
        assert!(
            entries.len() as u64 == last + 1 || entries.len() as u64 == last + 2,
            "round {round}: {} entries for {} confirmed (the last, {last})",
            entries.len(),
            acknowledged.len()
        );
        // Whole transactions only: the consent counted exactly the entries
        // appended since its update (entry 0 came before), and history holds
        // exactly one successful transaction per counted access.
        let consent = server.client().consent(&patient, &l).unwrap().unwrap();
        assert_eq!(
            u64::from(consent.accesses_used) + 1,
            entries.len() as u64,
            "round {round}: consent and log disagree"
        );
        let history = server.call(
            "getSignaturesForAddress",
            serde_json::json!([pda::consent(&patient, &l).0.to_string(), { "limit": 1000 }]),
        );
        let succeeded = history["result"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["err"].is_null())
            .count();
        // grant, update, then one per access.
        assert_eq!(
            succeeded,
            2 + entries.len(),
            "round {round}: history and log disagree"
        );
        for seq in &acknowledged {
            let e = &entries[*seq as usize];
            assert_eq!(e.sequence, *seq);
            assert_eq!(e.entry.outcome, Outcome::Granted as u8, "round {round}");
        }
        // A transaction in flight at the kill either landed whole (its entry
        // is there, unacknowledged) or not at all.
        if entries.len() as u64 == last + 2 {
            in_flight_landed += 1;
            confirmed.lock().unwrap().push(last + 1);
        }
        server.healthy();
    }
    println!(
        "{ROUNDS} kills across the send cycle; the transaction in flight had landed (unacknowledged) in {in_flight_landed}; \
         {} accesses confirmed, none lost",
        confirmed.lock().unwrap().len()
    );
}

#[test]
fn a_served_directory_is_not_opened_directly_and_names_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let ledger = dir.path().join("ledger");
    let server = Server::start(dir.path(), &ledger, &key);
    let before = hdx_node::store::Snapshot::of(&ledger).unwrap();
    let started = Instant::now();
    let out = Command::new(HDX)
        .args(["patient", "register", "-k"])
        .arg(&key)
        .arg("--ledger")
        .arg(&ledger)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let url = &server.url;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!(
            "error: the ledger in {} is served by `hdx serve` at {url}: use `-u {url}` instead of opening it directly",
            ledger.display()
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "at once, not after a wait"
    );
    assert_eq!(hdx_node::store::Snapshot::of(&ledger).unwrap(), before);
    // A second server on the same directory is refused the same way.
    let out = Command::new(HDX)
        .args(["serve", "--bind", "127.0.0.1:0", "-k"])
        .arg(&key)
        .arg("--ledger")
        .arg(&ledger)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("is served by `hdx serve` at {url}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.healthy();
}

#[test]
fn an_old_format_ledger_gets_a_message_saying_what_to_do_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let ledger = dir.path().join("ledger");
    std::fs::create_dir_all(&ledger).unwrap();
    let old = br#"{"accounts":{},"slot":42}"#;
    std::fs::write(ledger.join(OLD_FORMAT_FILE), old).unwrap();
    let expected = format!(
        "error: {} holds a ledger of an older hdx (ledger.json, format 1). This hdx keeps ledgers \
         in SQLite (ledger.sqlite3, format 2), and program v2 changed every account layout, so the \
         old accounts cannot be carried over: move the directory aside (or pass --ledger NEW_DIR) \
         and start a new ledger",
        ledger.display()
    );
    for args in [
        &["patient", "register"][..],
        &["patient", "show"][..],
        &["serve", "--bind", "127.0.0.1:0"][..],
    ] {
        let out = Command::new(HDX)
            .args(args)
            .arg("-k")
            .arg(&key)
            .arg("--ledger")
            .arg(&ledger)
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            expected,
            "{args:?}"
        );
    }
    assert_eq!(std::fs::read(ledger.join(OLD_FORMAT_FILE)).unwrap(), old);
    assert!(!ledger.join("ledger.sqlite3").exists());
}
