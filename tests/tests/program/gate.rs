//! Invariant 1 (granted <=> the gate held) and invariant 5 (revocation takes
//! effect in the next transaction; expiry needs no transaction).

use hdx::codes::{ALL_CATEGORIES, ALL_PURPOSES, MODE_READ, MODE_WRITE};
use hdx::ix;
use hdx_tests::*;
use health_data_exchange::codes::{Action, ProviderKind};
use health_data_exchange::error::HdxError;
use health_data_exchange::state::LogEntry;
use health_data_exchange::ConsentTerms;

/// A consent that lets `provider` read lab results for treatment, live now.
fn base_terms(f: &Fixture) -> ConsentTerms {
    ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: Purpose::Treatment.bit(),
        not_before: f.now() - DAY,
        expires_at: f.now() + 30 * DAY,
    }
}

struct Case {
    name: &'static str,
    /// Changes one condition of an otherwise granted access.
    terms: fn(&Fixture) -> Option<ConsentTerms>,
    category: Category,
    purpose: Purpose,
    expected: Outcome,
}

#[test]
fn invariant_1_each_gate_condition_alone_flips_granted_to_its_denial() {
    let cases = [
        Case {
            name: "all conditions hold",
            terms: |f| Some(base_terms(f)),
            category: Category::LabResults,
            purpose: Purpose::Treatment,
            expected: Outcome::Granted,
        },
        Case {
            name: "no consent",
            terms: |_| None,
            category: Category::LabResults,
            purpose: Purpose::Treatment,
            expected: Outcome::NoConsent,
        },
        Case {
            name: "not yet valid",
            terms: |f| {
                Some(ConsentTerms {
                    not_before: f.now() + 1,
                    ..base_terms(f)
                })
            },
            category: Category::LabResults,
            purpose: Purpose::Treatment,
            expected: Outcome::NotYetValid,
        },
        Case {
            name: "category not in scope",
            terms: |f| Some(base_terms(f)),
            category: Category::Imaging,
            purpose: Purpose::Treatment,
            expected: Outcome::CategoryNotPermitted,
        },
        Case {
            name: "read mode not granted",
            terms: |f| {
                Some(ConsentTerms {
                    modes: MODE_WRITE,
                    ..base_terms(f)
                })
            },
            category: Category::LabResults,
            purpose: Purpose::Treatment,
            expected: Outcome::ModeNotPermitted,
        },
        Case {
            name: "purpose not permitted",
            terms: |f| Some(base_terms(f)),
            category: Category::LabResults,
            purpose: Purpose::Research,
            expected: Outcome::PurposeNotPermitted,
        },
    ];
    for case in cases {
        let f = Fixture::new();
        let provider = f.verified_provider();
        let patient = f.patient();
        let rec = f.record(&patient, case.category);
        if let Some(terms) = (case.terms)(&f) {
            f.ok(
                &[ix::grant_consent(
                    patient.pubkey(),
                    &provider.pubkey(),
                    terms,
                )],
                &patient,
                &[],
            );
        }
        let result = f.access(&provider, &patient, rec, case.purpose);
        let record = f.client.record(&patient.pubkey(), rec).unwrap();
        match (case.expected, result) {
            (Outcome::Granted, Ok(g)) => {
                assert_eq!(g.locator, record.locator, "{}", case.name);
                assert_eq!(g.content_hash, record.content_hash, "{}", case.name);
                assert_eq!(g.sequence, 0);
            }
            (expected, Err(hdx::client::ClientError::Denied(d))) => {
                assert_eq!(d.reason, expected, "{}", case.name)
            }
            (expected, other) => panic!("{}: expected {expected:?}, got {other:?}", case.name),
        }
        // Exactly one entry, with exactly this content.
        let log = f.log(&patient.pubkey());
        assert_eq!(
            log.entries(),
            vec![LogEntry {
                sequence: 0,
                provider: provider.pubkey(),
                time: f.now(),
                record_index: rec,
                category: case.category.code(),
                action: Action::Read as u8,
                purpose: case.purpose.code(),
                outcome: case.expected.code(),
            }],
            "{}",
            case.name
        );
    }
}

