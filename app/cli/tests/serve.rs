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
         in SQLite (ledger.sqlite3, format 3), and program v2 changed every account layout, so the \
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

/// Readers never see state a crash then loses: `hdx serve` is SIGKILLed
/// while a sender keeps it committing back to back (each `sendTransaction`
/// returns once its transaction is committed) and readers poll the consent's
/// access count, which every access raises with its log entry, at every
/// commitment level the node accepts. After each restart the count is at
/// least what any reader saw: the node shows a transaction's state only
/// after the store has committed it.
#[test]
fn a_reader_never_sees_state_that_a_crash_then_loses() {
    use solana_commitment_config::CommitmentConfig;
    use solana_rpc_client::rpc_client::RpcClient;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let ledger = dir.path().join("ledger");
    let server = Server::start(dir.path(), &ledger, &key);
    let s = scene(&server, &read_keypair_file(&key).unwrap());
    let (lab, patient) = (Arc::new(s.lab), s.patient.pubkey());
    let l = lab.pubkey();
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
    c.send(
        &[ix::update_consent(patient, &patient, &l, terms)],
        &s.patient,
        &[],
    )
    .unwrap();
    drop(server);
    let consent = pda::consent(&patient, &l).0;
    let used = |data: &[u8]| -> u32 {
        use anchor_lang::AccountDeserialize;
        hdx_sdk::program::state::Consent::try_deserialize(&mut &data[..])
            .unwrap()
            .accesses_used
    };
    const ROUNDS: u64 = 12;
    let (mut ahead, mut sent) = (0, 0);
    for round in 0..ROUNDS {
        let mut server = Server::start(dir.path(), &ledger, &key);
        let entries = server.client().log(&patient).unwrap().entries().len() as u64;
        let seen = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sender = {
            let (lab, url, done) = (lab.clone(), server.url.clone(), done.clone());
            std::thread::spawn(move || {
                let rpc = RpcClient::new(url);
                let mut hash = None;
                for (entries, fee) in (entries..).zip(1u64..) {
                    if fee % 64 == 1 {
                        hash = rpc.get_latest_blockhash().ok();
                    }
                    let Some(hash) = hash else { break };
                    let mut ixs = vec![ComputeBudgetInstruction::set_compute_unit_price(fee)];
                    let page = (entries / 64) as u32;
                    if entries.is_multiple_of(64) && entries > 0 {
                        ixs.push(ix::open_log_page(l, &patient, page - 1));
                    }
                    ixs.push(ix::access_record(
                        l,
                        &l,
                        &patient,
                        0,
                        page,
                        Purpose::Treatment,
                    ));
                    let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
                        &ixs,
                        Some(&l),
                        &[&*lab],
                        hash,
                    );
                    if rpc.send_transaction(&tx).is_err() {
                        break;
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let readers: Vec<_> = [
            CommitmentConfig::processed(),
            CommitmentConfig::confirmed(),
            CommitmentConfig::finalized(),
        ]
        .into_iter()
        .map(|commitment| {
            let (url, seen, stop) = (server.url.clone(), seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let rpc = RpcClient::new_with_commitment(url, commitment);
                while !stop.load(Ordering::SeqCst) {
                    match rpc.get_account_with_commitment(&consent, commitment) {
                        Ok(r) => {
                            let n = r.value.map_or(0, |a| used(&a.data));
                            seen.fetch_max(n, Ordering::SeqCst);
                        }
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
        let started = Instant::now();
        while done.load(Ordering::SeqCst) < 20 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the sender stalled"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_micros(1_300 * round));
        server.kill();
        stop.store(true, Ordering::SeqCst);
        sender.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
        sent += u64::from(done.load(Ordering::SeqCst));
        let server = Server::start(dir.path(), &ledger, &key);
        let held = server
            .client()
            .consent(&patient, &l)
            .unwrap()
            .unwrap()
            .accesses_used;
        let saw = seen.load(Ordering::SeqCst);
        assert!(
            held >= saw,
            "round {round}: a reader saw {saw} accesses counted, the restarted node holds {held}: \
             state was served that the crash lost"
        );
        server.client().log(&patient).unwrap().verify().unwrap();
        ahead += u64::from(held - saw);
    }
    println!(
        "{ROUNDS} kills, {sent} accesses acknowledged, readers at every commitment level: \
         no reader saw state the crash lost ({ahead} accesses held that no reader had seen yet)"
    );
}

/// Commitment levels: `processed`, `confirmed` and `finalized` are accepted
/// (all read durable state here); anything else is refused as the validator
/// refuses it. `getBlockTime` answers a transaction's slot with its time,
/// and an empty slot as skipped.
#[test]
fn commitment_levels_and_block_times_answer_as_a_validator_does() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let server = Server::start(dir.path(), &dir.path().join("ledger"), &key);
    let s = scene(&server, &read_keypair_file(&key).unwrap());
    let p = pda::patient(&s.patient.pubkey()).0.to_string();
    for level in ["processed", "confirmed", "finalized"] {
        let r = server.call(
            "getAccountInfo",
            serde_json::json!([p, { "encoding": "base64", "commitment": level }]),
        );
        assert!(r["result"]["value"]["data"].is_array(), "{level}: {r}");
    }
    // Every binary encoding says the same bytes: the stock client asks for
    // base64+zstd (one account and several), the SDK for base64.
    let addresses = [
        pda::patient(&s.patient.pubkey()).0,
        pda::log_page(&s.patient.pubkey(), 0).0,
        pda::consent(&s.patient.pubkey(), &s.lab.pubkey()).0,
        solana_sdk::pubkey::Pubkey::new_unique(),
    ];
    let ours = server.client().transport.accounts(&addresses).unwrap();
    assert!(ours[..3].iter().all(Option::is_some) && ours[3].is_none());
    let stock = solana_rpc_client::rpc_client::RpcClient::new(server.url.clone());
    let zstd = stock.get_multiple_accounts(&addresses).unwrap();
    assert_eq!(zstd, ours);
    for (address, account) in addresses.iter().zip(&ours).take(3) {
        assert_eq!(Some(stock.get_account(address).unwrap()), *account);
    }
    for bogus in ["bogus", "finalised", "max"] {
        let r = server.call(
            "getAccountInfo",
            serde_json::json!([p, { "encoding": "base64", "commitment": bogus }]),
        );
        assert_eq!(r["error"]["code"], -32602, "{bogus}: {r}");
    }
    // The scene's last transaction (the access): its slot and time.
    let sigs = server.call(
        "getSignaturesForAddress",
        serde_json::json!([pda::consent(&s.patient.pubkey(), &s.lab.pubkey())
            .0
            .to_string()]),
    );
    let last = &sigs["result"][0];
    let slot = last["slot"].as_u64().unwrap();
    let t = server.call("getBlockTime", serde_json::json!([slot]));
    assert_eq!(t["result"], last["blockTime"], "{t}");
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((t["result"].as_i64().unwrap() - wall).abs() <= 5, "{t}");
    // Slot 1 ran no transaction here (the node starts on an empty slot).
    let skipped = server.call("getBlockTime", serde_json::json!([1]));
    assert_eq!(skipped["error"]["code"], -32007, "{skipped}");
    let future = server.call("getBlockTime", serde_json::json!([u64::MAX]));
    assert_eq!(future["error"]["code"], -32004, "{future}");
    // The Clock sysvar reads as the node's clock now, not the last transaction's.
    let clock = server.client().transport.unix_time().unwrap();
    assert!((clock - wall).abs() <= 1, "{clock} vs {wall}");
}

/// The same rule without a race: another process holds the ledger's write
/// lock, so the node cannot commit the next transaction. The sender gets an
/// error, and no reader, at any commitment level, sees anything of that
/// transaction (not its log entry, not its status); after a restart it is
/// not there either.
#[test]
fn a_transaction_the_store_did_not_commit_is_shown_to_no_reader() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let ledger = dir.path().join("ledger");
    let mut server = Server::start(dir.path(), &ledger, &key);
    let s = scene(&server, &read_keypair_file(&key).unwrap());
    let (l, p) = (s.lab.pubkey(), s.patient.pubkey());
    let c = server.client();
    let before = c.log(&p).unwrap().entries().len();
    let page = pda::log_page(&p, 0).0.to_string();
    let page_data = |level: &str| {
        server.call(
            "getAccountInfo",
            serde_json::json!([page, { "encoding": "base64", "commitment": level }]),
        )["result"]["value"]["data"][0]
            .clone()
    };
    let shown = page_data("processed");
    let lock = rusqlite::Connection::open(ledger.join(hdx_node::store::DB_FILE)).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let page_index = c.writable_log_page(&s.lab, &p).unwrap();
    let tx = c
        .transaction(
            &[
                // Distinct from the scene's access under the same blockhash.
                ComputeBudgetInstruction::set_compute_unit_price(7),
                ix::access_record(l, &l, &p, 0, page_index, Purpose::Treatment),
            ],
            &s.lab,
            &[],
        )
        .unwrap();
    // The sendTransaction itself (not a confirmation loop that would wait
    // for a status forever) must fail: no acknowledgement before the commit.
    use base64::Engine;
    let wire = base64::engine::general_purpose::STANDARD.encode(bincode::serialize(&tx).unwrap());
    let sent = server.call(
        "sendTransaction",
        serde_json::json!([wire, { "encoding": "base64" }]),
    );
    assert!(
        sent["result"].is_null()
            && sent["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("could not record")),
        "an uncommitted transaction was acknowledged, or failed otherwise: {sent}"
    );
    for level in ["processed", "confirmed", "finalized"] {
        assert_eq!(page_data(level), shown, "{level}: uncommitted state served");
    }
    let status = server.call(
        "getSignatureStatuses",
        serde_json::json!([[tx.signatures[0].to_string()]]),
    );
    assert!(status["result"]["value"][0].is_null(), "{status}");
    drop(lock);
    server.kill();
    let server = Server::start(dir.path(), &ledger, &key);
    assert_eq!(server.client().log(&p).unwrap().entries().len(), before);
}

#[test]
fn with_no_keypair_configured_serve_makes_and_names_the_authority_key() {
    // HOME has no ~/.config/solana: no config file, no id.json.
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let (mut server, said) =
        hdx::served::ServeProcess::start_with(Path::new(HDX), dir.path(), &ledger, None)
            .expect("hdx serve starts with no keypair");
    let made = ledger.join("authority-keypair.json");
    assert_eq!(
        said.first().map(String::as_str),
        Some(
            format!(
                "No keypair configured: created the upgrade authority's keypair {} (pass -k to use yours)",
                made.display()
            )
            .as_str()
        ),
        "{said:?}"
    );
    let key = read_keypair_file(&made).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&made).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let banner = said.join("\n");
    assert!(
        banner.contains(&format!("upgrade authority {}", key.pubkey())),
        "{banner}"
    );
    // The key works: it registers as a patient through the server.
    let out = Command::new(HDX)
        .args(["patient", "register", "-u", &server.url, "-k"])
        .arg(&made)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Restarted with no keypair, the existing ledger needs none and keeps its authority.
    server.kill();
    let (_again, said) =
        hdx::served::ServeProcess::start_with(Path::new(HDX), dir.path(), &ledger, None).unwrap();
    let banner = said.join("\n");
    assert!(!banner.contains("No keypair configured"), "{banner}");
    assert!(
        banner.contains(&format!("upgrade authority {}", key.pubkey())),
        "{banner}"
    );
}

/// Two providers access one patient's record at once through the SDK over
/// JSON-RPC, 64 times each (`HDX_CONCURRENT_ACCESSES=N` for N each), across
/// two page boundaries: every access is
/// granted (a page filled under one is sent again on the next page: 13 of
/// 2,000 `hdx access` calls failed with `LogPageFull` before), and the log
/// is contiguous and folds to its head.
#[test]
fn two_providers_at_once_across_page_boundaries_all_land() {
    let each: u64 = std::env::var("HDX_CONCURRENT_ACCESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "authority");
    let auth = read_keypair_file(&key).unwrap();
    let server = Server::start(dir.path(), &dir.path().join("ledger"), &key);
    let s = scene(&server, &auth);
    let c = server.client();
    let p = s.patient.pubkey();
    // A second verified lab with the same consent.
    let lab2 = solana_sdk::signature::Keypair::new();
    let l2 = lab2.pubkey();
    hdx_sdk::transport::Faucet::fund(&server.faucet(), &l2, 10_000_000_000).unwrap();
    c.send(
        &[ix::register_provider(
            l2,
            hdx_sdk::codes::ProviderKind::Laboratory,
            [4; 32],
        )],
        &lab2,
        &[],
    )
    .unwrap();
    c.send(&[ix::verify_provider(auth.pubkey(), &l2)], &auth, &[])
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
    c.send(&[ix::grant_consent(p, &p, &l2, terms)], &s.patient, &[])
        .unwrap();
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|scope| {
        [&s.lab, &lab2]
            .map(|lab| {
                let url = server.url.clone();
                scope.spawn(move || {
                    let c = common::client(&url);
                    let mut failed = Vec::new();
                    for _ in 0..each {
                        if let Err(e) =
                            c.access_record(lab, &lab.pubkey(), &p, 0, Purpose::Treatment)
                        {
                            failed.push(format!("{e}"));
                        }
                    }
                    failed
                })
            })
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    println!(
        "{} concurrent accesses in {:.1}s",
        2 * each,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(failures, Vec::<String>::new());
    let patient = c.patient(&p).unwrap();
    // The scene's one entry, then the accesses, 64 to a page.
    let entries = 1 + 2 * each;
    assert_eq!(u64::from(patient.log_pages), entries.div_ceil(64));
    let log = c.log(&p).unwrap();
    assert_eq!(log.entries().len() as u64, entries);
    log.verify().unwrap();
}
