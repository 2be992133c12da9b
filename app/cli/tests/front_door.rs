//! The front door as an EHR meets it: `hdx serve`, `hdx gateway` and `hdx
//! fhir serve` as processes on loopback, and an independent SMART client
//! (`tests/fhir/ehr.py`: fhirclient signing in with a PyJWT-signed
//! assertion, pinned in `tests/fhir/requirements.txt`, in the venv the test
//! creates). It signs in with ES384 and RS384, lists documents, reads the
//! granted Binary (the upload's bytes), is denied a category outside the
//! consent (and the denial is in the patient's log), is refused every bad
//! assertion and a token past its life; after a revocation a read is
//! NoConsent. Every resource it was given validates with the suite's FHIR
//! validator.

use std::path::Path;
use std::process::Command;

use hdx::served::{FhirProcess, GatewayProcess};
use hdx_sdk::codes::{Category, Outcome, ProviderKind, Purpose, MODE_READ};
use hdx_sdk::gateway::GatewayClient;
use hdx_sdk::program::{AddRecordArgs, ConsentTerms};
use hdx_sdk::transport::Faucet;
use hdx_sdk::{cid, ix};
use sha2::{Digest, Sha256};
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

mod common;
#[path = "fhir/python.rs"]
mod python;
use common::{Server, HDX};

fn ehr(args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/ehr.py");
    let out = Command::new(python::fhir_python())
        .arg(&script)
        .args(args)
        .output()
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("ehr.py {}:\n{said}", args[0]);
    assert!(out.status.success(), "ehr.py {}: {said}", args[0]);
    said
}

#[test]
fn an_independent_smart_client_reads_through_the_front_door_only_under_consent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (auth, lab, patient) = (Keypair::new(), Keypair::new(), Keypair::new());
    for (k, name) in [(&auth, "authority"), (&lab, "lab"), (&patient, "patient")] {
        write_keypair_file(k, d.join(format!("{name}.json"))).unwrap();
    }
    let s = Server::start(d, &d.join("ledger"), &d.join("authority.json"));
    let c = s.client();
    for k in [&auth, &lab, &patient] {
        s.faucet().fund(&k.pubkey(), 10_000_000_000).unwrap();
    }
    let a = auth.pubkey();
    c.send(&[ix::initialize_registry(a, a, a)], &auth, &[])
        .unwrap();
    c.send(
        &[ix::register_provider(
            lab.pubkey(),
            ProviderKind::Laboratory,
            [7; 32],
        )],
        &lab,
        &[],
    )
    .unwrap();
    c.send(&[ix::verify_provider(a, &lab.pubkey())], &auth, &[])
        .unwrap();
    let p = patient.pubkey();
    c.send(&[ix::register_patient(p)], &patient, &[]).unwrap();

    // Two records held by the gateway: 0 lab results (1 MiB), 1 imaging.
    let gateway =
        GatewayProcess::start(Path::new(HDX), d, &s.url, &d.join("gateway"), &[]).unwrap();
    let now = c.transport.unix_time().unwrap();
    for (i, category) in [Category::LabResults, Category::Imaging]
        .into_iter()
        .enumerate()
    {
        let content: Vec<u8> = (0..(1u32 << 20))
            .map(|b| (b % 251) as u8 ^ i as u8)
            .collect();
        if i == 0 {
            std::fs::write(d.join("record0.bin"), &content).unwrap();
        }
        let h: [u8; 32] = Sha256::digest(&content).into();
        GatewayClient::new(&gateway.url)
            .upload(&patient, &p, i as u32, category, &content, now)
            .unwrap();
        c.add_record(
            &patient,
            &p,
            AddRecordArgs {
                category,
                clinical_day: 0,
                locator: cid::locator(&h).into_bytes(),
                content_hash: h,
            },
        )
        .unwrap();
    }
    c.send(
        &[ix::grant_consent(
            p,
            &p,
            &lab.pubkey(),
            ConsentTerms {
                categories: Category::LabResults.bit(),
                modes: MODE_READ,
                purposes: Purpose::Treatment.bit(),
                not_before: now,
                expires_at: now + 30 * 86_400,
                ..ConsentTerms::default()
            },
        )],
        &patient,
        &[],
    )
    .unwrap();

    // The EHR's keys and its registration; the front door, run with the lab's key.
    let keys = d.to_str().unwrap();
    ehr(&["keygen", keys]);
    let door = FhirProcess::start(
        Path::new(HDX),
        d,
        &s.url,
        &d.join("lab.json"),
        &gateway.url,
        &d.join("clients.json"),
        &d.join("fhir"),
        &["--token-lifetime", "8s"],
    )
    .unwrap();

    let bundle = d.join("returned.json");
    let said = ehr(&[
        "run",
        &door.url,
        &p.to_string(),
        keys,
        bundle.to_str().unwrap(),
    ]);
    assert!(said.contains("0 failures"), "{said}");
    for check in [
        "ok   signed in with ES384",
        "ok   signed in with RS384",
        "ok   the granted Binary is the upload",
        "ok   imaging, outside the consent: 403 CategoryNotPermitted",
        "ok   a replayed jti: 401 invalid_client",
        "ok   a wrong aud: 401 invalid_client",
        "ok   an expired assertion: 401 invalid_client",
        "ok   an unsupported algorithm (HS256): 401 invalid_client",
        "ok   an unknown key id: 401 invalid_client",
        "ok   a token used past its life: 401",
    ] {
        assert!(said.contains(check), "{check}:\n{said}");
    }
    // The patient's log: the granted read, then the denial.
    let log: Vec<(u64, u8)> = c
        .log(&p)
        .unwrap()
        .entries()
        .iter()
        .map(|e| (e.sequence, e.entry.outcome))
        .collect();
    assert_eq!(
        log,
        vec![
            (0, Outcome::Granted.code()),
            (1, Outcome::CategoryNotPermitted.code())
        ]
    );
    // Every resource the EHR was given validates.
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/validate.py");
    let out = Command::new(python::fhir_python())
        .arg(&validator)
        .arg(&bundle)
        .output()
        .unwrap();
    let verdict = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{verdict}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{verdict}");

    // Revoked: the next read is NoConsent, logged.
    c.send(&[ix::revoke_consent(p, &p, &lab.pubkey())], &patient, &[])
        .unwrap();
    ehr(&["revoked", &door.url, &p.to_string(), keys]);
    let last = c.log(&p).unwrap().entries().last().map(|e| e.entry.outcome);
    assert_eq!(last, Some(Outcome::NoConsent.code()));
}
