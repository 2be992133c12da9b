//! Invariant 1 (granted <=> the gate held) and invariant 5 (revocation takes
//! effect in the next transaction; expiry needs no transaction).

use hdx_sdk::codes::{ALL_CATEGORIES, ALL_PURPOSES, MODE_READ, MODE_WRITE};
use hdx_sdk::ix;
use hdx_tests::*;
use health_data_exchange::codes::{day_of, Action, ProviderKind};
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{LogEntry, NO_CONSENT_REVISION};
use health_data_exchange::ConsentTerms;

/// A consent that lets `provider` read lab results for treatment, live now.
fn base_terms(f: &Fixture) -> ConsentTerms {
    ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_READ,
        purposes: Purpose::Treatment.bit(),
        not_before: f.now() - DAY,
        expires_at: f.now() + 30 * DAY,
        ..ConsentTerms::default()
    }
}

struct Case {
    name: &'static str,
    /// Changes one condition of an otherwise granted access.
    terms: fn(&Fixture) -> Option<ConsentTerms>,
    category: Category,
    /// The record's clinical day, in days before today (`None`: unknown).
    record_days_ago: Option<i64>,
    purpose: Purpose,
    /// Granted accesses made first (to use up a cap).
    before: usize,
    expected: Outcome,
}

#[test]
fn invariant_1_each_gate_condition_alone_flips_granted_to_its_denial() {
    let ranged = |f: &Fixture| {
        let today = day_of(f.now()) as u32;
        Some(ConsentTerms {
            from_day: today - 100,
            to_day: today - 10,
            ..base_terms(f)
        })
    };
    let cases = [
        Case {
            name: "all conditions hold",
            terms: |f| Some(base_terms(f)),
            category: Category::LabResults,
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::Granted,
        },
        Case {
            name: "no consent",
            terms: |_| None,
            category: Category::LabResults,
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 0,
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
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::NotYetValid,
        },
        Case {
            name: "category not in scope",
            terms: |f| Some(base_terms(f)),
            category: Category::Imaging,
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 0,
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
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::ModeNotPermitted,
        },
        Case {
            name: "purpose not permitted",
            terms: |f| Some(base_terms(f)),
            category: Category::LabResults,
            record_days_ago: None,
            purpose: Purpose::Research,
            before: 0,
            expected: Outcome::PurposeNotPermitted,
        },
        Case {
            name: "record inside the date range",
            terms: ranged,
            category: Category::LabResults,
            record_days_ago: Some(10),
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::Granted,
        },
        Case {
            name: "record after the date range",
            terms: ranged,
            category: Category::LabResults,
            record_days_ago: Some(9),
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::OutsideDateRange,
        },
        Case {
            name: "record before the date range",
            terms: ranged,
            category: Category::LabResults,
            record_days_ago: Some(101),
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::OutsideDateRange,
        },
        Case {
            name: "record of unknown date under a date range",
            terms: ranged,
            category: Category::LabResults,
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 0,
            expected: Outcome::OutsideDateRange,
        },
        Case {
            name: "cap not yet used up",
            terms: |f| {
                Some(ConsentTerms {
                    access_limit: 2,
                    ..base_terms(f)
                })
            },
            category: Category::LabResults,
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 1,
            expected: Outcome::Granted,
        },
        Case {
            name: "cap used up",
            terms: |f| {
                Some(ConsentTerms {
                    access_limit: 2,
                    ..base_terms(f)
                })
            },
            category: Category::LabResults,
            record_days_ago: None,
            purpose: Purpose::Treatment,
            before: 2,
            expected: Outcome::AccessCapReached,
        },
    ];
    for case in cases {
        let f = Fixture::new();
        let provider = f.verified_provider();
        let patient = f.patient();
        let today = day_of(f.now()) as u32;
        let day = case.record_days_ago.map_or(0, |d| today - d as u32);
        let rec = f.record_on(&patient, case.category, day);
        let terms = (case.terms)(&f);
        if let Some(terms) = terms {
            f.grant(&patient, &provider, terms);
        }
        for _ in 0..case.before {
            f.access(&provider, &patient, rec, case.purpose).unwrap();
        }
        let result = f.access(&provider, &patient, rec, case.purpose);
        let record = f.client.record(&patient.pubkey(), rec).unwrap();
        match (case.expected, result) {
            (Outcome::Granted, Ok(g)) => {
                assert_eq!(g.locator, record.locator, "{}", case.name);
                assert_eq!(g.content_hash, record.content_hash, "{}", case.name);
                assert_eq!(g.sequence, case.before as u64);
            }
            (expected, Err(hdx_sdk::client::ClientError::Denied(d))) => {
                assert_eq!(d.reason, expected, "{}", case.name)
            }
            (expected, other) => panic!("{}: expected {expected:?}, got {other:?}", case.name),
        }
        // Exactly one more entry, with exactly this content.
        let log = f.log(&patient.pubkey());
        assert_eq!(log.entries().len(), case.before + 1, "{}", case.name);
        assert_eq!(
            f.last_entry(&patient.pubkey()),
            hdx_sdk::audit::Entry {
                sequence: case.before as u64,
                entry: LogEntry {
                    provider: f.number(&provider),
                    time: f.now() as u32,
                    record_index: rec,
                    basis: if terms.is_some() {
                        1
                    } else {
                        NO_CONSENT_REVISION
                    },
                    category: case.category.code(),
                    action: Action::Read.code(),
                    purpose: case.purpose.code(),
                    outcome: case.expected.code(),
                },
            },
            "{}",
            case.name
        );
        // A capped consent counts exactly its granted accesses.
        if let Some(c) = f
            .client
            .consent(&patient.pubkey(), &provider.pubkey())
            .unwrap()
        {
            let granted = case.before + usize::from(case.expected == Outcome::Granted);
            let counted = if c.terms.access_limit == 0 {
                0
            } else {
                granted
            };
            assert_eq!(c.accesses_used as usize, counted, "{}", case.name);
        }
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
    f.grant(&patient, &provider, terms);
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
fn invariant_1_date_range_is_inclusive_at_both_ends() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let today = day_of(f.now()) as u32;
    let days = [today - 31, today - 30, today - 20, today - 19];
    let recs: Vec<u32> = days
        .iter()
        .map(|d| f.record_on(&patient, Category::LabResults, *d))
        .collect();
    f.grant(
        &patient,
        &provider,
        ConsentTerms {
            from_day: today - 30,
            to_day: today - 20,
            ..base_terms(&f)
        },
    );
    let outcomes: Vec<Outcome> = recs
        .iter()
        .map(
            |r| match f.access(&provider, &patient, *r, Purpose::Treatment) {
                Ok(_) => Outcome::Granted,
                Err(hdx_sdk::client::ClientError::Denied(d)) => d.reason,
                Err(e) => panic!("{e}"),
            },
        )
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::OutsideDateRange,
            Outcome::Granted,
            Outcome::Granted,
            Outcome::OutsideDateRange
        ]
    );
}

