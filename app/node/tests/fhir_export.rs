//! The FHIR export is byte-for-byte what it was before it was made fast.
//! A ledger built the same way every run (keys from fixed seeds, a clock set
//! by hand) holds every kind of entry the exporter writes differently:
//! granted and denied reads, a write, a sensitive category (its security
//! label), consent versions (a grant, an update, a revocation), and an
//! emergency window (its opening, a read under it and its review). Its
//! export is compared with `golden/fhir_export.json`, written by the exporter
//! as it was (every resource built as a JSON tree and serialised). To write
//! the file again after a deliberate change: `HDX_BLESS=1 cargo test -p
//! hdx-node --test fhir_export`, and say why in the commit.

use hdx_node::embedded::EmbeddedLedger;
use hdx_sdk::codes::{
    Category, EmergencyReason, ProviderKind, Purpose, Verdict, ALL_PURPOSES, MODE_READ, MODE_WRITE,
    ROLE_EMERGENCY,
};
use hdx_sdk::directory::VerifiedDirectory;
use hdx_sdk::export::{write_fhir, Scope};
use hdx_sdk::ix;
use hdx_sdk::program::{AddRecordArgs, ConsentTerms, WriteRecordArgs};
use solana_sdk::signature::{Keypair, Signer};

const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn key(seed: u8) -> Keypair {
    Keypair::new_from_array([seed; 32])
}

fn export(ledger: &EmbeddedLedger, patient: &solana_sdk::pubkey::Pubkey) -> Vec<u8> {
    write_fhir(
        &ledger.client(),
        patient,
        &Scope::default(),
        START + 10 * 86_400,
        &VerifiedDirectory::none(),
        Vec::new(),
        &mut |_, _| {},
    )
    .unwrap()
}

#[test]
fn the_fhir_export_is_byte_identical_to_the_reference() {
    let (authority, lab, hospital, patient) = (key(1), key(2), key(3), key(4));
    let ledger = EmbeddedLedger::quiet(&authority.pubkey()).unwrap();
    ledger.set_time(START);
    for k in [&authority, &lab, &hospital, &patient] {
        ledger.airdrop(&k.pubkey(), 10_000_000_000).unwrap();
    }
    let c = ledger.client();
    let (a, l, h, p) = (
        authority.pubkey(),
        lab.pubkey(),
        hospital.pubkey(),
        patient.pubkey(),
    );
    c.send(&[ix::initialize_registry(a, a, a)], &authority, &[])
        .unwrap();
    c.send(
        &[ix::register_provider(l, ProviderKind::Laboratory, [7; 32])],
        &lab,
        &[],
    )
    .unwrap();
    c.send(
        &[ix::register_provider(h, ProviderKind::Hospital, [8; 32])],
        &hospital,
        &[],
    )
    .unwrap();
    c.send(
        &[
            ix::verify_provider(a, &l),
            ix::verify_provider(a, &h),
            ix::set_provider_roles(a, &h, ROLE_EMERGENCY),
        ],
        &authority,
        &[],
    )
    .unwrap();
    c.send(&[ix::register_patient(p)], &patient, &[]).unwrap();
    for (i, category) in [Category::LabResults, Category::MentalHealth]
        .into_iter()
        .enumerate()
    {
        c.add_record(
            &patient,
            &p,
            AddRecordArgs {
                category,
                clinical_day: 20_000 + i as u32,
                locator: format!("ipfs://record-{i}").into_bytes(),
                content_hash: [i as u8 + 1; 32],
            },
        )
        .unwrap();
    }
    let terms = |categories: u16, modes: u8| ConsentTerms {
        categories,
        modes,
        purposes: ALL_PURPOSES,
        not_before: START,
        expires_at: START + 30 * 86_400,
        ..ConsentTerms::default()
    };
    c.send(
        &[ix::grant_consent(
            p,
            &p,
            &l,
            terms(Category::LabResults.bit(), MODE_READ),
        )],
        &patient,
        &[],
    )
    .unwrap();
    ledger.set_time(START + 3_600);
    c.access_record(&lab, &l, &p, 0, Purpose::Treatment)
        .unwrap();
    // Denied: the consent does not cover mental health.
    assert!(c
        .access_record(&lab, &l, &p, 1, Purpose::Treatment)
        .is_err());
    ledger.set_time(START + 7_200);
    c.send(
        &[ix::update_consent(
            p,
            &p,
            &l,
            terms(
                Category::LabResults.bit() | Category::MentalHealth.bit(),
                MODE_READ | MODE_WRITE,
            ),
        )],
        &patient,
        &[],
    )
    .unwrap();
    c.access_record(&lab, &l, &p, 1, Purpose::Research).unwrap();
    c.write_record(
        &lab,
        &l,
        &p,
        WriteRecordArgs {
            category: Category::LabResults,
            clinical_day: 20_010,
            locator: b"ipfs://written".to_vec(),
            content_hash: [9; 32],
            purpose: Purpose::Treatment,
        },
    )
    .unwrap();
    // The hospital has no consent: a denial, then break-the-glass.
    ledger.set_time(START + 10_800);
    assert!(c
        .access_record(&hospital, &h, &p, 0, Purpose::Treatment)
        .is_err());
    let window = c
        .open_emergency(
            &hospital,
            &h,
            &p,
            EmergencyReason::PatientCannotConsent,
            3_600,
        )
        .unwrap();
    c.emergency_access(&hospital, &h, &p, 0, window).unwrap();
    c.send(&[ix::end_emergency(p, &p, &h, window)], &patient, &[])
        .unwrap();
    c.send(
        &[ix::review_emergency(a, &p, window, Verdict::Justified)],
        &authority,
        &[],
    )
    .unwrap();
    ledger.set_time(START + 14_400);
    c.send(&[ix::revoke_consent(p, &p, &l)], &patient, &[])
        .unwrap();
    assert!(c
        .access_record(&lab, &l, &p, 0, Purpose::Treatment)
        .is_err());

    let got = export(&ledger, &p);
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/fhir_export.json");
    if std::env::var_os("HDX_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read(&golden).unwrap();
    // Every kind of entry is in it.
    let text = String::from_utf8(want.clone()).unwrap();
    for needle in [
        "\"outcome\":\"0\"",
        "Denied: ",
        "\"code\":\"create\"",
        "\"code\":\"PSY\"",
        "emergency-open",
        "emergency-reason",
        "\"resourceType\":\"Consent\"",
        "\"valueString\":\"justified\"",
    ] {
        assert!(text.contains(needle), "the reference lacks {needle}");
    }
    if got != want {
        let at = got
            .iter()
            .zip(&want)
            .position(|(x, y)| x != y)
            .unwrap_or(got.len().min(want.len()));
        let show = |b: &[u8]| {
            String::from_utf8_lossy(&b[at.saturating_sub(120)..(at + 120).min(b.len())]).to_string()
        };
        panic!(
            "the export differs from the reference at byte {at} ({} bytes, reference {}):\n got: {}\nwant: {}",
            got.len(),
            want.len(),
            show(&got),
            show(&want)
        );
    }
}
