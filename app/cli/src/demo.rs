//! The demo: a complete story on the embedded ledger, no validator, no
//! network. Every step checks what it expects; `run` fails on the first
//! surprise, so `hdx demo` exits 0 only if the whole story held.

use std::collections::HashMap;
use std::io::Write;

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::{Action, Category, Outcome, ProviderKind, Purpose, MODE_READ};
use health_data_exchange::error::HdxError;
use health_data_exchange::{AddRecordArgs, ConsentTerms};
use solana_sdk::signature::{Keypair, Signer};

use hdx_node::embedded::EmbeddedLedger;
use hdx_sdk::client::ClientError;
use hdx_sdk::ix;

const DAY: i64 = 86_400;

/// Words that end the demo's output when the chain verifies.
pub const CHAIN_VERIFIED: &str = "hash chain verified";

pub fn format_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

fn expect_denied(
    result: Result<hdx_sdk::client::Granted, ClientError>,
    reason: Outcome,
) -> anyhow::Result<u64> {
    match result {
        Err(ClientError::Denied(d)) if d.reason == reason => Ok(d.sequence),
        other => anyhow::bail!("expected a logged denial {}, got {other:?}", reason.name()),
    }
}

pub fn run(out: &mut dyn Write) -> anyhow::Result<()> {
    let authority = Keypair::new();
    let ledger = EmbeddedLedger::quiet(&authority.pubkey())?;
    let hospital = Keypair::new();
    let clinic = Keypair::new();
    let unverified = Keypair::new();
    let patient = Keypair::new();
    for k in [&authority, &hospital, &clinic, &unverified, &patient] {
        ledger.airdrop(&k.pubkey(), 10_000_000_000)?;
    }
    let c = ledger.client();
    let names: HashMap<Pubkey, &str> = [
        (hospital.pubkey(), "City Hospital"),
        (clinic.pubkey(), "Northside Clinic"),
        (unverified.pubkey(), "Unverified Lab"),
    ]
    .into_iter()
    .collect();
    let mut step = |text: &str| writeln!(out, "  ok  {text}");

    c.send(
        &[ix::initialize_registry(
            authority.pubkey(),
            authority.pubkey(),
            authority.pubkey(),
        )],
        &authority,
        &[],
    )?;
    step("registry initialised by the program's upgrade authority")?;
    for (p, kind) in [
        (&hospital, ProviderKind::Hospital),
        (&clinic, ProviderKind::Clinic),
        (&unverified, ProviderKind::Laboratory),
    ] {
        c.send(
            &[ix::register_provider(p.pubkey(), kind, [0x5a; 32])],
            p,
            &[],
        )?;
    }
    for p in [&hospital, &clinic] {
        c.send(
            &[ix::verify_provider(authority.pubkey(), &p.pubkey())],
            &authority,
            &[],
        )?;
    }
    step("three providers registered; City Hospital and Northside Clinic verified")?;

    c.send(&[ix::register_patient(patient.pubkey())], &patient, &[])?;
    let pid = patient.pubkey();
    let record = |category, locator: &[u8], hash| AddRecordArgs {
        category,
        clinical_day: 0,
        locator: locator.to_vec(),
        content_hash: [hash; 32],
    };
    let lab = c.add_record(
        &patient,
        &pid,
        record(Category::LabResults, b"custodian:lab/8f2c1a", 0x11),
    )?;
    let imaging = c.add_record(
        &patient,
        &pid,
        record(Category::Imaging, b"custodian:img/77d0e4", 0x22),
    )?;
    c.add_record(
        &patient,
        &pid,
        record(Category::Medications, b"custodian:med/19ab3c", 0x33),
    )?;
    step("patient registered with three record pointers: lab results, imaging, medications")?;

    let now = ledger.now();
    let terms = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: Purpose::Treatment.bit(),
        not_before: now,
        expires_at: now + 30 * DAY,
        ..ConsentTerms::default()
    };
    c.send(
        &[ix::grant_consent(pid, &pid, &hospital.pubkey(), terms)],
        &patient,
        &[],
    )?;
    step("patient grants City Hospital: lab results, read, for treatment, 30 days")?;

    let access =
        |p: &Keypair, record| c.access_record(p, &p.pubkey(), &pid, record, Purpose::Treatment);
    let granted = access(&hospital, lab)?;
    anyhow::ensure!(
        granted.locator == b"custodian:lab/8f2c1a",
        "wrong locator released"
    );
    step(&format!(
        "City Hospital reads the lab result: GRANTED, locator {}",
        String::from_utf8_lossy(&granted.locator)
    ))?;

    expect_denied(access(&hospital, imaging), Outcome::CategoryNotPermitted)?;
    step("City Hospital tries the imaging study: DENIED (CategoryNotPermitted), logged")?;

    match access(&unverified, lab) {
        Err(e) if e.program_code() == Some(HdxError::ProviderNotVerified.into()) => {}
        other => {
            anyhow::bail!("expected ProviderNotVerified for the unverified provider, got {other:?}")
        }
    }
    step("Unverified Lab is refused outright (ProviderNotVerified), nothing logged")?;

    c.send(
        &[ix::revoke_consent(pid, &pid, &hospital.pubkey())],
        &patient,
        &[],
    )?;
    expect_denied(access(&hospital, lab), Outcome::NoConsent)?;
    step("patient revokes; City Hospital's next access: DENIED (NoConsent)")?;

    let now = ledger.now();
    let week = ConsentTerms {
        categories: Category::LabResults.bit() | Category::Medications.bit(),
        modes: MODE_READ,
        purposes: Purpose::Treatment.bit(),
        not_before: now,
        expires_at: now + 7 * DAY,
        ..ConsentTerms::default()
    };
    c.send(
        &[ix::grant_consent(pid, &pid, &clinic.pubkey(), week)],
        &patient,
        &[],
    )?;
    access(&clinic, lab)?;
    ledger.advance(8 * DAY);
    expect_denied(access(&clinic, lab), Outcome::Expired)?;
    step("Northside Clinic, granted 7 days, reads; 8 days later: DENIED (Expired), no transaction needed")?;

    let log = c.log(&pid)?;
    let directory = c.provider_index()?;
    writeln!(out, "\nAudit trail of patient {}:", patient.pubkey())?;
    writeln!(
        out,
        "{:>4}  {:<18} {:<6} {:<14} {:<10} {:<22} when",
        "seq", "who", "what", "record", "why", "outcome"
    )?;
    for hdx_sdk::audit::Entry { sequence, entry: e } in log.entries() {
        let who = directory.resolve(e.provider)?.id;
        let category = Category::from_code(e.category)
            .map(|c| c.name())
            .unwrap_or("?");
        let action = Action::from_code(e.action).map(|a| a.name()).unwrap_or("?");
        let why = Purpose::from_code(e.purpose)
            .map(|p| p.hl7_code())
            .unwrap_or("?");
        let outcome = Outcome::from_code(e.outcome)
            .map(|o| o.name())
            .unwrap_or("?");
        writeln!(
            out,
            "{:>4}  {:<18} {:<6} {:<14} {:<10} {:<22} {}",
            sequence,
            names.get(&who).copied().unwrap_or("?"),
            action,
            format!("#{} {}", e.record_index, category),
            why,
            outcome,
            format_time(i64::from(e.time))
        )?;
    }
    let expected = [
        Outcome::Granted,
        Outcome::CategoryNotPermitted,
        Outcome::NoConsent,
        Outcome::Granted,
        Outcome::Expired,
    ];
    let outcomes: Vec<u8> = log.entries().iter().map(|e| e.entry.outcome).collect();
    anyhow::ensure!(
        outcomes == expected.map(|o| o.code()),
        "the log holds {outcomes:?}, expected {expected:?}"
    );
    let head = log.verify()?;
    writeln!(
        out,
        "\n{} entries; {CHAIN_VERIFIED} (head {})",
        log.entries().len(),
        hex(&head)
    )?;
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
