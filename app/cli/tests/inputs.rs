//! Inputs a new user gets wrong, each answered by name with nothing changed
//! (issue 22's twelve): a commitment level or URL no cluster has, an empty
//! time range, a denial under `--output json`, negative numbers, a ledger
//! file that is not a database, a keypair path that is a directory or not a
//! keypair, a missing required flag, a signal while a transaction is in
//! flight, a truncated exported copy, and the wording and help of every
//! command. (A log page filled under a send is in `serve.rs`, with real
//! concurrent providers, and in the program tests, deterministically.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

mod machine;
use machine::*;

/// Runs `hdx ARGS` on `s`'s machine and expects exit `code` and, on stderr,
/// exactly one line containing `says`; and that the ledger did not change.
fn refused(s: &Scene, args: &[&str], code: i32, says: &str) -> Run {
    let before = s.m.ledger();
    let r = s.m.run(args);
    assert_eq!(
        r.code, code,
        "hdx {args:?}: exit {} (want {code})\n{}{}",
        r.code, r.stdout, r.stderr
    );
    assert!(
        r.stderr.contains(says),
        "hdx {args:?}: {:?} in {}",
        says,
        r.stderr
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "hdx {args:?}: one line: {}",
        r.stderr
    );
    assert_eq!(s.m.ledger(), before, "hdx {args:?} changed the ledger");
    r
}

/// Input 1: A commitment level no cluster has is refused, on every cluster, by
/// name (it was accepted silently on the embedded ledger), as a usage error.
#[test]
fn an_unknown_commitment_level_is_refused_by_name() {
    let s = Scene::new();
    for level in ["bogus", "finalised", "max", "Confirmed", ""] {
        for cluster in [&[][..], &["-u", "http://127.0.0.1:9"][..]] {
            let mut args = vec!["patient", "show", &s.patient.pubkey, "--commitment", level];
            args.extend(cluster);
            refused(
                &s,
                &args,
                2,
                "is not a commitment level (processed, confirmed or finalized)",
            );
        }
    }
    for level in ["processed", "confirmed", "finalized"] {
        s.m.ok(&["patient", "show", &s.patient.pubkey, "--commitment", level]);
    }
}

/// Input 2: `--since` after `--until` is a range nothing can be in: refused, not
/// "no entries" with exit 0.
#[test]
fn an_empty_time_range_is_refused_not_reported_empty() {
    let s = Scene::new();
    refused(
        &s,
        &[
            "audit",
            "log",
            &s.patient.pubkey,
            "--since",
            "2027-01-01",
            "--until",
            "2026-01-01",
        ],
        1,
        "--since 2027-01-01T00:00:00Z is not before --until 2026-01-01T00:00:00Z",
    );
    refused(
        &s,
        &[
            "audit",
            "log",
            &s.patient.pubkey,
            "--since",
            "2026-06-01",
            "--until",
            "2026-06-01",
        ],
        1,
        "is not before",
    );
}

/// Input 3: A URL that is not one names the monikers and schemes accepted.
#[test]
fn a_bad_url_names_what_is_accepted() {
    let s = Scene::new();
    let accepted = "give an http:// or https:// URL, a moniker (mainnet-beta, devnet, testnet, localhost; or m, d, t, l) or `embedded`";
    for (url, says) in [
        (
            "mainnet-gamma",
            "\"mainnet-gamma\" is neither a URL nor a moniker",
        ),
        ("foo://bar", "\"foo://bar\" has the scheme foo://"),
        ("http://", "\"http://\" names no host"),
        ("ws://127.0.0.1:8900", "has the scheme ws://"),
    ] {
        let r = refused(&s, &["patient", "show", "-u", url], 2, says);
        assert!(r.stderr.contains(accepted), "{}", r.stderr);
    }
}

/// Input 4: A denial under `--output json` carries `error`, `message` and `logs`,
/// as every failure does, beside its reason and log sequence.
#[test]
fn a_denial_in_json_has_error_message_and_logs() {
    let s = Scene::new();
    let r = s.lab_access("0", "treatment", &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["kind"], "denied");
    assert_eq!(j["error"], "Denied");
    assert_eq!(
        j["message"],
        "denied: NoConsent (the attempt is logged as entry 0)"
    );
    assert_eq!(j["logs"], Value::Array(vec![]));
    assert_eq!(j["outcome"], "Denied");
    assert_eq!(j["reason"], "NoConsent");
    assert_eq!(j["sequence"], 0);
}

