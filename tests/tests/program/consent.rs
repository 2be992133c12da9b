//! Invariant 3: only the patient creates, changes, renews or revokes their
//! consents and records. Consent lifecycle and input validation.

use hdx::codes::{ALL_CATEGORIES, ALL_PURPOSES, MODE_READ, MODE_WRITE};
use hdx::{ix, pda};
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{Consent, Patient};
use health_data_exchange::ConsentTerms;

#[test]
fn grant_stores_exact_terms_and_update_replaces_them() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let terms = f.terms(
        Category::LabResults.bit() | Category::Imaging.bit(),
        MODE_READ,
        Purpose::Treatment.bit(),
        30,
    );
    f.ok(
        &[ix::grant_consent(
            patient.pubkey(),
            &provider.pubkey(),
            terms,
        )],
        &patient,
        &[],
    );
    let (addr, bump) = pda::consent(&patient.pubkey(), &provider.pubkey());
    let granted_at = f.now();
    let mut expected = Consent {
        patient: patient.pubkey(),
        provider: provider.pubkey(),
        categories: terms.categories,
        modes: MODE_READ,
        purposes: Purpose::Treatment.bit(),
        bump,
        not_before: terms.not_before,
        expires_at: terms.expires_at,
        granted_at,
        updated_at: granted_at,
        reserved: [0; 16],
    };
    assert_eq!(f.decode::<Consent>(&addr), expected);
    assert!(
        f.account(&addr).unwrap().data.len() <= 128,
        "consent budget"
    );

    f.advance(60);
    let renewed = ConsentTerms {
        categories: Category::Medications.bit(),
        modes: MODE_READ | MODE_WRITE,
        purposes: Purpose::Treatment.bit() | Purpose::Payment.bit(),
        not_before: f.now(),
        expires_at: f.now() + 365 * DAY,
    };
    f.ok(
        &[ix::update_consent(
            patient.pubkey(),
            &provider.pubkey(),
            renewed,
        )],
        &patient,
        &[],
    );
    expected.categories = renewed.categories;
    expected.modes = renewed.modes;
    expected.purposes = renewed.purposes;
    expected.not_before = renewed.not_before;
    expected.expires_at = renewed.expires_at;
    expected.updated_at = f.now();
    assert_eq!(f.decode::<Consent>(&addr), expected);
}

#[test]
fn invariant_3_only_the_patient_grants_updates_and_revokes() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let mallory = f.patient();
    let terms = f.terms(ALL_CATEGORIES, MODE_READ, ALL_PURPOSES, 30);

    // Mallory signs with the victim's patient account: its owner is not her.
    let mut grant = ix::grant_consent(mallory.pubkey(), &provider.pubkey(), terms);
    grant.accounts[1].pubkey = pda::patient(&patient.pubkey()).0;
    f.fails_with(&[grant], &mallory, &[], hdx(HdxError::PatientMismatch));

    // The provider cannot grant itself a consent on the patient's behalf.
    let mut self_grant = ix::grant_consent(provider.pubkey(), &provider.pubkey(), terms);
    self_grant.accounts[1].pubkey = pda::patient(&patient.pubkey()).0;
    f.fails_with(
        &[self_grant],
        &provider,
        &[],
        hdx(HdxError::PatientMismatch),
    );

    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    let addr = pda::consent(&patient.pubkey(), &provider.pubkey()).0;
    let before = f.decode::<Consent>(&addr);

    for (signer, mut ix) in [
        (
            &mallory,
            ix::update_consent(mallory.pubkey(), &provider.pubkey(), terms),
        ),
        (
            &provider,
            ix::update_consent(provider.pubkey(), &provider.pubkey(), terms),
        ),
        (
            &mallory,
            ix::revoke_consent(mallory.pubkey(), &provider.pubkey()),
        ),
        (
            &provider,
            ix::revoke_consent(provider.pubkey(), &provider.pubkey()),
        ),
    ] {
        ix.accounts[1].pubkey = addr;
        f.fails_with(&[ix], signer, &[], hdx(HdxError::ConsentMismatch));
    }
    assert_eq!(f.decode::<Consent>(&addr), before);
}

#[test]
fn invariant_3_only_the_patient_adds_records() {
    let f = Fixture::new();
    let patient = f.patient();
    let mallory = f.funded();
    let mut add = ix::add_record(mallory.pubkey(), 0, 0, b"x".to_vec(), [1; 32]);
    add.accounts[1].pubkey = pda::patient(&patient.pubkey()).0;
    f.fails_with(&[add], &mallory, &[], hdx(HdxError::PatientMismatch));
    assert_eq!(f.client.patient(&patient.pubkey()).unwrap().record_count, 0);
}

#[test]
fn revoke_closes_the_account_returns_rent_and_regrant_works() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    let addr = pda::consent(&patient.pubkey(), &provider.pubkey()).0;
    let rent = f.account(&addr).unwrap().lamports;
    let balance = f.account(&patient.pubkey()).unwrap().lamports;
    f.ok(
        &[ix::revoke_consent(patient.pubkey(), &provider.pubkey())],
        &patient,
        &[],
    );
    assert!(f.account(&addr).is_none(), "closed");
    let fee = 5_000;
    assert_eq!(
        f.account(&patient.pubkey()).unwrap().lamports,
        balance + rent - fee
    );
    // Revoking again: nothing to revoke.
    f.fails_with(
        &[ix::revoke_consent(patient.pubkey(), &provider.pubkey())],
        &patient,
        &[],
        anchor(anchor_lang::error::ErrorCode::AccountNotInitialized),
    );
    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
}