#[test]
fn invariant_1_validity_window_is_half_open() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    let start = f.now() + 100;
    let terms = ConsentTerms {
        not_before: start,
        expires_at: start + 50,
        ..base_terms(&f)
    };
    f.ok(
        &[ix::grant_consent(
            patient.pubkey(),
            &provider.pubkey(),
            terms,
        )],
        &patient,
        &[],
    );
    f.ledger().set_time(start - 1);
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Treatment,
        Outcome::NotYetValid,
    );
    f.ledger().set_time(start);
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    f.ledger().set_time(start + 49);
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    f.ledger().set_time(start + 50);
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Treatment,
        Outcome::Expired,
    );
}

#[test]
fn invariant_1_gate_checks_denials_in_documented_order() {
    // Everything is wrong at once: the first reason in the order wins.
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::Imaging);
    let terms = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_WRITE,
        purposes: Purpose::Treatment.bit(),
        not_before: f.now() + 10,
        expires_at: f.now() + 20,
    };
    f.ok(
        &[ix::grant_consent(
            patient.pubkey(),
            &provider.pubkey(),
            terms,
        )],
        &patient,
        &[],
    );
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Research,
        Outcome::NotYetValid,
    );
    f.advance(30);
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Research,
        Outcome::Expired,
    );
}

#[test]
fn invariant_1_unverified_suspended_and_unregistered_callers_get_hard_errors_and_no_entry() {
    let f = Fixture::new();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    let page = f.current_page(&patient.pubkey());

    let pending = f.provider(ProviderKind::Laboratory, false);
    f.grant_all(&patient, &pending, MODE_READ);
    f.fails_with(
        &[ix::access_record(
            pending.pubkey(),
            &patient.pubkey(),
            rec,
            page,
            0,
        )],
        &pending,
        &[],
        hdx(HdxError::ProviderNotVerified),
    );

    let suspended = f.verified_provider();
    f.grant_all(&patient, &suspended, MODE_READ);
    f.ok(
        &[ix::suspend_provider(
            f.authority.pubkey(),
            &suspended.pubkey(),
        )],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[ix::access_record(
            suspended.pubkey(),
            &patient.pubkey(),
            rec,
            page,
            0,
        )],
        &suspended,
        &[],
        hdx(HdxError::ProviderSuspended),
    );

    let stranger = f.funded();
    f.fails_with(
        &[ix::access_record(
            stranger.pubkey(),
            &patient.pubkey(),
            rec,
            page,
            0,
        )],
        &stranger,
        &[],
        anchor(anchor_lang::error::ErrorCode::AccountNotInitialized),
    );
    assert_eq!(f.log_len(&patient.pubkey()), 0, "no entry for any of them");
}

#[test]
fn invariant_1_unknown_purpose_code_is_a_hard_error() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(&patient, &provider, MODE_READ);
    let page = f.current_page(&patient.pubkey());
    f.fails_with(
        &[ix::access_record(
            provider.pubkey(),
            &patient.pubkey(),
            rec,
            page,
            6,
        )],
        &provider,
        &[],
        hdx(HdxError::UnknownPurpose),
    );
    assert_eq!(f.log_len(&patient.pubkey()), 0);
}

#[test]
fn invariant_5_revocation_takes_effect_in_the_next_transaction() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    f.ok(
        &[ix::revoke_consent(patient.pubkey(), &provider.pubkey())],
        &patient,
        &[],
    );
    // Same clock second, the very next transaction.
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Treatment,
        Outcome::NoConsent,
    );
}

#[test]
fn invariant_5_expiry_needs_no_transaction() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    let consent_before = f
        .client
        .consent(&patient.pubkey(), &provider.pubkey())
        .unwrap();
    // Only the clock moves: no transaction touches the consent.
    f.advance(30 * DAY);
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Treatment,
        Outcome::Expired,
    );
    assert_eq!(
        f.client
            .consent(&patient.pubkey(), &provider.pubkey())
            .unwrap(),
        consent_before,
        "the consent account itself is unchanged"
    );
}

#[test]
fn invariant_1_broad_consent_grants_every_category_and_purpose() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    f.grant_all(&patient, &provider, MODE_READ);
    let _ = (ALL_CATEGORIES, ALL_PURPOSES);
    for category in Category::ALL {
        let rec = f.record(&patient, category);
        for purpose in Purpose::ALL {
            f.access(&provider, &patient, rec, purpose).unwrap();
        }
    }
    assert_eq!(
        f.log_len(&patient.pubkey()),
        Category::ALL.len() * Purpose::ALL.len()
    );
}