/// Input 5: Negative numbers are read as numbers and refused by name (clap read
/// them as flags: "unexpected argument '-5'"); a negative clock offset is a
/// valid one.
#[test]
fn negative_numbers_are_refused_as_numbers() {
    let s = Scene::new();
    let grant = |extra: &[&'static str]| -> Vec<String> {
        let mut args = vec![
            "consent",
            "grant",
            s.lab.pubkey.as_str(),
            "--categories",
            "lab-results",
            "--modes",
            "read",
            "--purposes",
            "treatment",
            "-k",
            s.patient.path.as_str(),
        ];
        args.extend(extra);
        args.into_iter().map(str::to_string).collect()
    };
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    refused(
        &s,
        &strs(&grant(&["--expires", "-5d"])),
        1,
        "is in the past",
    );
    refused(
        &s,
        &strs(&grant(&["--expires", "30d", "--max-accesses", "-3"])),
        2,
        "-3 is negative: give a whole number from 0 to 4294967295",
    );
    refused(
        &s,
        &strs(&grant(&[
            "--expires",
            "30d",
            "--renew-every",
            "-1d",
            "--renewals",
            "2",
        ])),
        1,
        "--renew-every -1d must be positive",
    );
    refused(
        &s,
        &strs(&grant(&[
            "--expires",
            "30d",
            "--renew-every",
            "1d",
            "--renewals",
            "-2",
        ])),
        2,
        "-2 is negative",
    );
    refused(
        &s,
        &[
            "access",
            &s.patient.pubkey,
            "-1",
            "--purpose",
            "treatment",
            "-k",
            &s.lab.path,
        ],
        2,
        "-1 is negative",
    );
    refused(
        &s,
        &["emergency", "ack", "-4", "-k", &s.patient.path],
        2,
        "-4 is negative",
    );
    // A clock offset may be negative.
    s.m.ok(&[
        "patient",
        "show",
        &s.patient.pubkey,
        "--clock-offset",
        "-2h",
    ]);
}

/// Input 6: A ledger file that is not a database is named, on a write and a read,
/// and the failed open leaves no lock file behind.
#[test]
fn a_ledger_that_is_not_a_database_is_named_and_left_as_found() {
    let m = Machine::new();
    let key = m.keygen("me");
    let dir = m.path("ledger");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ledger.sqlite3");
    std::fs::write(&db, b"this is a shopping list, not a database").unwrap();
    for args in [
        &["patient", "register", "-k", key.path.as_str()][..],
        &["patient", "show", key.pubkey.as_str()][..],
    ] {
        let r = m.run(args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("error: {} is not an hdx ledger:", db.display())),
            "{}",
            r.stderr
        );
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["ledger.sqlite3"], "{args:?} left files behind");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            b"this is a shopping list, not a database"
        );
    }
}