#[test]
fn granting_over_a_live_consent_is_refused_by_name() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    let addr = pda::consent(&patient.pubkey(), &provider.pubkey()).0;
    let before = f.decode::<Consent>(&addr);
    let wider = f.terms(ALL_CATEGORIES, MODE_READ, ALL_PURPOSES, 30);
    f.fails_with(
        &[ix::grant_consent(
            patient.pubkey(),
            &provider.pubkey(),
            wider,
        )],
        &patient,
        &[],
        hdx(HdxError::ConsentAlreadyExists),
    );
    assert_eq!(f.decode::<Consent>(&addr), before);
}

#[test]
fn grant_works_on_a_prefunded_consent_address() {
    // Someone sends lamports to the consent address first, hoping to block the grant.
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let addr = pda::consent(&patient.pubkey(), &provider.pubkey()).0;
    f.fund(&addr);
    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    assert_eq!(f.decode::<Consent>(&addr).patient, patient.pubkey());
}

#[test]
fn bad_consent_terms_give_named_errors_and_change_nothing() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let ok = f.terms(
        Category::LabResults.bit(),
        MODE_READ,
        Purpose::Treatment.bit(),
        30,
    );
    let now = f.now();
    let cases: [(&str, ConsentTerms, HdxError); 9] = [
        (
            "empty categories",
            ConsentTerms {
                categories: 0,
                ..ok
            },
            HdxError::EmptyCategories,
        ),
        (
            "unknown category bit",
            ConsentTerms {
                categories: 1 << 14,
                ..ok
            },
            HdxError::UnknownCategoryBits,
        ),
        (
            "empty modes",
            ConsentTerms { modes: 0, ..ok },
            HdxError::EmptyModes,
        ),
        (
            "unknown mode bit",
            ConsentTerms { modes: 4, ..ok },
            HdxError::UnknownModeBits,
        ),
        (
            "empty purposes",
            ConsentTerms { purposes: 0, ..ok },
            HdxError::EmptyPurposes,
        ),
        (
            "unknown purpose bit",
            ConsentTerms {
                purposes: 1 << 6,
                ..ok
            },
            HdxError::UnknownPurposeBits,
        ),
        (
            "expiry equals not-before",
            ConsentTerms {
                expires_at: ok.not_before,
                ..ok
            },
            HdxError::InvalidValidityWindow,
        ),
        (
            "expiry before not-before",
            ConsentTerms {
                not_before: now + 10,
                expires_at: now + 5,
                ..ok
            },
            HdxError::InvalidValidityWindow,
        ),
        (
            "expiry in the past",
            ConsentTerms {
                not_before: now - 20,
                expires_at: now,
                ..ok
            },
            HdxError::ExpiryInPast,
        ),
    ];
    let addr = pda::consent(&patient.pubkey(), &provider.pubkey()).0;
    for (name, terms, err) in cases {
        f.fails(
            &[ix::grant_consent(
                patient.pubkey(),
                &provider.pubkey(),
                terms,
            )],
            &patient,
            &[],
            custom(0, hdx(err)),
        );
        assert!(f.account(&addr).is_none(), "{name}: nothing created");
    }
    // The same checks guard update.
    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    let before = f.decode::<Consent>(&addr);
    for (_, terms, err) in cases {
        f.fails_with(
            &[ix::update_consent(
                patient.pubkey(),
                &provider.pubkey(),
                terms,
            )],
            &patient,
            &[],
            hdx(err),
        );
    }
    assert_eq!(f.decode::<Consent>(&addr), before);
}

#[test]
fn bad_record_inputs_give_named_errors_and_change_nothing() {
    let f = Fixture::new();
    let patient = f.patient();
    let cases: [(u8, Vec<u8>, [u8; 32], HdxError); 4] = [
        (14, b"x".to_vec(), [1; 32], HdxError::UnknownCategory),
        (0, vec![], [1; 32], HdxError::EmptyLocator),
        (0, vec![7; 129], [1; 32], HdxError::LocatorTooLong),
        (0, b"x".to_vec(), [0; 32], HdxError::EmptyContentHash),
    ];
    for (category, locator, hash, err) in cases {
        f.fails_with(
            &[ix::add_record(patient.pubkey(), 0, category, locator, hash)],
            &patient,
            &[],
            hdx(err),
        );
    }
    assert!(f.account(&pda::record(&patient.pubkey(), 0).0).is_none());
    assert_eq!(f.client.patient(&patient.pubkey()).unwrap().record_count, 0);
    // The limit itself is accepted.
    f.ok(
        &[ix::add_record(
            patient.pubkey(),
            0,
            0,
            vec![7; 128],
            [1; 32],
        )],
        &patient,
        &[],
    );
}

#[test]
fn patient_registration_stores_exact_fields_and_opens_page_zero() {
    let f = Fixture::new();
    let patient = f.patient();
    let (addr, bump) = pda::patient(&patient.pubkey());
    assert_eq!(
        f.decode::<Patient>(&addr),
        Patient {
            owner: patient.pubkey(),
            bump,
            emergency_opt_in: false,
            guardian_threshold: 0,
            record_count: 0,
            log_pages: 1,
            registered_at: f.now(),
            reserved: [0; 64],
        }
    );
    let page = f.client.log_page(&patient.pubkey(), 0).unwrap();
    assert_eq!(page.patient, patient.pubkey());
    assert_eq!(page.head, hdx::audit::genesis_head(&patient.pubkey()));
    assert_eq!(
        (page.count, page.first_sequence, page.page_index),
        (0, 0, 0)
    );
    f.fails_with(
        &[ix::register_patient(patient.pubkey())],
        &patient,
        &[],
        hdx(HdxError::AlreadyRegistered),
    );
}
