//! The `hdx` binary driven as a user drives it, against a temporary embedded
//! ledger: each role's happy path, each named denial with its exit code,
//! `--output json` parsed back, FHIR export checked by an independent
//! validator, `audit verify` catching a tampered copy, and bad input
//! refused with one line and no state change.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod machine;
#[path = "fhir/python.rs"]
mod python;
use machine::*;
use python::fhir_python;

#[test]
fn patient_provider_auditor_story_runs_through_the_binary() {
    let s = Scene::new();
    s.grant_lab(&[]);

    // The patient sees the consent.
    let consents = s.m.json(&["consent", "list", "-k", &s.patient.path]);
    assert_eq!(consents.as_array().unwrap().len(), 1);
    assert_eq!(consents[0]["provider"], s.lab.pubkey.as_str());
    assert_eq!(
        consents[0]["categories"],
        serde_json::json!(["lab-results"])
    );
    assert_eq!(consents[0]["purposes"], serde_json::json!(["treatment"]));
    assert_eq!(consents[0]["state"], "live");

    // The provider reads the lab result: the pointer comes back.
    let r = s.lab_access("0", "treatment", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let g = r.json();
    assert_eq!(g["outcome"], "Granted");
    assert_eq!(g["sequence"], 0);
    assert_eq!(g["record"], 0);
    assert_eq!(g["locator"], "vault://lab-0");
    assert_eq!(g["content_hash"], H1);

    // Imaging is not in scope: denied, logged, exit 3.
    assert_denied(&s.lab_access("1", "TREAT", &[]), "CategoryNotPermitted", 1);

    // The unverified researcher gets a hard error by name, with logs, and no entry.
    let r = s.m.run(&[
        "access",
        &s.patient.pubkey,
        "0",
        "--purpose",
        "research",
        "-k",
        &s.researcher.path,
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: ProviderNotVerified (error 6007): The provider is not verified"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("program logs:"), "{}", r.stderr);

    // Revocation takes effect at once.
    s.as_patient(&["consent", "revoke", &s.lab.pubkey]);
    assert_denied(&s.lab_access("0", "treatment", &[]), "NoConsent", 2);

    // Re-grant for one hour; two hours later it has expired with no transaction.
    s.grant_lab(&[]);
    s.as_patient(&["consent", "update", &s.lab.pubkey, "--expires", "1h"]);
    assert_denied(
        &s.lab_access("0", "treatment", &["--clock-offset", "2h"]),
        "Expired",
        3,
    );

    // The auditor's view: the table, the JSON and the chain.
    assert_eq!(
        s.outcomes(),
        ["Granted", "CategoryNotPermitted", "NoConsent", "Expired"]
    );
    let table = s.m.ok(&["audit", "log", &s.patient.pubkey]);
    assert!(table.stdout.starts_with("seq  when"), "{}", table.stdout);
    assert_eq!(table.stdout.lines().count(), 5);
    assert!(
        table.stderr.is_empty(),
        "no progress bar when piped: {}",
        table.stderr
    );
    let v = s.m.json(&["audit", "verify", &s.patient.pubkey]);
    assert_eq!(v["verified"], true);
    assert_eq!(v["entries"], 4);

    // Filters: by provider (none from the researcher) and by time.
    let none = s.m.json(&[
        "audit",
        "log",
        &s.patient.pubkey,
        "--provider",
        &s.researcher.pubkey,
    ]);
    assert_eq!(none, serde_json::json!([]));
    let later = s.m.json(&[
        "audit",
        "log",
        &s.patient.pubkey,
        "--since",
        "1h",
        "--clock-offset",
        "90m",
    ]);
    assert_eq!(
        later.as_array().unwrap().len(),
        1,
        "only the entry made two hours ahead"
    );
    let csv =
        s.m.ok(&["audit", "log", &s.patient.pubkey, "--format", "csv"])
            .stdout;
    assert_eq!(
        csv.lines().next().unwrap(),
        "sequence,time,unix_time,provider_number,provider,provider_kind,action,record_index,category,purpose,outcome,consent_revision,emergency_window,emergency_reason"
    );
    assert_eq!(csv.lines().count(), 5);

    // The registry authority's and the auditor's listings.
    let verified = s.m.json(&["provider", "list", "--status", "verified"]);
    assert_eq!(verified.as_array().unwrap().len(), 1);
    assert_eq!(verified[0]["provider"], s.lab.pubkey.as_str());
    assert_eq!(verified[0]["kind"], "laboratory");
    let pending = s.m.json(&["provider", "list", "--status", "pending"]);
    assert_eq!(pending[0]["provider"], s.researcher.pubkey.as_str());
    let shown = s.m.json(&["registry", "show"]);
    assert_eq!(shown["authority"], s.auth.pubkey.as_str());
    assert_eq!(shown["paused"], false);
}

#[test]
fn a_provider_writes_a_record_within_its_write_consent() {
    let s = Scene::new();
    s.as_patient(&[
        "consent",
        "grant",
        &s.lab.pubkey,
        "--categories",
        "lab-results",
        "--modes",
        "read,write",
        "--purposes",
        "treatment",
        "--expires",
        "7d",
    ]);
    let content = s.m.path("report.pdf");
    std::fs::write(&content, b"not really a pdf").unwrap();
    let w = s.m.json(&[
        "write",
        &s.patient.pubkey,
        "--category",
        "lab-results",
        "--locator",
        "vault://lab-2",
        "--content-file",
        content.to_str().unwrap(),
        "--purpose",
        "treatment",
        "-k",
        &s.lab.path,
    ]);
    assert_eq!(w["record"], 2);
    let records = s.m.json(&["record", "list", &s.patient.pubkey]);
    assert_eq!(records[2]["author"], s.lab.pubkey.as_str());
    assert_eq!(records[2]["locator"], "vault://lab-2");
    // sha256("not really a pdf"), computed locally; the file never leaves the machine.
    use sha2::{Digest, Sha256};
    let expected: String = Sha256::digest(b"not really a pdf")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(records[2]["content_hash"], expected.as_str());
    // Imaging is outside the write consent: denied and logged.
    let r = s.m.run(&[
        "write",
        &s.patient.pubkey,
        "--category",
        "imaging",
        "--locator",
        "x",
        "--content-hash",
        H1,
        "--purpose",
        "treatment",
        "-k",
        &s.lab.path,
        "--output",
        "json",
    ]);
    assert_denied(&r, "CategoryNotPermitted", 1);
}

#[test]
fn every_denial_reason_exits_3_with_its_name() {
    let s = Scene::new();
    // Each row: consent flags, then the access (record, purpose), the expected reason.
    let cases: [(&[&str], &str, &str, &str); 5] = [
        (
            &[
                "--categories",
                "lab-results",
                "--modes",
                "read",
                "--purposes",
                "treatment",
                "--not-before",
                "1d",
                "--expires",
                "30d",
            ],
            "0",
            "treatment",
            "NotYetValid",
        ),
        (
            &[
                "--categories",
                "lab-results",
                "--modes",
                "read",
                "--purposes",
                "treatment",
                "--expires",
                "30d",
            ],
            "1",
            "treatment",
            "CategoryNotPermitted",
        ),
        (
            &[
                "--categories",
                "lab-results",
                "--modes",
                "write",
                "--purposes",
                "treatment",
                "--expires",
                "30d",
            ],
            "0",
            "treatment",
            "ModeNotPermitted",
        ),
        (
            &[
                "--categories",
                "lab-results",
                "--modes",
                "read",
                "--purposes",
                "treatment",
                "--expires",
                "30d",
            ],
            "0",
            "research",
            "PurposeNotPermitted",
        ),
        (&[], "0", "treatment", "NoConsent"),
    ];
    for (seq, (flags, record, purpose, reason)) in cases.iter().enumerate() {
        if !flags.is_empty() {
            let mut args = vec!["consent", "grant", s.lab.pubkey.as_str()];
            args.extend(flags.iter());
            assert_eq!(s.as_patient(&args).code, 0);
        }
        assert_denied(&s.lab_access(record, purpose, &[]), reason, seq as u64);
        if !flags.is_empty() {
            assert_eq!(s.as_patient(&["consent", "revoke", &s.lab.pubkey]).code, 0);
        }
    }
    s.grant_lab(&[]);
    assert_denied(
        &s.lab_access("0", "treatment", &["--clock-offset", "31d"]),
        "Expired",
        5,
    );
    assert_eq!(
        s.outcomes(),
        [
            "NotYetValid",
            "CategoryNotPermitted",
            "ModeNotPermitted",
            "PurposeNotPermitted",
            "NoConsent",
            "Expired"
        ]
    );
}

#[test]
fn program_errors_are_printed_by_name_with_message_and_logs() {
    let s = Scene::new();
    // The patient is not the registry authority.
    let r = s.as_patient(&[
        "provider",
        "verify",
        &s.researcher.pubkey,
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: NotRegistryAuthority (error 6001): The signer is not the registry authority\nprogram logs:\n"), "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["kind"], "program");
    assert_eq!(j["error"], "NotRegistryAuthority");
    assert_eq!(j["code"], 6001);
    // Each program log line once, in the order the program wrote them.
    let logs: Vec<&str> = j["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(logs[1], "Program log: Instruction: VerifyProvider");
    assert_eq!(
        logs.iter().filter(|l| l.contains("Instruction:")).count(),
        1
    );
    assert_eq!(
        logs.iter().filter(|l| l.contains(" invoke [")).count(),
        1,
        "{logs:?}"
    );
    assert_eq!(
        r.stderr
            .matches("Program log: Instruction: VerifyProvider")
            .count(),
        1
    );
    // Simulation said it fails, so it was not sent: no fee, no transaction.
    let before = s.m.ledger();
    assert_eq!(
        s.as_patient(&["provider", "verify", &s.researcher.pubkey])
            .code,
        1
    );
    assert_eq!(
        s.m.ledger(),
        before,
        "a failing transaction changed the ledger"
    );
    // Pause refuses access by name; revocation still works while paused.
    s.grant_lab(&[]);
    s.m.ok(&["registry", "pause", "-k", &s.auth.path]);
    let r = s.lab_access("0", "treatment", &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"], "ProgramPaused");
    assert_eq!(s.as_patient(&["consent", "revoke", &s.lab.pubkey]).code, 0);
    s.m.ok(&["registry", "unpause", "-k", &s.auth.path]);
}

#[test]
fn authority_commands_print_the_unsigned_transaction_and_send_nothing() {
    use base64::Engine;
    use solana_sdk::transaction::Transaction;
    let s = Scene::new();
    let multisig = s.m.keygen("vault").pubkey;
    let before = s.m.ledger();
    let cases: [&[&str]; 4] = [
        &["provider", "verify", &s.researcher.pubkey],
        &["provider", "suspend", &s.lab.pubkey],
        &["registry", "pause"],
        &["registry", "propose-authority", &multisig],
    ];
    for args in cases {
        for (encoding, payer) in [("base64", &s.auth.pubkey), ("base58", &multisig)] {
            let mut all = args.to_vec();
            all.extend(["--print-tx", encoding, "-k", &s.auth.path]);
            if encoding == "base58" {
                all.extend(["--authority", &multisig]);
            }
            let out = s.m.ok(&all).stdout;
            let bytes = match encoding {
                "base64" => base64::engine::general_purpose::STANDARD
                    .decode(out.trim())
                    .unwrap(),
                _ => bs58::decode(out.trim()).into_vec().unwrap(),
            };
            let tx: Transaction = bincode::deserialize(&bytes).unwrap();
            assert!(
                tx.signatures.iter().all(|s| *s == Default::default()),
                "unsigned"
            );
            assert_eq!(
                tx.message.account_keys[0].to_string(),
                *payer,
                "{args:?}: fee payer and authority"
            );
            assert_eq!(tx.message.instructions.len(), 1);
            let program =
                tx.message.account_keys[tx.message.instructions[0].program_id_index as usize];
            assert_eq!(program, hdx_sdk::PROGRAM_ID);
        }
    }
    assert_eq!(
        s.m.ledger(),
        before,
        "printing a transaction changes nothing"
    );
    // The base64 verify transaction, once signed, is exactly the one `provider verify` sends.
    let out =
        s.m.ok(&[
            "provider",
            "verify",
            &s.researcher.pubkey,
            "--print-tx",
            "base64",
            "-k",
            &s.auth.path,
        ])
        .stdout;
    let tx: Transaction = bincode::deserialize(
        &base64::engine::general_purpose::STANDARD
            .decode(out.trim())
            .unwrap(),
    )
    .unwrap();
    let expected = hdx_sdk::ix::verify_provider(
        s.auth.pubkey.parse().unwrap(),
        &s.researcher.pubkey.parse().unwrap(),
    );
    assert_eq!(tx.message.instructions[0].data, expected.data);
}

#[test]
fn bad_input_gets_one_line_naming_the_problem_and_changes_nothing() {
    let s = Scene::new();
    let long = "x".repeat(129);
    let zero = "0".repeat(64);
    let patient = s.patient.pubkey.as_str();
    // Each row: the command (LAB, PATIENT, P = the patient's keypair, K = the lab's,
    // H1, LONG, ZERO substituted), its exit code, and what its one line must say.
    let grant = "consent grant LAB --modes read -k P --categories";
    let cases: [(String, i32, &str); 15] = [
        ("consent grant not-a-key --categories lab-results --modes read --purposes treatment --expires 30d -k P".into(), 2, "\"not-a-key\" is not a base58 public key"),
        (format!("{grant} lab-results,x-rays --purposes treatment --expires 30d"), 2, "unknown category \"x-rays\""),
        (format!("{grant} lab-results --purposes curiosity --expires 30d"), 2, "unknown purpose \"curiosity\""),
        (format!("{grant} lab-results --purposes treatment --expires 2020-01-01"), 1, "is in the past"),
        (format!("{grant} lab-results --purposes treatment --not-before 20d --expires 10d"), 1, "is not after the start"),
        (format!("{grant} lab-results --purposes treatment --expires soon"), 1, "invalid time \"soon\""),
        ("consent revoke LAB -k P".into(), 1, "you have no live consent for"),
        ("record add --category imaging --locator LONG --content-hash H1 -k P".into(), 1, "the locator is 129 bytes, the limit is 128"),
        ("record add --category imaging --locator x --content-hash abc -k P".into(), 2, "is not 32 bytes of hex"),
        ("record add --category imaging --locator x --content-hash ZERO -k P".into(), 2, "an all-zero hash commits to nothing"),
        ("record add --category imaging --locator x --content-hash H1 -k /nonexistent/key.json".into(), 1, "the keypair file \"/nonexistent/key.json\" does not exist (create one with `hdx keygen --outfile /nonexistent/key.json`)"),
        ("access PATIENT 7 --purpose treatment -k K".into(), 1, "has no record 7"),
        ("registry show -u http://127.0.0.1:9".into(), 1, "cannot reach the cluster at http://127.0.0.1:9"),
        ("provider list --status retired".into(), 2, "invalid value 'retired'"),
        ("registry show -C /nonexistent/config.yml".into(), 1, "config file not found: /nonexistent/config.yml"),
    ];
    for (command, code, message) in &cases {
        let args: Vec<&str> = command
            .split_whitespace()
            .map(|w| match w {
                "LAB" => s.lab.pubkey.as_str(),
                "PATIENT" => patient,
                "P" => s.patient.path.as_str(),
                "K" => s.lab.path.as_str(),
                "H1" => H1,
                "LONG" => &long,
                "ZERO" => &zero,
                w => w,
            })
            .collect();
        let (code, message) = (*code, *message);
        let before = s.m.ledger();
        let r = s.m.run(&args);
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(message),
            "{args:?}: expected {message:?} in {:?}",
            r.stderr
        );
        assert_eq!(
            r.stderr.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {:?}",
            r.stderr
        );
        assert!(
            r.stdout.is_empty(),
            "{args:?}: nothing on stdout: {}",
            r.stdout
        );
        assert_eq!(s.m.ledger(), before, "{args:?} changed the ledger");
    }
}

#[test]
fn audit_verify_catches_a_tampered_exported_copy() {
    let s = Scene::new();
    s.grant_lab(&[]);
    s.lab_granted("0", "treatment");
    assert_denied(
        &s.lab_access("1", "treatment", &[]),
        "CategoryNotPermitted",
        1,
    );
    assert_denied(
        &s.lab_access("0", "research", &[]),
        "PurposeNotPermitted",
        2,
    );
    let export =
        s.m.ok(&["audit", "log", &s.patient.pubkey, "--format", "json"])
            .stdout;
    let copy = s.m.path("copy.json");
    std::fs::write(&copy, &export).unwrap();
    let v = s.m.json(&[
        "audit",
        "verify",
        &s.patient.pubkey,
        "--copy",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(v["verified"], true);
    assert_eq!(v["entries"], 3);

    // Someone turns a denial into a grant in the copy.
    let mut rows: Value = serde_json::from_str(&export).unwrap();
    assert_eq!(rows[1]["outcome"], "CategoryNotPermitted");
    rows[1]["outcome"] = "Granted".into();
    std::fs::write(&copy, rows.to_string()).unwrap();
    let r = s.m.run(&[
        "audit",
        "verify",
        &s.patient.pubkey,
        "--copy",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim_end(),
        "error: entry 1 differs from the on-chain entry: outcome is \"Granted\" in the copy, \"CategoryNotPermitted\" on the chain"
    );

    // Someone drops the last entry.
    let mut rows: Value = serde_json::from_str(&export).unwrap();
    rows.as_array_mut().unwrap().pop();
    std::fs::write(&copy, rows.to_string()).unwrap();
    let r = s.m.run(&[
        "audit",
        "verify",
        &s.patient.pubkey,
        "--copy",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr.trim_end(),
        "error: the copy has 2 entries, the chain has 3 entries"
    );

    // Someone edits a time.
    let mut rows: Value = serde_json::from_str(&export).unwrap();
    rows[2]["unix_time"] = (rows[2]["unix_time"].as_i64().unwrap() - 3600).into();
    std::fs::write(&copy, rows.to_string()).unwrap();
    let r = s.m.run(&[
        "audit",
        "verify",
        &s.patient.pubkey,
        "--copy",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains("entry 2 differs"), "{}", r.stderr);

    // Every field of an entry is checked: an edit of any one fails at that entry, naming it.
    let original: Value = serde_json::from_str(&export).unwrap();
    let fields: Vec<String> = original[2].as_object().unwrap().keys().cloned().collect();
    assert!(fields.len() >= 13, "{fields:?}");
    for field in fields {
        let mut rows = original.clone();
        let edited = match &rows[2][&field] {
            Value::String(v) => Value::String(format!("{v}x")),
            Value::Number(n) => (n.as_i64().unwrap() + 1).into(),
            // A null (no consent revision, no window) given a value of its column's kind.
            Value::Null if field == "emergency_reason" => "life-threatening".into(),
            Value::Null => 7.into(),
            other => panic!("{field}: {other}"),
        };
        rows[2][&field] = edited;
        std::fs::write(&copy, rows.to_string()).unwrap();
        let r = s.m.run(&[
            "audit",
            "verify",
            &s.patient.pubkey,
            "--copy",
            copy.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 4, "{field}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!(
                "error: entry 2 differs from the on-chain entry: {field} is "
            )),
            "{field}: {}",
            r.stderr
        );
    }
}

#[test]
fn fhir_export_is_valid_fhir_r4_by_an_independent_validator() {
    let s = Scene::new();
    s.as_patient(&[
        "consent",
        "grant",
        &s.lab.pubkey,
        "--categories",
        "lab-results,mental-health",
        "--modes",
        "read,write",
        "--purposes",
        "treatment,research",
        "--expires",
        "30d",
    ]);
    s.lab_granted("0", "treatment");
    assert_denied(
        &s.lab_access("1", "treatment", &[]),
        "CategoryNotPermitted",
        1,
    );
    s.m.ok(&[
        "write",
        &s.patient.pubkey,
        "--category",
        "lab-results",
        "--locator",
        "vault://w",
        "--content-hash",
        H2,
        "--purpose",
        "research",
        "-k",
        &s.lab.path,
    ]);
    let bundle_text =
        s.m.ok(&["audit", "log", &s.patient.pubkey, "--format", "fhir"])
            .stdout;
    let bundle: Value = serde_json::from_str(&bundle_text).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let resources: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let kinds: Vec<&str> = resources
        .iter()
        .map(|r| r["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["AuditEvent", "AuditEvent", "AuditEvent", "Consent"]);
    // BALP permit and deny patterns, purpose of use as ActReason.
    assert_eq!(resources[0]["outcome"], "0");
    assert_eq!(resources[0]["subtype"][0]["code"], "read");
    assert_eq!(
        resources[0]["purposeOfEvent"][0]["coding"][0]["code"],
        "TREAT"
    );
    assert_eq!(resources[1]["outcome"], "4");
    assert_eq!(resources[1]["outcomeDesc"], "Denied: CategoryNotPermitted");
    assert_eq!(resources[2]["subtype"][0]["code"], "create");
    assert_eq!(
        resources[2]["purposeOfEvent"][0]["coding"][0]["code"],
        "HRESCH"
    );
    // The consent: patient, provider as actor, period, classes from the category table, purposes, permit.
    let consent = resources[3];
    assert_eq!(
        consent["patient"]["identifier"]["value"],
        s.patient.pubkey.as_str()
    );
    assert_eq!(consent["provision"]["type"], "permit");
    assert_eq!(
        consent["provision"]["actor"][0]["reference"]["identifier"]["value"],
        s.lab.pubkey.as_str()
    );
    let classes: Vec<&str> = consent["provision"]["class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["DiagnosticReport", "Condition"]);
    assert_eq!(consent["provision"]["securityLabel"][0]["code"], "PSY");
    let purposes: Vec<&str> = consent["provision"]["purpose"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["TREAT", "HRESCH"]);

    let file = s.m.path("bundle.json");
    std::fs::write(&file, &bundle_text).unwrap();
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/validate.py");
    let out = Command::new(fhir_python())
        .arg(&validator)
        .arg(&file)
        .output()
        .unwrap();
    let verdict = String::from_utf8_lossy(&out.stdout);
    println!("{verdict}");
    assert!(
        out.status.success(),
        "FHIR validation failed:\n{verdict}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        verdict.trim(),
        "FHIR R4B validation passed: Bundle with 3 AuditEvent, 1 Consent"
    );

    // The validator is not a rubber stamp: a broken resource fails it.
    // Nor are the BALP checks: an event without a coded purpose, without its
    // patient, without a requestor, or a reference that resolves nowhere.
    type Break = (&'static str, fn(&mut Value));
    let breaks: [Break; 5] = [
        ("recorded", |b| {
            b["entry"][0]["resource"]["recorded"] = "yesterday".into()
        }),
        ("no coded purpose of use", |b| {
            b["entry"][0]["resource"]["purposeOfEvent"] = serde_json::json!([])
        }),
        ("no patient entity", |b| {
            b["entry"][0]["resource"]["entity"][0]["role"]["code"] = "4".into()
        }),
        ("no acting agent", |b| {
            b["entry"][0]["resource"]["agent"][0]["requestor"] = false.into()
        }),
        ("resolves to no entry", |b| {
            b["entry"][0]["resource"]["entity"][0]["what"]["reference"] =
                "urn:uuid:00000000-0000-0000-0000-000000000000".into()
        }),
    ];
    for (says, break_it) in breaks {
        let mut broken = bundle.clone();
        break_it(&mut broken);
        std::fs::write(&file, broken.to_string()).unwrap();
        let out = Command::new(fhir_python())
            .arg(&validator)
            .arg(&file)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{says}: not caught");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(says),
            "{says}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Runs the FHIR validator on `bundle`; its verdict line.
fn validate_fhir(s: &Scene, bundle: &str) -> String {
    let file = s.m.path("bundle.json");
    std::fs::write(&file, bundle).unwrap();
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/validate.py");
    let out = Command::new(fhir_python())
        .arg(&validator)
        .arg(&file)
        .output()
        .unwrap();
    let verdict = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "FHIR validation failed:\n{verdict}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    verdict
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn fhir_export_of_every_outcome_and_every_consent_version_validates_and_resolves() {
    let s = Scene::new();
    // Record 2: lab results of a known clinical date (records 0 and 1 have none).
    s.m.ok(&[
        "record",
        "add",
        "--category",
        "lab-results",
        "--locator",
        "vault://lab-2",
        "--content-hash",
        H2,
        "--clinical-date",
        "2025-06-01",
        "-k",
        &s.patient.path,
    ]);
    let later = ["--clock-offset", "61d"];
    let access = |record: &str, purpose: &str, extra: &[&str]| s.lab_access(record, purpose, extra);
    // Revision 1, granted: not valid before tomorrow.
    s.grant_lab(&["--not-before", "1d"]);
    assert_denied(&access("0", "treatment", &[]), "NotYetValid", 0);
    // Revision 2, updated: from now, one access, clinical dates in 2025, renewable once.
    let r = s.as_patient(&[
        "consent",
        "update",
        &s.lab.pubkey,
        "--not-before",
        "0s",
        "--max-accesses",
        "1",
        "--data-from",
        "2025-01-01",
        "--data-to",
        "2025-12-31",
        "--renew-every",
        "30d",
        "--renewals",
        "1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(access("2", "treatment", &[]).code, 0);
    assert_denied(&access("0", "treatment", &[]), "OutsideDateRange", 2);
    assert_denied(&access("1", "treatment", &[]), "CategoryNotPermitted", 3);
    assert_denied(&access("2", "research", &[]), "PurposeNotPermitted", 4);
    assert_denied(&access("2", "treatment", &[]), "AccessCapReached", 5);
    let w = s.m.run(&[
        "write",
        &s.patient.pubkey,
        "--category",
        "lab-results",
        "--locator",
        "vault://w",
        "--content-hash",
        H1,
        "--purpose",
        "treatment",
        "-k",
        &s.lab.path,
        "--output",
        "json",
    ]);
    assert_denied(&w, "ModeNotPermitted", 6);
    // Revision 3, renewed in the last tenth of its window (day 28 of 30).
    let r = s.m.run(&[
        "consent",
        "renew",
        &s.patient.pubkey,
        &s.lab.pubkey,
        "-k",
        &s.lab.path,
        "--clock-offset",
        "28d",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Past its renewed expiry (day 60); then revoked; then no consent.
    assert_denied(&access("2", "treatment", &later), "Expired", 7);
    let mut revoke = vec!["consent", "revoke", s.lab.pubkey.as_str()];
    revoke.extend(later);
    assert_eq!(s.as_patient(&revoke).code, 0);
    assert_denied(&access("2", "treatment", &later), "NoConsent", 8);
    // Revision 4, granted again.
    let mut grant = vec![
        "consent",
        "grant",
        s.lab.pubkey.as_str(),
        "--categories",
        "lab-results",
        "--modes",
        "read",
        "--purposes",
        "treatment",
        "--expires",
        "30d",
    ];
    grant.extend(later);
    assert_eq!(s.as_patient(&grant).code, 0);
    assert_eq!(access("0", "treatment", &later).code, 0);

    // The history, from the program's events: four versions, how each began and ended.
    let h = s.m.json(&["consent", "history", &s.patient.pubkey]);
    let summary: Vec<(u64, &str, Option<&str>, &str)> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["revision"].as_u64().unwrap(),
                v["origin"].as_str().unwrap(),
                v["ending"].as_str(),
                v["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "granted", Some("updated"), "inactive"),
            (2, "updated", Some("renewed"), "inactive"),
            (3, "renewed", Some("revoked"), "inactive"),
            (4, "granted", None, "active"),
        ]
    );
    assert_eq!(h[1]["max_accesses"], 1);
    assert_eq!(h[1]["data_from"], "2025-01-01");
    // A renewal keeps the terms and moves the expiry by one period.
    for term in [
        "categories",
        "modes",
        "purposes",
        "not_before",
        "max_accesses",
        "data_from",
        "data_to",
        "renew_every_secs",
        "renewals_allowed",
    ] {
        assert_eq!(h[2][term], h[1][term], "{term}");
    }
    let secs = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .timestamp()
    };
    assert_eq!(
        secs(&h[2]["expires_at"]) - secs(&h[1]["expires_at"]),
        30 * 86_400
    );

    let bundle_text =
        s.m.ok(&["audit", "log", &s.patient.pubkey, "--format", "fhir"])
            .stdout;
    let bundle: Value = serde_json::from_str(&bundle_text).unwrap();
    let resources: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let events: Vec<&Value> = resources
        .iter()
        .copied()
        .filter(|r| r["resourceType"] == "AuditEvent")
        .collect();
    let consents: Vec<&Value> = resources
        .iter()
        .copied()
        .filter(|r| r["resourceType"] == "Consent")
        .collect();
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcomeDesc"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "Denied: NotYetValid",
            "Granted",
            "Denied: OutsideDateRange",
            "Denied: CategoryNotPermitted",
            "Denied: PurposeNotPermitted",
            "Denied: AccessCapReached",
            "Denied: ModeNotPermitted",
            "Denied: Expired",
            "Denied: NoConsent",
            "Granted",
        ]
    );
    // A granted event names the version in force then, and that version is in
    // the export; a denial names none.
    let consent_ref = |e: &Value| -> Option<String> {
        e["entity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["what"]["identifier"]["system"] == "urn:hdx:consent")
            .map(|x| {
                x["what"]["identifier"]["value"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
    };
    let address = hdx_sdk::pda::consent(
        &s.patient.pubkey.parse().unwrap(),
        &s.lab.pubkey.parse().unwrap(),
    )
    .0;
    let refs: Vec<Option<String>> = events.iter().map(|e| consent_ref(e)).collect();
    let mut expected: Vec<Option<String>> = vec![None; 10];
    expected[1] = Some(format!("{address}/2"));
    expected[9] = Some(format!("{address}/4"));
    assert_eq!(refs, expected);
    let identifiers: Vec<&str> = consents
        .iter()
        .map(|c| c["identifier"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        identifiers,
        (1..=4)
            .map(|r| format!("{address}/{r}"))
            .collect::<Vec<_>>()
    );
    let statuses: Vec<&str> = consents
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["inactive", "inactive", "inactive", "active"]);
    // The record's category, and BALP's user, source and destination agents.
    assert_eq!(
        events[1]["entity"][1]["detail"][0]["valueString"],
        "lab-results"
    );
    let roles: Vec<&str> = events[1]["agent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["IRCP", "110153", "110152"]);
    assert_eq!(
        validate_fhir(&s, &bundle_text),
        "FHIR R4B validation passed: Bundle with 10 AuditEvent, 4 Consent"
    );
    // --provider filters the consents too: the researcher has neither events nor consents.
    let other = s.m.ok(&[
        "audit",
        "log",
        &s.patient.pubkey,
        "--format",
        "fhir",
        "--provider",
        &s.researcher.pubkey,
    ]);
    let other: Value = serde_json::from_str(&other.stdout).unwrap();
    assert_eq!(other["entry"], serde_json::json!([]));
}

#[test]
fn every_failure_under_output_json_is_json_with_its_kind() {
    let s = Scene::new();
    let stranger = s.m.keygen("stranger");
    let patient = s.patient.pubkey.as_str();
    let missing = s.m.path("missing.json");
    let typo = s.m.path("typo");
    let cases: Vec<(Vec<&str>, i32, &str, &str)> = vec![
        // clap could not parse it
        (vec!["consent", "grant"], 2, "usage", "UsageError"),
        (
            vec!["access", patient, "zero", "--purpose", "treatment"],
            2,
            "usage",
            "UsageError",
        ),
        // a check refused it before anything was sent
        (
            vec![
                "access",
                patient,
                "0",
                "--purpose",
                "treatment",
                "-k",
                &stranger.path,
            ],
            1,
            "input",
            "InvalidInput",
        ),
        (
            vec![
                "consent",
                "grant",
                &s.lab.pubkey,
                "--categories",
                "lab-results",
                "--modes",
                "read",
                "--purposes",
                "treatment",
                "--expires",
                "9000y",
                "-k",
                &s.patient.path,
            ],
            1,
            "input",
            "InvalidInput",
        ),
        // the program refused it
        (
            vec![
                "provider",
                "verify",
                &s.researcher.pubkey,
                "-k",
                &s.patient.path,
            ],
            1,
            "program",
            "NotRegistryAuthority",
        ),
        // an account that is not there
        (
            vec!["patient", "show", &s.lab.pubkey],
            1,
            "not-found",
            "NotFound",
        ),
        // a file that cannot be read
        (
            vec![
                "audit",
                "verify",
                patient,
                "--copy",
                missing.to_str().unwrap(),
            ],
            1,
            "io",
            "IoError",
        ),
        // a cluster that does not answer
        (
            vec!["registry", "show", "-u", "http://127.0.0.1:9"],
            1,
            "cluster",
            "ClusterUnreachable",
        ),
    ];
    // A usage error names what is missing, on its one line.
    let r = s.m.run(&["consent", "grant", "--output", "json"]);
    assert_eq!(
        r.json()["message"],
        "the following required arguments were not provided: <PROVIDER>"
    );
    for (args, code, kind, error) in cases {
        for format in ["json", "json-compact"] {
            let mut all = args.clone();
            all.extend(["--output", format]);
            let r = s.m.run(&all);
            assert_eq!(r.code, code, "{all:?}: {}", r.stderr);
            let j = r.json();
            assert_eq!(
                (j["kind"].as_str(), j["error"].as_str()),
                (Some(kind), Some(error)),
                "{all:?}: {j}"
            );
            assert!(!j["message"].as_str().unwrap().is_empty());
            assert!(r.stderr.starts_with("error: "), "{all:?}: {}", r.stderr);
        }
    }
    // A ledger directory that is not there, for a command that only reads.
    let out = Command::new(HDX)
        .args([
            "consent",
            "list",
            "--patient",
            patient,
            "--output",
            "json",
            "--ledger",
        ])
        .arg(&typo)
        .env("HOME", s.m.path("home"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (j["kind"].as_str(), j["error"].as_str()),
        (Some("not-found"), Some("NoLedger"))
    );
    // A denial is JSON too (exit 3), and a copy that does not verify (exit 4).
    s.grant_lab(&[]);
    let d = s.lab_access("1", "treatment", &[]);
    assert_eq!((d.code, d.json()["kind"].as_str()), (3, Some("denied")));
    let copy = s.m.path("copy.json");
    std::fs::write(&copy, "[]").unwrap();
    let r = s.m.run(&[
        "audit",
        "verify",
        patient,
        "--copy",
        copy.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!((r.code, r.json()["kind"].as_str()), (4, Some("chain")));
}

#[test]
fn a_command_that_only_reads_creates_no_ledger_and_names_the_directory() {
    let m = Machine::new();
    let a = m.keygen("a");
    m.ok(&["patient", "register", "-k", &a.path]);
    let typo = m.path("ledgr");
    for args in [
        vec!["consent", "list", "--patient", a.pubkey.as_str()],
        vec!["audit", "log", a.pubkey.as_str()],
        vec!["registry", "show"],
        vec!["provider", "list"],
        vec!["consent", "history", a.pubkey.as_str()],
    ] {
        let mut all = args.clone();
        all.extend(["-k", &a.path]);
        let out = Command::new(HDX)
            .args(&all)
            .arg("--ledger")
            .arg(&typo)
            .env("HOME", m.path("home"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            format!(
                "error: there is no ledger in {}: check --ledger (a command that sends a transaction creates one there)",
                typo.display()
            ),
            "{args:?}"
        );
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
}

#[test]
fn a_ledger_without_write_access_can_still_be_read() {
    let s = Scene::new();
    s.grant_lab(&[]);
    s.lab_granted("0", "treatment");
    // A copy of the ledger as another user would find it: closed cleanly
    // (no write-ahead files), nothing in it writable.
    let dir = s.m.path("readonly");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(
        s.m.path("ledger/ledger.sqlite3"),
        dir.join("ledger.sqlite3"),
    )
    .unwrap();
    let mode = |p: &Path, m: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    mode(&dir.join("ledger.sqlite3"), 0o444);
    mode(&dir, 0o555);
    mode(s.m.dir.path(), 0o755);
    // Root ignores permissions: run as nobody then.
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let run = |args: &[&str]| {
        let mut cmd = if root {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                HDX,
            ]);
            c
        } else {
            Command::new(HDX)
        };
        cmd.args(args)
            .arg("--ledger")
            .arg(&dir)
            .env("HOME", &dir)
            .output()
            .unwrap()
    };
    let out = run(&["audit", "log", &s.patient.pubkey, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let out = run(&[
        "consent",
        "list",
        "--patient",
        &s.patient.pubkey,
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing was written there, and a command that sends says why it cannot.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ledger.sqlite3"]);
    let out = run(&["patient", "register", "-k", &s.lab.path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("write access"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    mode(&dir, 0o755);
}

#[test]
fn every_time_argument_is_range_checked_with_a_message() {
    let s = Scene::new();
    let lab = s.lab.pubkey.as_str();
    let patient = s.patient.pubkey.as_str();
    let grant = |flag: &'static str, value: &'static str| -> Vec<&str> {
        let mut args = vec![
            "consent",
            "grant",
            lab,
            "--categories",
            "lab-results",
            "--modes",
            "read",
            "--purposes",
            "treatment",
            flag,
            value,
        ];
        if flag != "--expires" {
            args.extend(["--expires", "30d"]);
        }
        args
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["cluster", "--clock-offset", "106751991167300d"],
            "error: the duration \"106751991167300d\" is longer than 100 years",
        ),
        (
            vec!["cluster", "--clock-offset", "90y"],
            "outside what a log entry can record (1970 to 2106)",
        ),
        (
            vec!["cluster", "--clock-offset", "-60y"],
            "outside what a log entry can record (1970 to 2106)",
        ),
        (
            grant("--expires", "9000y"),
            "error: the duration \"9000y\" is longer than 100 years",
        ),
        (
            grant("--expires", "99999999999999"),
            "error: the time \"99999999999999\" is outside 1970-01-01 to 9999-12-31",
        ),
        (
            grant("--expires", "11y"),
            "is more than 10 years ahead (the longest a consent may run)",
        ),
        (
            grant("--not-before=-5", "--modes=read"),
            "error: the time \"-5\" is outside 1970-01-01 to 9999-12-31",
        ),
        (
            [grant("--renew-every", "200y"), vec!["--renewals", "2"]].concat(),
            "error: the duration \"200y\" is longer than 100 years",
        ),
        (
            grant("--data-from", "99999-01-01"),
            "is not a date (YYYY-MM-DD)",
        ),
        (
            vec!["audit", "log", patient, "--since", "106751991167300d"],
            "error: the duration \"106751991167300d\" is longer than 100 years",
        ),
        (
            vec!["audit", "log", patient, "--until", "10000-01-01T00:00:00Z"],
            "error: invalid time",
        ),
    ];
    for (args, message) in cases {
        let before = s.m.ledger();
        let mut all = args.clone();
        all.extend(["-k", &s.patient.path]);
        let r = s.m.run(&all);
        assert!(
            r.code == 1 || r.code == 2,
            "{args:?}: exit {} {}",
            r.code,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(message),
            "{args:?}: expected {message:?} in {}",
            r.stderr
        );
        assert_eq!(
            r.stderr.trim_end().lines().count(),
            1,
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(s.m.ledger(), before, "{args:?} changed the ledger");
    }
}

#[test]
fn granting_to_a_provider_not_yet_verified_warns_and_grants() {
    let s = Scene::new();
    let r = s.as_patient(&[
        "consent",
        "grant",
        &s.researcher.pubkey,
        "--categories",
        "lab-results",
        "--modes",
        "read",
        "--purposes",
        "research",
        "--expires",
        "30d",
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warning = format!(
        "{} is pending (not verified): the consent is in place, but the provider cannot use it until the registry authority verifies it",
        s.researcher.pubkey
    );
    assert_eq!(r.stderr.trim_end(), format!("warning: {warning}"));
    assert_eq!(r.json()["warning"], warning.as_str());
    // A verified provider: no warning.
    let r = s.as_patient(&[
        "consent",
        "grant",
        &s.lab.pubkey,
        "--categories",
        "lab-results",
        "--modes",
        "read",
        "--purposes",
        "treatment",
        "--expires",
        "30d",
    ]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn config_file_then_flags_decide_cluster_and_signer() {
    let m = Machine::new();
    let a = m.keygen("a");
    let b = m.keygen("b");
    // No config file and no -u: the embedded ledger; -k or the default path.
    let c = m.json(&["cluster", "-k", &a.path]);
    assert!(
        c["cluster"]
            .as_str()
            .unwrap()
            .starts_with("embedded ledger at "),
        "{c}"
    );
    assert_eq!(c["config_file"], Value::Null);
    // The Solana CLI's config file: its keypair and URL are used...
    let config_dir = m.path("home/.config/solana/cli");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.yml"),
        format!("---\njson_rpc_url: \"http://127.0.0.1:9\"\nwebsocket_url: \"\"\nkeypair_path: {}\ncommitment: finalized\n", a.path),
    )
    .unwrap();
    assert_eq!(m.json(&["address"])["pubkey"], a.pubkey.as_str());
    assert_eq!(m.json(&["cluster"])["cluster"], "http://127.0.0.1:9");
    let r = m.run(&["registry", "show"]);
    assert!(
        r.stderr
            .contains("cannot reach the cluster at http://127.0.0.1:9"),
        "{}",
        r.stderr
    );
    // ...and flags beat it: -k, -u with a moniker, -u embedded.
    assert_eq!(
        m.json(&["address", "-k", &b.path])["pubkey"],
        b.pubkey.as_str()
    );
    assert_eq!(
        m.json(&["cluster", "-u", "d"])["cluster"],
        "https://api.devnet.solana.com"
    );
    assert_eq!(
        m.json(&["cluster", "-u", "mainnet-beta"])["cluster"],
        "https://api.mainnet-beta.solana.com"
    );
    assert!(m.json(&["cluster", "-u", "embedded"])["cluster"]
        .as_str()
        .unwrap()
        .starts_with("embedded"));
    // -C names another config file.
    let other = m.path("other.yml");
    std::fs::write(&other, format!("---\njson_rpc_url: embedded\nwebsocket_url: \"\"\nkeypair_path: {}\ncommitment: confirmed\n", b.path)).unwrap();
    let c = m.json(&["cluster", "-C", other.to_str().unwrap()]);
    assert_eq!(c["keypair"], b.path.as_str());
    assert!(c["cluster"].as_str().unwrap().starts_with("embedded"));
}

#[test]
fn the_embedded_ledger_keeps_state_between_commands_and_names_its_upgrade_authority() {
    let m = Machine::new();
    let a = m.keygen("a");
    let other = m.keygen("other");
    assert!(m.ledger().is_none());
    // Created by its first command; that key is the upgrade authority.
    m.ok(&["patient", "register", "-k", &a.path]);
    let c = m.json(&["cluster", "-k", &a.path]);
    assert_eq!(c["upgrade_authority"], a.pubkey.as_str());
    // Only the upgrade authority can initialise the registry.
    let r = m.run(&["registry", "init", "-k", &other.path]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: NotUpgradeAuthority"),
        "{}",
        r.stderr
    );
    let before = m.ledger().expect("the first command created the ledger");
    m.ok(&["registry", "init", "-k", &a.path]);
    let after = m.ledger().unwrap();
    assert_eq!(after.transactions, before.transactions + 1);
    assert_ne!(
        after.accounts, before.accounts,
        "the registry account is saved"
    );
    let shown = m.json(&["patient", "show", "-k", &a.path]);
    assert_eq!(shown["records"], 0);
    assert_eq!(shown["log_pages"], 1);
    let r = m.run(&["patient", "register", "-k", &a.path]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim_end(),
        format!("error: {} is already registered as a patient", a.pubkey)
    );
    assert_eq!(
        m.ledger().unwrap(),
        after,
        "reading and refusing change nothing"
    );
}

#[test]
fn keys_rotate_through_the_binary_and_the_old_key_is_refused_by_name() {
    let s = Scene::new();
    s.grant_lab(&[]);
    s.lab_granted("0", "treatment");
    // The lab rotates; the consent names the lab's id and stays.
    let lab2 = s.m.keygen("lab-2");
    let j = s.m.json(&[
        "provider",
        "rotate-key",
        "--new-key",
        &lab2.path,
        "-k",
        &s.lab.path,
    ]);
    assert_eq!(j["provider"], s.lab.pubkey.as_str());
    assert_eq!(j["signer"], lab2.pubkey.as_str());
    let r = s.lab_access("0", "treatment", &[]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "error: {0} no longer signs for provider {0}: its key was rotated to {1}",
            s.lab.pubkey, lab2.pubkey
        )
    );
    let r = s.m.run(&[
        "access",
        &s.patient.pubkey,
        "0",
        "--purpose",
        "treatment",
        "-k",
        &lab2.path,
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["sequence"], 1);
    // The provider is found by either its id or its current key.
    for name in [&s.lab.pubkey, &lab2.pubkey] {
        let p = s.m.json(&["provider", "show", name]);
        assert_eq!(
            (
                p["provider"].as_str(),
                p["signer"].as_str(),
                p["number"].as_u64()
            ),
            (
                Some(s.lab.pubkey.as_str()),
                Some(lab2.pubkey.as_str()),
                Some(0)
            )
        );
    }

    // The patient rotates; the old key can no longer grant, revoke or add.
    let phone = s.m.keygen("phone");
    s.m.ok(&[
        "patient",
        "rotate-authority",
        "--new-authority",
        &phone.path,
        "-k",
        &s.patient.path,
    ]);
    let expect = format!(
        "error: {0} no longer controls patient {0}: its authority was rotated to {1}",
        s.patient.pubkey, phone.pubkey
    );
    for args in [
        vec!["consent", "revoke", s.lab.pubkey.as_str()],
        vec!["consent", "list"],
        vec![
            "record",
            "add",
            "--category",
            "allergies",
            "--locator",
            "x",
            "--content-hash",
            H1,
        ],
    ] {
        let r = s.as_patient(&args);
        assert_eq!(
            (r.code, r.stderr.trim_end()),
            (1, expect.as_str()),
            "{args:?}"
        );
    }
    // Signed by the old key directly (an explicit --patient), the program refuses it by name.
    let r = s.as_patient(&[
        "consent",
        "revoke",
        &s.lab.pubkey,
        "--patient",
        &s.patient.pubkey,
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "error: {} is not the authority of patient {} (its authority is {})",
            s.patient.pubkey, s.patient.pubkey, phone.pubkey
        )
    );
    s.m.ok(&["consent", "revoke", &s.lab.pubkey, "-k", &phone.path]);
    let shown = s.m.json(&["patient", "show", &s.patient.pubkey]);
    assert_eq!(shown["authority"], phone.pubkey.as_str());
}

#[test]
fn caps_date_ranges_and_renewal_through_the_binary() {
    let s = Scene::new();
    // A record dated 2026-03-01 (the embedded clock is wall time, later than that).
    s.m.ok(&[
        "record",
        "add",
        "--category",
        "lab-results",
        "--clinical-date",
        "2026-03-01",
        "--locator",
        "vault://lab-2",
        "--content-hash",
        H2,
        "-k",
        &s.patient.path,
    ]);
    let r = s.as_patient(&[
        "consent",
        "grant",
        &s.lab.pubkey,
        "--categories",
        "lab-results",
        "--modes",
        "read",
        "--purposes",
        "treatment",
        "--expires",
        "10d",
        "--max-accesses",
        "2",
        "--data-from",
        "2026-01-01",
        "--data-to",
        "2026-06-30",
        "--renew-every",
        "10d",
        "--renewals",
        "1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list = s
        .as_patient(&["consent", "list", "--output", "json"])
        .json();
    let c = &list[0];
    assert_eq!(
        (
            c["max_accesses"].as_u64(),
            c["data_from"].as_str(),
            c["data_to"].as_str(),
            c["renew_every_secs"].as_u64(),
            c["renewals_left"].as_u64(),
        ),
        (
            Some(2),
            Some("2026-01-01"),
            Some("2026-06-30"),
            Some(864_000),
            Some(1)
        )
    );
    // Record 0 has no clinical date: outside the range. Record 2 is inside.
    assert_denied(&s.lab_access("0", "treatment", &[]), "OutsideDateRange", 0);
    s.lab_granted("2", "treatment");
    s.lab_granted("2", "treatment");
    assert_denied(&s.lab_access("2", "treatment", &[]), "AccessCapReached", 3);

    // Renewal: refused before the last tenth of the window, by name, before sending.
    let r = s.m.run(&[
        "consent",
        "renew",
        &s.patient.pubkey,
        &s.lab.pubkey,
        "-k",
        &s.lab.path,
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: renewal is not due until "),
        "{}",
        r.stderr
    );
    let renewed = s.m.json(&[
        "consent",
        "renew",
        &s.patient.pubkey,
        &s.lab.pubkey,
        "-k",
        &s.lab.path,
        "--clock-offset",
        "9d12h",
    ]);
    assert_eq!(renewed["renewals_left"], 0);
    assert_eq!(renewed["renewals_used"], 1);
    let r = s.m.run(&[
        "consent",
        "renew",
        &s.patient.pubkey,
        &s.lab.pubkey,
        "-k",
        &s.lab.path,
        "--clock-offset",
        "19d12h",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim_end(),
        "error: the consent has used all 1 renewals its policy allows"
    );
    // An expiry past the 10-year bound is refused before anything is sent.
    let r = s.as_patient(&["consent", "update", &s.lab.pubkey, "--expires", "3651d"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("more than 10 years ahead"),
        "{}",
        r.stderr
    );
}

#[test]
fn emergency_access_through_the_binary_and_its_fhir_export() {
    let s = Scene::new();
    let patient = s.patient.pubkey.as_str();
    let lab = s.lab.pubkey.as_str();
    let as_lab = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-k", &s.lab.path, "--output", "json"]);
        s.m.run(&all)
    };
    // No role: refused by name, nothing logged.
    let r = as_lab(&[
        "emergency",
        "open",
        patient,
        "--reason",
        "patient-cannot-consent",
        "--duration",
        "30m",
    ]);
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (1, Some("NoEmergencyRole")),
        "{}",
        r.stderr
    );
    s.m.ok(&[
        "provider",
        "roles",
        lab,
        "--emergency",
        "on",
        "-k",
        &s.auth.path,
    ]);
    let shown = s.m.ok(&["provider", "show", lab, "--output", "json"]);
    assert_eq!(shown.json()["roles"], serde_json::json!(["emergency"]));
    // The patient excludes imaging; a duration over the policy is refused before sending.
    let r = s.as_patient(&["patient", "emergency-policy", "--exclude", "imaging"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = as_lab(&[
        "emergency",
        "open",
        patient,
        "--reason",
        "life-threatening",
        "--duration",
        "2h",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("at most 3600 s"), "{}", r.stderr);
    let r = as_lab(&["emergency", "open", patient, "--reason", "gut-feeling"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is not an emergency reason"),
        "{}",
        r.stderr
    );
    let opened = as_lab(&[
        "emergency",
        "open",
        patient,
        "--reason",
        "life-threatening",
        "--duration",
        "30m",
    ]);
    assert_eq!(opened.code, 0, "{}", opened.stderr);
    assert_eq!(
        (
            opened.json()["window"].as_u64(),
            opened.json()["open"].as_bool()
        ),
        (Some(0), Some(true))
    );
    let read = as_lab(&["emergency", "access", patient, "0"]);
    assert_eq!(
        (read.code, read.json()["sequence"].as_u64()),
        (0, Some(1)),
        "{}",
        read.stderr
    );
    let denied = as_lab(&["emergency", "access", patient, "1"]);
    assert_eq!(
        (denied.code, denied.json()["reason"].as_str()),
        (3, Some("EmergencyCategoryExcluded"))
    );
    // Review refused while open; the lab closes; the authority reviews; the patient acknowledges.
    let r = s.m.run(&[
        "emergency",
        "review",
        patient,
        "0",
        "--verdict",
        "justified",
        "-k",
        &s.auth.path,
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("review it after it ends"), "{}", r.stderr);
    let unreviewed =
        s.m.ok(&["emergency", "list", "--unreviewed", "--output", "json"]);
    assert_eq!(unreviewed.json().as_array().unwrap().len(), 1);
    assert_eq!(as_lab(&["emergency", "close", patient]).code, 0);
    s.m.ok(&[
        "emergency",
        "review",
        patient,
        "0",
        "--verdict",
        "not-justified",
        "-k",
        &s.auth.path,
    ]);
    assert_eq!(s.as_patient(&["emergency", "ack", "0"]).code, 0);
    let all = s.m.ok(&[
        "emergency",
        "list",
        "--patient",
        patient,
        "--output",
        "json",
    ]);
    let w = &all.json()[0];
    assert_eq!(
        (
            w["verdict"].as_str(),
            w["ended_by"].as_str(),
            w["reads"].as_u64()
        ),
        (Some("not-justified"), Some("provider"), Some(1))
    );
    assert!(w["acknowledged_at"].is_string());
    assert!(s
        .m
        .ok(&["emergency", "list", "--unreviewed", "--output", "json"])
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    // The accounting lists emergency entries distinctly, with the reason.
    let table = s.as_patient(&["audit", "log", patient]);
    assert!(
        table.stdout.contains("emergency-open")
            && table.stdout.contains("ETREAT (life-threatening, window 0)"),
        "{}",
        table.stdout
    );
    // FHIR: ETREAT and break-the-glass on the emergency events, the verdict as an event; valid R4.
    let fhir = s.as_patient(&["audit", "log", patient, "--format", "fhir"]);
    assert_eq!(fhir.code, 0, "{}", fhir.stderr);
    let bundle: serde_json::Value = serde_json::from_str(&fhir.stdout).unwrap();
    let events: Vec<&serde_json::Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "AuditEvent")
        .collect();
    assert_eq!(events.len(), 4, "open, read, denied read, review");
    for e in &events {
        assert_eq!(e["meta"]["security"][0]["code"], "BTG", "{e}");
        assert_eq!(e["purposeOfEvent"][0]["coding"][0]["code"], "ETREAT", "{e}");
    }
    assert_eq!(events[3]["outcomeDesc"], "Verdict: not-justified");
    // The review links the window's entries, and each entry the review: by
    // the bundle's fullUrls, which the validator resolves.
    let url_of = |id: &serde_json::Value| {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["resource"]["id"] == *id)
            .unwrap()["fullUrl"]
            .clone()
    };
    let review = events[3];
    let linked: Vec<&serde_json::Value> = review["entity"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["what"].get("reference"))
        .collect();
    assert_eq!(
        linked,
        [
            &url_of(&events[0]["id"]),
            &url_of(&events[1]["id"]),
            &url_of(&events[2]["id"])
        ],
        "the review names the opening and both reads"
    );
    for e in &events[..3] {
        let window = e["entity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["what"]["identifier"]["system"] == "urn:hdx:emergency-window")
            .unwrap_or_else(|| panic!("no window entity: {e}"));
        assert_eq!(window["what"]["reference"], url_of(&review["id"]));
        assert_eq!(
            window["what"]["identifier"]["value"],
            review["entity"][1]["what"]["identifier"]["value"],
            "the same window identifier in the entry and the review"
        );
    }
    // The reviewer is the key that reviewed (from its review event).
    assert_eq!(
        review["agent"][0]["who"]["identifier"]["value"],
        s.auth.pubkey.as_str()
    );
    // JSON and CSV name the reason, as the table and FHIR do.
    let rows = s.m.json(&["audit", "log", patient]);
    let reasons: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["emergency_reason"])
        .collect();
    assert!(
        reasons.iter().all(|r| *r == "life-threatening"),
        "{reasons:?}"
    );
    let csv = s.as_patient(&["audit", "log", patient, "--format", "csv"]);
    assert!(
        csv.stdout
            .lines()
            .skip(1)
            .all(|l| l.ends_with(",0,life-threatening")),
        "{}",
        csv.stdout
    );
    let verdict = validate_fhir(&s, &fhir.stdout);
    assert!(verdict.contains("passed"), "{verdict}");
}

#[test]
fn renew_due_renews_every_due_consent_a_provider_holds_for_a_cron_job() {
    let s = Scene::new();
    s.grant_lab(&["--renew-every", "10d", "--renewals", "1"]);
    let as_lab = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-k", &s.lab.path, "--output", "json"]);
        s.m.run(&all)
    };
    // Not due yet (30-day window: due from day 27).
    let r = as_lab(&["consent", "renew-due"]);
    assert_eq!(
        (r.code, r.json()["due"].as_array().unwrap().len()),
        (0, 0),
        "{}",
        r.stderr
    );
    let late = ["--clock-offset", "28d"];
    let r = as_lab(&[&["consent", "renew-due", "--dry-run"][..], &late[..]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["due"][0]["due"], true);
    let before = s.m.ledger().unwrap();
    let r = as_lab(&[&["consent", "renew-due"][..], &late[..]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["due"][0]["renewals_left"], 0);
    assert_ne!(s.m.ledger().unwrap(), before);
    // Renewed: the patient sees no renewals left; nothing is due any more.
    let list = s.as_patient(&["consent", "list", "--output", "json"]);
    assert_eq!(list.json()[0]["renewals_left"], 0, "{}", list.stdout);
    let r = as_lab(&[&["consent", "renew-due"][..], &late[..]].concat());
    assert_eq!(r.json()["due"].as_array().unwrap().len(), 0);
    // Text form for a cron log.
    let text = s.m.run(&["consent", "renew-due", "-k", &s.lab.path]);
    assert!(
        text.stdout
            .contains("1 consent held, 0 due, 0 renewed, 0 failed"),
        "{}",
        text.stdout
    );
}

#[test]
fn guardian_commands_refuse_bad_input_by_name_before_sending() {
    let s = Scene::new();
    let mum = s.m.keygen("mum");
    let dad = s.m.keygen("dad");
    let patient = s.patient.pubkey.as_str();
    let both = format!("{},{}", mum.pubkey, dad.pubkey);
    let before = s.m.ledger().unwrap();
    for (args, says) in [
        (
            vec![
                "guardians",
                "set",
                "--guardian",
                &both,
                "--threshold",
                "3",
                "--mode",
                "alone",
            ],
            "between 1 and the number of guardians",
        ),
        (
            vec![
                "guardians",
                "set",
                "--guardian",
                &both,
                "--threshold",
                "1",
                "--mode",
                "sometimes",
            ],
            "is not a guardian mode",
        ),
    ] {
        let r = s.as_patient(&args);
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    assert_eq!(s.m.ledger().unwrap(), before, "nothing sent");
    s.as_patient(&[
        "guardians",
        "set",
        "--guardian",
        &both,
        "--threshold",
        "2",
        "--mode",
        "alongside",
    ]);
    // A stranger proposing; a recovery executed without the new key.
    let r = s.m.run(&[
        "guardian",
        "propose",
        patient,
        "recover",
        "--new-authority",
        &s.lab.pubkey,
        "-k",
        &s.lab.path,
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not one of patient"), "{}", r.stderr);
    let r = s.m.run(&[
        "guardian",
        "propose",
        patient,
        "recover",
        "--new-authority",
        &s.lab.pubkey,
        "-k",
        &mum.path,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    s.m.ok(&["guardian", "approve", patient, "0", "-k", &dad.path]);
    let r =
        s.m.run(&["guardian", "execute", patient, "0", "-k", &dad.path]);
    assert_eq!(r.code, 2, "a usage error: {}", r.stderr);
    assert!(
        r.stderr
            .contains("needs the new key's signature: --new-key"),
        "{}",
        r.stderr
    );
    let r = s.m.run(&[
        "guardian",
        "execute",
        patient,
        "0",
        "--new-key",
        &mum.path,
        "-k",
        &dad.path,
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("names"), "{}", r.stderr);
    let shown = s.m.ok(&["guardians", "show", patient, "--output", "json"]);
    let j = shown.json();
    assert_eq!(
        (
            j["mode"].as_str(),
            j["proposals"][0]["approvals"].as_u64(),
            j["proposals"][0]["executed"].as_bool()
        ),
        (Some("alongside"), Some(2), Some(false))
    );
}

/// What guardians do is exported as theirs: a consent the guardians granted
/// names the guardians who approved it (the executor first) as its
/// performer, not the patient (a minor's own key could not have made it);
/// every guardian AuditEvent carries a coded purpose of use, the acting
/// guardian as requestor and the patient as entity (BALP); the set names
/// the patient's authority and every guardian; a proposal says what it
/// proposes.
#[test]
fn a_guardians_export_names_who_acted() {
    let s = Scene::new();
    let mum = s.m.keygen("mum");
    let dad = s.m.keygen("dad");
    let patient = s.patient.pubkey.as_str();
    let both = format!("{},{}", mum.pubkey, dad.pubkey);
    s.as_patient(&[
        "guardians",
        "set",
        "--guardian",
        &both,
        "--threshold",
        "2",
        "--mode",
        "alone",
    ]);
    s.m.ok(&[
        "guardian",
        "propose",
        patient,
        "grant",
        &s.lab.pubkey,
        "--categories",
        "lab-results",
        "--modes",
        "read",
        "--purposes",
        "treatment",
        "--expires",
        "30d",
        "-k",
        &mum.path,
    ]);
    s.m.ok(&["guardian", "approve", patient, "0", "-k", &dad.path]);
    s.m.ok(&["guardian", "execute", patient, "0", "-k", &dad.path]);
    s.lab_granted("0", "treatment");
    s.m.ok(&[
        "guardian",
        "revoke",
        patient,
        &s.lab.pubkey,
        "-k",
        &mum.path,
    ]);

    // The consent history says who set the terms.
    let history = s.m.json(&["consent", "history", patient]);
    let v = &history[0];
    assert_eq!(v["origin"], "granted");
    assert_eq!(v["by"], "guardians");
    assert_eq!(v["proposal"], 0);
    assert_eq!(v["signer"], dad.pubkey.as_str());
    let approvers: Vec<&str> = v["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(approvers, [mum.pubkey.as_str(), dad.pubkey.as_str()]);
    let table = s.m.ok(&["consent", "history", patient]);
    assert!(
        table.stdout.contains("guardians (proposal 0)"),
        "{}",
        table.stdout
    );

    let fhir = s.as_patient(&["audit", "log", patient, "--format", "fhir"]);
    assert_eq!(fhir.code, 0, "{}", fhir.stderr);
    let bundle: Value = serde_json::from_str(&fhir.stdout).unwrap();
    let resources: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let consent = resources
        .iter()
        .find(|r| r["resourceType"] == "Consent")
        .unwrap();
    let performers: Vec<&str> = consent["performer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["identifier"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(performers, [dad.pubkey.as_str(), mum.pubkey.as_str()]);
    assert!(!performers.contains(&patient), "the child did not grant it");
    let ext = |url: &str| {
        consent["extension"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"] == url)
            .cloned()
            .unwrap_or_else(|| panic!("no {url}: {consent}"))
    };
    assert_eq!(
        ext("urn:hdx:consent-version-actor")["valueCode"],
        "guardians"
    );
    assert_eq!(
        ext("urn:hdx:consent-version-proposal")["valueUnsignedInt"],
        0
    );
    assert_eq!(
        ext("urn:hdx:consent-version-ending")["valueCode"],
        "revoked"
    );

    let guardian_events: Vec<&&Value> = resources
        .iter()
        .filter(|r| r["type"]["system"] == "urn:hdx:guardians")
        .collect();
    let codes: Vec<&str> = guardian_events
        .iter()
        .map(|e| e["type"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "guardians-set",
            "proposal-created",
            "proposal-approved",
            "proposal-executed",
            "guardian-revoked"
        ]
    );
    let requestor = |e: &Value| {
        e["agent"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["requestor"] == true)
            .map(|a| {
                a["who"]["identifier"]["value"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap()
    };
    let purpose = |e: &Value| {
        e["purposeOfEvent"][0]["coding"][0]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let set = guardian_events[0];
    assert_eq!(requestor(set), patient, "the patient's authority set them");
    assert_eq!(purpose(set), "PATRQT");
    let named: Vec<&str> = set["agent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"]["coding"][0]["code"] == "GUARD")
        .map(|a| a["who"]["identifier"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(named, [mum.pubkey.as_str(), dad.pubkey.as_str()]);
    for (e, who) in
        guardian_events[1..]
            .iter()
            .zip([&mum.pubkey, &dad.pubkey, &dad.pubkey, &mum.pubkey])
    {
        assert_eq!(requestor(e), *who, "{e}");
        assert_eq!(purpose(e), "PWATRNY", "{e}");
    }
    let proposed = guardian_events[1]["outcomeDesc"].as_str().unwrap();
    assert!(
        proposed.starts_with(&format!(
            "proposal 0: grant provider {}: categories lab-results; modes read; purposes TREAT;",
            s.lab.pubkey
        )),
        "{proposed}"
    );
    let executed = guardian_events[3]["outcomeDesc"].as_str().unwrap();
    assert_eq!(
        executed,
        format!(
            "proposal 0 (grant) executed by {}, approved by {}, {}",
            dad.pubkey, mum.pubkey, dad.pubkey
        )
    );
    let verdict = validate_fhir(&s, &fhir.stdout);
    assert!(verdict.contains("passed"), "{verdict}");
}

/// The provider directory from the command line: two providers register
/// with NPIs (salts kept beside their keys), the authority publishes a
/// bundle that names them, and the tables name them only while the bundle
/// is the published one and each entry opens its provider's commitment.
#[test]
fn the_directory_names_providers_only_when_the_chain_proves_it() {
    let m = Machine::new();
    let auth = m.keygen("authority");
    let city = m.keygen("city");
    let lab = m.keygen("lab");
    m.ok(&["registry", "init", "-k", &auth.path]);
    // A wrong check digit is refused before anything is sent.
    let bad = m.run(&[
        "provider",
        "register",
        "--kind",
        "hospital",
        "--npi",
        "1234567890",
        "-k",
        &city.path,
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("fails the NPI check digit") && bad.stderr.contains("would be 3"),
        "{}",
        bad.stderr
    );
    let mut orgs = Vec::new();
    for (key, kind, npi, name) in [
        (&city, "hospital", "1234567893", "City Hospital"),
        (&lab, "laboratory", "1245319599", "Valley Lab"),
    ] {
        let j = m.json(&[
            "provider", "register", "--kind", kind, "--npi", npi, "-k", &key.path,
        ]);
        assert_eq!(j["npi"], npi);
        let saved: Value = serde_json::from_slice(
            &std::fs::read(format!("{}.credential.json", key.path)).unwrap(),
        )
        .unwrap();
        assert_eq!(saved["salt"], j["salt"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(format!("{}.credential.json", key.path))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        orgs.push(hdx_sdk::directory::Organization {
            provider: key.pubkey.parse().unwrap(),
            name: name.into(),
            npi: npi.into(),
            salt: saved["salt"].as_str().unwrap().into(),
            kind: kind.into(),
            address: Some("1 Main St, Springfield".into()),
            endpoint: None,
        });
        m.ok(&["provider", "verify", &key.pubkey, "-k", &auth.path]);
    }
    // Before any directory: kind and number.
    let list = m.json(&["provider", "list"]);
    assert_eq!(list[0]["name"], Value::Null);
    assert_eq!(list[0]["unnamed"], "no provider directory is published");
    // A bundle with a salt that opens nothing is refused before it is published.
    let mut wrong = orgs.clone();
    wrong[1].salt = "00".repeat(32);
    let wrong_file = m.path("wrong.json");
    std::fs::write(&wrong_file, hdx_sdk::directory::bundle(&wrong)).unwrap();
    let refused = m.run(&[
        "registry",
        "publish-directory",
        wrong_file.to_str().unwrap(),
        "-k",
        &auth.path,
    ]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("Valley Lab")
            && refused
                .stderr
                .contains("do not open its on-chain commitment")
            && refused.stderr.contains("nothing was published"),
        "{}",
        refused.stderr
    );
    let file = m.path("directory.json");
    let bytes = hdx_sdk::directory::bundle(&orgs);
    std::fs::write(&file, &bytes).unwrap();
    // Only the authority publishes.
    let stranger = m.run(&[
        "registry",
        "publish-directory",
        file.to_str().unwrap(),
        "-k",
        &city.path,
    ]);
    assert_ne!(stranger.code, 0);
    assert!(
        stranger.stderr.contains("NotRegistryAuthority"),
        "{}",
        stranger.stderr
    );
    let published = m.json(&[
        "registry",
        "publish-directory",
        file.to_str().unwrap(),
        "-k",
        &auth.path,
    ]);
    let sha: String = hdx_sdk::directory::bundle_sha256(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(published["sha256"], sha);
    let table = m.ok(&["provider", "list"]).stdout;
    assert!(
        table.contains("City Hospital · NPI 1234567893 ✓"),
        "{table}"
    );
    assert!(table.contains("Valley Lab · NPI 1245319599 ✓"), "{table}");
    let shown = m.json(&["provider", "show", &lab.pubkey]);
    assert_eq!(
        (&shown["name"], &shown["npi"], &shown["unnamed"]),
        (
            &Value::from("Valley Lab"),
            &Value::from("1245319599"),
            &Value::Null
        )
    );
    let registry = m.json(&["registry", "show"]);
    assert_eq!(registry["directory"]["sha256"], sha);
    assert_eq!(registry["directory"]["entries"], 2);
    // The FHIR export names the lab on its (denied) access, beside its key.
    let patient = m.keygen("patient");
    m.ok(&["patient", "register", "-k", &patient.path]);
    m.ok(&[
        "record",
        "add",
        "--category",
        "lab-results",
        "--locator",
        "vault://1",
        "--content-hash",
        H2,
        "-k",
        &patient.path,
    ]);
    let denied = m.run(&[
        "access",
        &patient.pubkey,
        "0",
        "--purpose",
        "treatment",
        "-k",
        &lab.path,
    ]);
    assert_eq!(denied.code, 3, "{}", denied.stderr);
    let agents = |m: &Machine| -> Vec<Value> {
        let fhir: Value = serde_json::from_str(
            &m.ok(&["audit", "log", &patient.pubkey, "--format", "fhir"])
                .stdout,
        )
        .unwrap();
        let event = fhir["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["resource"]["resourceType"] == "AuditEvent")
            .unwrap()["resource"]
            .clone();
        event["agent"].as_array().unwrap()[..2]
            .iter()
            .map(|a| a["who"].clone())
            .collect()
    };
    for who in agents(&m) {
        assert_eq!(
            who,
            serde_json::json!({
                "identifier": { "system": "urn:solana:pubkey", "value": lab.pubkey },
                "display": "Valley Lab · NPI 1245319599 ✓"
            })
        );
    }
    // The stored bundle tampered with (one letter of a name): nobody is named, and the table says why.
    let stored = m
        .path("ledger")
        .join("directory")
        .join(format!("{sha}.json"));
    let tampered = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("Valley", "Va11ey");
    std::fs::write(&stored, tampered).unwrap();
    let list = m.json(&["provider", "list"]);
    for p in list.as_array().unwrap() {
        assert_eq!(p["name"], Value::Null);
        assert_eq!(
            p["unnamed"],
            "the directory served does not match the published hash"
        );
    }
    let table = m.ok(&["provider", "list"]).stdout;
    assert!(
        table.contains("Hospital no. 0") && table.contains("Laboratory no. 1"),
        "{table}"
    );
    for who in agents(&m) {
        assert_eq!(who["display"], "Laboratory no. 1");
    }
}

#[test]
fn a_research_study_through_the_binary_from_creation_to_withdrawal() {
    let s = Scene::new();
    let m = &s.m;
    let researcher = &s.researcher;
    let custodian = m.keygen("custodian");
    // A pending researcher cannot create a study.
    let create = |extra: &[&str]| {
        let mut args = vec![
            "study",
            "create",
            "1",
            "--custodian",
            &custodian.pubkey,
            "--categories",
            "lab-results,vital-signs",
            "--enrollment-closes",
            "30d",
            "-k",
            &researcher.path,
        ];
        args.extend(extra);
        args.extend(["--output", "json"]);
        m.run(&args)
    };
    let r = create(&[
        "--duo",
        "hmb,irb",
        "--epsilon",
        "1.5",
        "--irb-commitment",
        H1,
    ]);
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (1, Some("ProviderNotVerified")),
        "{}",
        r.stderr
    );
    m.ok(&["provider", "verify", &researcher.pubkey, "-k", &s.auth.path]);
    // Bad input is refused before anything is sent, naming the problem.
    for (extra, says) in [
        (vec!["--duo", "hmb", "--epsilon", "0"], "invalid epsilon"),
        (
            vec!["--duo", "hmb", "--epsilon", "10.001"],
            "invalid epsilon",
        ),
        (
            vec!["--duo", "hmb", "--epsilon", "1.2345"],
            "invalid epsilon",
        ),
        (vec!["--duo", "hmb", "--epsilon", "-1"], "invalid epsilon"),
        (vec!["--duo", "xyz", "--epsilon", "1"], "unknown DUO term"),
        (
            vec!["--duo", "hmb,ts", "--epsilon", "1"],
            "needs --use-until",
        ),
    ] {
        let r = create(&extra);
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{extra:?}: {}", r.stderr);
    }
    // The program's own refusal, by name: IRB without its commitment.
    let r = create(&["--duo", "hmb,irb", "--epsilon", "1"]);
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (1, Some("MissingIrbCommitment")),
        "{}",
        r.stderr
    );
    let r = create(&[
        "--duo",
        "HMB,DUO:0000021",
        "--epsilon",
        "1.5",
        "--irb-commitment",
        H1,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let created = r.json();
    assert_eq!(created["status"], "proposed");
    assert_eq!(created["epsilon_milli"], 1500);
    assert_eq!(
        created["duo"],
        serde_json::json!(["HMB (DUO:0000006)", "IRB (DUO:0000021)"])
    );
    let study = created["study"].as_str().unwrap().to_string();
    // Not before approval.
    let r = s.as_patient(&[
        "study", "enroll", &study, "--until", "365d", "--output", "json",
    ]);
    assert_eq!(r.json()["error"], "StudyNotApproved", "{}", r.stderr);
    m.ok(&["study", "approve", &study, "-k", &s.auth.path]);
    // A category the study does not use.
    let r = s.as_patient(&[
        "study",
        "enroll",
        &study,
        "--categories",
        "imaging",
        "--until",
        "365d",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the study does not use imaging"),
        "{}",
        r.stderr
    );
    let r = s.as_patient(&[
        "study", "enroll", &study, "--until", "365d", "--output", "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["categories"], "lab-results,vital-signs");
    let shown = m.json(&["study", "show", &study]);
    assert_eq!(
        (shown["enrolled"].as_u64(), shown["status"].as_str()),
        (Some(1), Some("approved"))
    );
    // No releases yet: the log is the genesis, and it verifies.
    let log = m.json(&["study", "log", &study]);
    assert_eq!(log["releases"], serde_json::json!([]));
    assert_eq!(log["verified"], true);
    // hdx audit verify verifies a study's log as it does a patient's.
    let audited = m.json(&["audit", "verify", &study]);
    assert_eq!(
        (
            audited["verified"].as_bool(),
            audited["releases"].as_u64(),
            audited["head"].as_str()
        ),
        (Some(true), Some(0), log["head"].as_str())
    );
    let r = m.run(&["audit", "verify", &study, "--copy", "x.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is a study"), "{}", r.stderr);
    // Leaving works at once, and again is refused by name.
    s.as_patient(&["study", "withdraw", &study]);
    assert_eq!(m.json(&["study", "show", &study])["enrolled"], 0);
    let r = s.as_patient(&["study", "withdraw", &study, "--output", "json"]);
    assert_eq!(r.json()["error"], "NotEnrolled", "{}", r.stderr);
    // The consent history keeps the enrolment after the withdrawal.
    let history = s
        .as_patient(&["consent", "history", "--output", "json"])
        .json();
    let joined: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["study"] == study.as_str())
        .collect();
    assert_eq!(joined.len(), 1, "{history}");
    assert_eq!(
        (
            joined[0]["origin"].as_str(),
            joined[0]["ending"].as_str(),
            joined[0]["status"].as_str(),
            joined[0]["categories"].as_str()
        ),
        (
            Some("enrolled"),
            Some("withdrawn"),
            Some("inactive"),
            Some("lab-results,vital-signs")
        )
    );
    assert_eq!(
        joined[0]["withdrawal_revision"].as_u64(),
        joined[0]["revision"].as_u64().map(|r| r + 1)
    );
    // The patient's FHIR export keeps the research consent after the
    // withdrawal: an inactive Consent (scope research, HRESCH, the classes
    // of lab results and vital signs) and a withdrawn ResearchSubject naming the study and
    // referring to it; and it is valid FHIR by the independent validator.
    let bundle_text = m
        .ok(&["audit", "log", &s.patient.pubkey, "--format", "fhir"])
        .stdout;
    let bundle: Value = serde_json::from_str(&bundle_text).unwrap();
    let research: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| {
            r["resourceType"] == "ResearchSubject" || r["scope"]["coding"][0]["code"] == "research"
        })
        .collect();
    assert_eq!(research.len(), 2, "{bundle_text}");
    let (consent, subject) = (research[0], research[1]);
    assert_eq!(consent["status"], "inactive");
    assert_eq!(consent["provision"]["purpose"][0]["code"], "HRESCH");
    assert_eq!(
        consent["provision"]["class"],
        serde_json::json!([
            { "system": "http://hl7.org/fhir/resource-types", "code": "DiagnosticReport" },
            { "system": "http://hl7.org/fhir/resource-types", "code": "Observation" }
        ])
    );
    assert_eq!(
        consent["provision"]["actor"][0]["reference"]["identifier"]["value"],
        study.as_str()
    );
    assert_eq!(consent["extension"][1]["valueCode"], "withdrawn");
    assert_eq!(subject["status"], "withdrawn");
    assert_eq!(subject["study"]["identifier"]["value"], study.as_str());
    assert_eq!(
        subject["period"]["end"], consent["provision"]["period"]["end"],
        "both end at the withdrawal"
    );
    let verdict = validate_fhir(&s, &bundle_text);
    assert!(
        verdict.starts_with("FHIR R4B validation passed") && verdict.contains("1 ResearchSubject"),
        "{verdict}"
    );
    // The sponsor closes it; enrolment is refused after.
    m.ok(&["study", "close", &study, "-k", &researcher.path]);
    let r = s.as_patient(&[
        "study", "enroll", &study, "--until", "365d", "--output", "json",
    ]);
    assert_eq!(r.json()["error"], "StudyNotApproved", "{}", r.stderr);
}