/// Input 7: A keypair path that is a directory, or a file that is not a keypair,
/// is named as such: never the advice to overwrite it with `hdx keygen`.
#[test]
fn a_keypair_path_that_is_not_a_keypair_is_named_without_advice_to_overwrite_it() {
    let s = Scene::new();
    let dir = s.m.path("keys-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let corrupt = s.m.path("corrupt.json");
    std::fs::write(&corrupt, "[1, 2, 3]").unwrap();
    let dir = dir.display().to_string();
    let corrupt = corrupt.display().to_string();
    for (path, says) in [
        (
            &dir,
            format!("the keypair \"{dir}\" is a directory, not a keypair file"),
        ),
        (
            &corrupt,
            format!("the keypair file \"{corrupt}\" is not a keypair (a JSON array of 64 bytes)"),
        ),
    ] {
        let r = refused(&s, &["patient", "register", "-k", path], 1, &says);
        assert!(!r.stderr.contains("keygen"), "{}", r.stderr);
        let r = refused(
            &s,
            &[
                "provider",
                "rotate-key",
                "--new-key",
                path,
                "-k",
                &s.lab.path,
            ],
            1,
            &says.replace("the keypair", "the new key keypair"),
        );
        assert!(!r.stderr.contains("keygen"), "{}", r.stderr);
    }
    // A file that is not there gets the advice to create it.
    let missing = s.m.path("missing.json").display().to_string();
    refused(
        &s,
        &["patient", "register", "-k", &missing],
        1,
        &format!("(create one with `hdx keygen --outfile {missing}`)"),
    );
}

/// Input 8: A missing required flag is a usage error: exit 2, in JSON `usage`.
#[test]
fn a_missing_required_flag_is_a_usage_error() {
    let s = Scene::new();
    for (missing, args) in [
        (
            "--categories",
            vec![
                "--modes",
                "read",
                "--purposes",
                "treatment",
                "--expires",
                "30d",
            ],
        ),
        (
            "--modes",
            vec![
                "--categories",
                "imaging",
                "--purposes",
                "treatment",
                "--expires",
                "30d",
            ],
        ),
        (
            "--purposes",
            vec![
                "--categories",
                "imaging",
                "--modes",
                "read",
                "--expires",
                "30d",
            ],
        ),
        (
            "--expires",
            vec![
                "--categories",
                "imaging",
                "--modes",
                "read",
                "--purposes",
                "treatment",
            ],
        ),
    ] {
        let mut all = vec![
            "consent",
            "grant",
            s.lab.pubkey.as_str(),
            "-k",
            s.patient.path.as_str(),
        ];
        all.extend(args);
        refused(&s, &all, 2, &format!("{missing} is required to grant"));
        all.extend(["--output", "json"]);
        let j = s.m.run(&all).json();
        assert_eq!(j["kind"], "usage");
        assert_eq!(j["error"], "UsageError");
    }
    // As clap's own: a flag no use of the command goes without.
    refused(
        &s,
        &["access", &s.patient.pubkey, "0", "-k", &s.lab.path],
        2,
        "--purpose",
    );
}

/// Input 10: A truncated or extended copy states both lengths as they are.
#[test]
fn a_copy_of_another_length_states_both_lengths() {
    let s = Scene::new();
    s.grant_lab(&[]);
    for _ in 0..3 {
        s.lab_granted("0", "treatment");
    }
    let rows = s.m.json(&["audit", "log", &s.patient.pubkey]);
    let all = rows.as_array().unwrap().clone();
    assert_eq!(all.len(), 3);
    let copy = s.m.path("copy.json");
    for (n, says) in [
        (0, "the copy has 0 entries, the chain has 3 entries"),
        (1, "the copy has 1 entry, the chain has 3 entries"),
        (2, "the copy has 2 entries, the chain has 3 entries"),
    ] {
        std::fs::write(&copy, Value::Array(all[..n].to_vec()).to_string()).unwrap();
        let r = s.m.run(&[
            "audit",
            "verify",
            &s.patient.pubkey,
            "--copy",
            &copy.display().to_string(),
        ]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert_eq!(r.stderr.trim(), format!("error: {says}"));
    }
    let mut longer = all.clone();
    longer.push(all[2].clone());
    std::fs::write(&copy, Value::Array(longer).to_string()).unwrap();
    let r = s.m.run(&[
        "audit",
        "verify",
        &s.patient.pubkey,
        "--copy",
        &copy.display().to_string(),
    ]);
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr.trim(),
        "error: the copy has 4 entries, the chain has 3 entries"
    );
}

/// Input 12: Nouns agree with their numbers, every command is listed in the help
/// of its group and of `hdx`, and every argument has help text.
#[test]
fn wording_and_help_cover_every_command() {
    let help = |args: &[&str]| {
        let out = Command::new(HDX).args(args).arg("--help").output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    /// The subcommands a help text lists, with their one-line about.
    fn listed(text: &str) -> Vec<(String, String)> {
        text.split("Commands:\n")
            .nth(1)
            .unwrap_or_default()
            .lines()
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| {
                let l = l.trim();
                let (name, about) = l.split_once(' ').unwrap_or((l, ""));
                (name != "help").then(|| (name.to_string(), about.trim().to_string()))
            })
            .collect()
    }
    let top = help(&[]);
    for (group, about) in listed(&top) {
        assert!(!about.is_empty(), "hdx {group} has no help text");
        for (sub, sub_about) in listed(&help(&[&group])) {
            assert!(
                about.contains(&sub),
                "`hdx --help` says of {group} {about:?}, which omits {sub}"
            );
            assert!(!sub_about.is_empty(), "hdx {group} {sub} has no help text");
            let text = help(&[&group, &sub]);
            // Every option and positional argument says what it is: on its
            // line, or (clap's long layout) on the lines below it.
            let sections = text.split("\nOptions:\n").collect::<Vec<_>>();
            let arguments = sections[0].split("Arguments:\n").nth(1).unwrap_or_default();
            let options = sections.get(1).copied().unwrap_or_default();
            for block in [arguments, options] {
                let lines: Vec<&str> = block.lines().take_while(|l| !l.is_empty()).collect();
                for (i, line) in lines.iter().enumerate() {
                    let item = line.trim_start();
                    let indent = line.len() - item.len();
                    let is_item = indent <= 6
                        && (item.starts_with('-')
                            || item.starts_with('<')
                            || item.starts_with('['));
                    if !is_item || item.contains("--help") {
                        continue;
                    }
                    let same_line = item
                        .split_once("  ")
                        .is_some_and(|(_, h)| !h.trim().is_empty());
                    let next_line = lines
                        .get(i + 1)
                        .is_some_and(|n| n.len() - n.trim_start().len() > indent + 2);
                    assert!(
                        same_line || next_line,
                        "hdx {group} {sub}: without help: {line:?}"
                    );
                }
            }
        }
    }
    // The omissions that were reported.
    for (group, sub) in [
        ("consent", "history"),
        ("consent", "renew"),
        ("record", "upload"),
        ("patient", "emergency-policy"),
    ] {
        let line = top
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{group} ")))
            .unwrap();
        assert!(line.contains(sub), "{line}");
    }
    assert!(
        help(&["consent", "list"])
            .lines()
            .any(|l| l.trim_start().starts_with("--patient <PATIENT>")
                && l.contains("Only this patient's consents")),
        "{}",
        help(&["consent", "list"])
    );
}

/// A JSON-RPC proxy in front of `upstream` that holds every
/// `sendTransaction` for `hold` before forwarding it, and tells `sent` when
/// one arrives.
fn delaying_proxy(upstream: String, hold: Duration, sent: mpsc::Sender<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (upstream, sent) = (upstream.clone(), sent.clone());
            std::thread::spawn(move || proxy_connection(stream, &upstream, hold, &sent));
        }
    });
    url
}