#[test]
fn invariant_1_gate_checks_denials_in_its_stated_order() {
    // Everything is wrong at once; fixing one condition at a time exposes
    // the next reason in `gate::decide`'s order.
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let today = day_of(f.now()) as u32;
    let rec = f.record_on(&patient, Category::Imaging, today - 5);
    let wrong = ConsentTerms {
        categories: Category::LabResults.bit(),
        modes: MODE_WRITE,
        purposes: Purpose::Treatment.bit(),
        not_before: f.now() + 10,
        expires_at: f.now() + 20,
        access_limit: 1,
        from_day: today - 100,
        to_day: today - 50,
        ..ConsentTerms::default()
    };
    f.grant(&patient, &provider, wrong);
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
    let now = f.now();
    let steps: [(ConsentTerms, Outcome); 6] = [
        (
            ConsentTerms {
                not_before: now,
                expires_at: now + DAY,
                ..wrong
            },
            Outcome::CategoryNotPermitted,
        ),
        (
            ConsentTerms {
                categories: Category::Imaging.bit(),
                not_before: now,
                expires_at: now + DAY,
                ..wrong
            },
            Outcome::ModeNotPermitted,
        ),
        (
            ConsentTerms {
                categories: Category::Imaging.bit(),
                modes: MODE_READ,
                not_before: now,
                expires_at: now + DAY,
                ..wrong
            },
            Outcome::PurposeNotPermitted,
        ),
        (
            ConsentTerms {
                categories: Category::Imaging.bit(),
                modes: MODE_READ,
                purposes: Purpose::Research.bit(),
                not_before: now,
                expires_at: now + DAY,
                ..wrong
            },
            Outcome::OutsideDateRange,
        ),
        (
            ConsentTerms {
                categories: Category::Imaging.bit(),
                modes: MODE_READ,
                purposes: Purpose::Research.bit(),
                not_before: now,
                expires_at: now + DAY,
                from_day: today - 10,
                to_day: today,
                ..wrong
            },
            Outcome::Granted,
        ),
        (
            ConsentTerms {
                categories: Category::Imaging.bit(),
                modes: MODE_READ,
                purposes: Purpose::Research.bit(),
                not_before: now,
                expires_at: now + DAY,
                from_day: today - 10,
                to_day: today,
                ..wrong
            },
            Outcome::AccessCapReached,
        ),
    ];
    for (terms, expected) in steps {
        f.update(&patient, &provider, terms);
        match f.access(&provider, &patient, rec, Purpose::Research) {
            Ok(_) => assert_eq!(expected, Outcome::Granted),
            Err(hdx_sdk::client::ClientError::Denied(d)) => assert_eq!(d.reason, expected),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn invariant_1_unverified_suspended_unregistered_and_rotated_out_callers_get_hard_errors_and_no_entry(
) {
    let f = Fixture::new();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);

    let pending = f.provider(ProviderKind::Laboratory, false);
    f.grant_all(&patient, &pending, MODE_READ);
    f.fails_with(
        &[f.access_ix(
            f.access_accounts(&pending, &patient, rec),
            Purpose::Treatment,
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
        &[f.access_ix(
            f.access_accounts(&suspended, &patient, rec),
            Purpose::Treatment,
        )],
        &suspended,
        &[],
        hdx(HdxError::ProviderSuspended),
    );

    let stranger = f.funded();
    f.fails_with(
        &[f.access_ix(
            f.access_accounts(&stranger, &patient, rec),
            Purpose::Treatment,
        )],
        &stranger,
        &[],
        anchor(anchor_lang::error::ErrorCode::AccountNotInitialized),
    );

    // A rotated-out key of a verified provider with a live consent.
    let rotated = f.verified_provider();
    f.grant_all(&patient, &rotated, MODE_READ);
    let _new = f.rotate_provider(&rotated.pubkey(), &rotated);
    f.fails_with(
        &[f.access_ix(
            f.access_accounts(&rotated, &patient, rec),
            Purpose::Treatment,
        )],
        &rotated,
        &[],
        hdx(HdxError::NotProviderKey),
    );
    assert_eq!(f.log_len(&patient.pubkey()), 0, "no entry for any of them");
}

#[test]
fn invariant_1_an_unknown_purpose_code_cannot_even_be_decoded() {
    // The purpose is a typed enum in the instruction data: a byte that names no
    // purpose is refused at decoding, before any account is read.
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(&patient, &provider, MODE_READ);
    let mut i = f.access_ix(
        f.access_accounts(&provider, &patient, rec),
        Purpose::Treatment,
    );
    *i.data.last_mut().unwrap() = Purpose::ALL.len() as u8;
    f.fails_with(
        &[i],
        &provider,
        &[],
        anchor(anchor_lang::error::ErrorCode::InstructionDidNotDeserialize),
    );
    assert_eq!(f.log_len(&patient.pubkey()), 0);
}

#[test]
fn invariant_5_revocation_takes_effect_in_the_next_transaction() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    f.revoke(&patient, &provider);
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
        let rec = f.record(&patient, *category);
        for purpose in Purpose::ALL {
            f.access(&provider, &patient, rec, *purpose).unwrap();
        }
    }
    assert_eq!(
        f.log_len(&patient.pubkey()),
        Category::ALL.len() * Purpose::ALL.len()
    );
}

#[test]
fn invariant_1_a_consent_survives_the_providers_key_rotation() {
    // The consent names the provider's id: after rotating its key the provider
    // reads with the new key, and the log names the same registry number.
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    let id = provider.pubkey();
    let number = f.number(&provider);
    let new = f.rotate_provider(&id, &provider);
    let g = f
        .client
        .access_record(&new, &id, &patient.pubkey(), rec, Purpose::Treatment)
        .unwrap();
    assert_eq!(g.sequence, 0);
    assert_eq!(f.last_entry(&patient.pubkey()).entry.provider, number);
}

#[test]
fn invariant_1_cap_counts_granted_reads_and_writes_only() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let lab = f.record(&patient, Category::LabResults);
    let img = f.record(&patient, Category::Imaging);
    f.grant(
        &patient,
        &provider,
        ConsentTerms {
            modes: MODE_READ | MODE_WRITE,
            access_limit: 3,
            ..base_terms(&f)
        },
    );
    // Denials do not use the cap.
    f.expect_denied(
        &provider,
        &patient,
        img,
        Purpose::Treatment,
        Outcome::CategoryNotPermitted,
    );
    f.expect_denied(
        &provider,
        &patient,
        lab,
        Purpose::Research,
        Outcome::PurposeNotPermitted,
    );
    f.access(&provider, &patient, lab, Purpose::Treatment)
        .unwrap();
    f.client
        .write_record(
            &provider,
            &provider.pubkey(),
            &patient.pubkey(),
            f.write_args(),
        )
        .unwrap();
    f.access(&provider, &patient, lab, Purpose::Treatment)
        .unwrap();
    let c = f
        .client
        .consent(&patient.pubkey(), &provider.pubkey())
        .unwrap()
        .unwrap();
    assert_eq!((c.accesses_used, c.terms.access_limit), (3, 3));
    f.expect_denied(
        &provider,
        &patient,
        lab,
        Purpose::Treatment,
        Outcome::AccessCapReached,
    );
    match f.client.write_record(
        &provider,
        &provider.pubkey(),
        &patient.pubkey(),
        f.write_args(),
    ) {
        Err(hdx_sdk::client::ClientError::Denied(d)) => {
            assert_eq!(d.reason, Outcome::AccessCapReached)
        }
        other => panic!("{other:?}"),
    }
    // The patient raises the cap: the count of real accesses is kept.
    f.update(
        &patient,
        &provider,
        ConsentTerms {
            modes: MODE_READ | MODE_WRITE,
            access_limit: 4,
            ..base_terms(&f)
        },
    );
    f.access(&provider, &patient, lab, Purpose::Treatment)
        .unwrap();
    f.expect_denied(
        &provider,
        &patient,
        lab,
        Purpose::Treatment,
        Outcome::AccessCapReached,
    );
}