fn proxy_connection(stream: TcpStream, upstream: &str, hold: Duration, sent: &mpsc::Sender<()>) {
    let http = reqwest::blocking::Client::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if String::from_utf8_lossy(&body).contains("\"sendTransaction\"") {
            let _ = sent.send(());
            std::thread::sleep(hold);
        }
        let Ok(answer) = http
            .post(upstream)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .and_then(|r| r.bytes())
        else {
            return;
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(&answer))
            .is_err()
        {
            return;
        }
    }
}

/// Input 9: SIGTERM (or Ctrl-C) while an access is in flight: the send and its
/// confirmation finish, the locator of the counted access is printed, then
/// the process exits. (Without the handling it died printing nothing, the
/// access counted and logged.)
#[test]
fn a_signal_during_an_access_lets_it_finish_and_prints_the_locator() {
    use common::{scene, Server};
    let dir = tempfile::tempdir().unwrap();
    let auth = solana_sdk::signature::Keypair::new();
    let auth_path = dir.path().join("authority.json");
    solana_sdk::signature::write_keypair_file(&auth, &auth_path).unwrap();
    let server = Server::start(dir.path(), &dir.path().join("ledger"), &auth_path);
    let sc = scene(&server, &auth);
    let lab_path = dir.path().join("lab.json");
    solana_sdk::signature::write_keypair_file(&sc.lab, &lab_path).unwrap();
    let patient = solana_sdk::signature::Signer::pubkey(&sc.patient).to_string();
    let (tx, rx) = mpsc::channel();
    let proxy = delaying_proxy(server.url.clone(), Duration::from_millis(1500), tx);
    for signal in ["TERM", "INT"] {
        while rx.try_recv().is_ok() {} // an earlier run's sends
        let started = Instant::now();
        let child = Command::new(HDX)
            .args([
                "access",
                &patient,
                "0",
                "--purpose",
                "treatment",
                "-u",
                &proxy,
                "-k",
            ])
            .arg(&lab_path)
            .env("HOME", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the access reaches sendTransaction");
        let kill = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "SIG{signal}: {stdout}\n{stderr}"
        );
        assert!(
            stdout.starts_with("Granted (log entry "),
            "SIG{signal}: {stdout}"
        );
        assert!(stdout.contains("locator:"), "{stdout}");
        assert!(
            stderr.contains("interrupted: finishing the transaction in flight first"),
            "{stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    // Both accesses landed and were counted: entries 1 and 2 after the scene's 0.
    let rows = Command::new(HDX)
        .args([
            "audit",
            "log",
            &patient,
            "--output",
            "json",
            "-u",
            &server.url,
        ])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&rows.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
}

mod common;
