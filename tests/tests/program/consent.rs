//! Invariant 3: only the patient's current authority creates, changes or
//! revokes the patient's consents and records; a renewal happens only within
//! the renewal policy that authority set. Consent lifecycle and input validation.

use hdx_sdk::codes::{ALL_CATEGORIES, ALL_PURPOSES, MODE_READ, MODE_WRITE};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::codes::{day_of, ProviderKind, MAX_DAY, MAX_TIME};
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{
    Consent, Patient, Record, LAYOUT_VERSION, MAX_CONSENT_DURATION_SECS,
};
use health_data_exchange::{AddRecordArgs, ConsentTerms};

#[test]
fn grant_stores_exact_terms_and_update_replaces_them() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let today = day_of(f.now()) as u32;
    let terms = ConsentTerms {
        access_limit: 5,
        from_day: today - 365,
        to_day: today,
        renewal_period_secs: 30 * DAY as u32,
        renewals_allowed: 3,
        ..f.terms(
            Category::LabResults.bit() | Category::Imaging.bit(),
            MODE_READ,
            Purpose::Treatment.bit(),
            30,
        )
    };
    f.grant(&patient, &provider, terms);
    let (addr, bump) = pda::consent(&patient.pubkey(), &provider.pubkey());
    let granted_at = f.now();
    let mut expected = Consent {
        patient: patient.pubkey(),
        provider: provider.pubkey(),
        version: LAYOUT_VERSION,
        bump,
        revision: 1,
        terms: ConsentTerms {
            categories: Category::LabResults.bit() | Category::Imaging.bit(),
            modes: MODE_READ,
            purposes: Purpose::Treatment.bit(),
            not_before: terms.not_before,
            expires_at: terms.expires_at,
            access_limit: 5,
            from_day: today - 365,
            to_day: today,
            renewal_period_secs: 30 * DAY as u32,
            renewals_allowed: 3,
        },
        granted_at,
        updated_at: granted_at,
        accesses_used: 0,
        renewals_used: 0,
        reserved: [0; Consent::RESERVED],
    };
    assert_eq!(f.decode::<Consent>(&addr), expected);
    assert_eq!(f.account(&addr).unwrap().data.len(), Consent::SPACE);
    const { assert!(Consent::SPACE <= 160, "consent budget") };
    assert_eq!(f.decode::<Consent>(&addr).terms, terms);

    f.advance(60);
    let changed = ConsentTerms {
        categories: Category::Medications.bit(),
        modes: MODE_READ | MODE_WRITE,
        purposes: Purpose::Treatment.bit() | Purpose::Payment.bit(),
        not_before: f.now(),
        expires_at: f.now() + 365 * DAY,
        ..ConsentTerms::default()
    };
    f.update(&patient, &provider, changed);
    expected.terms = changed;
    expected.updated_at = f.now();
    expected.revision = 2;
    assert_eq!(f.decode::<Consent>(&addr), expected);
    assert_eq!(
        f.client
            .patient(&patient.pubkey())
            .unwrap()
            .consent_revisions,
        2
    );
}

#[test]
fn invariant_3_only_the_patients_authority_grants_updates_and_revokes() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let mallory = f.patient();
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    let terms = f.terms(ALL_CATEGORIES, MODE_READ, ALL_PURPOSES, 30);

    // Mallory (or the provider) signs for the victim's patient account.
    for signer in [&mallory, &provider] {
        f.fails_with(
            &[ix::grant_consent(signer.pubkey(), &pt, &p, terms)],
            signer,
            &[],
            hdx(HdxError::NotPatientAuthority),
        );
    }
    assert!(f.account(&pda::consent(&pt, &p).0).is_none());

    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    let addr = pda::consent(&pt, &p).0;
    let before = f.decode::<Consent>(&addr);
    for signer in [&mallory, &provider] {
        let s = signer.pubkey();
        f.fails_with(
            &[ix::update_consent(s, &pt, &p, terms)],
            signer,
            &[],
            hdx(HdxError::NotPatientAuthority),
        );
        f.fails_with(
            &[ix::revoke_consent(s, &pt, &p)],
            signer,
            &[],
            hdx(HdxError::NotPatientAuthority),
        );
    }
    // Mallory's own (real) patient account with the victim's consent.
    let m = mallory.pubkey();
    f.fails_with(
        &[ix::build(
            health_data_exchange::accounts::UpdateConsent {
                consent: addr,
                ..ix::update_consent_accounts(m, &m, &p)
            },
            health_data_exchange::instruction::UpdateConsent { terms },
        )],
        &mallory,
        &[],
        hdx(HdxError::ConsentMismatch),
    );
    f.fails_with(
        &[ix::build(
            health_data_exchange::accounts::RevokeConsent {
                consent: addr,
                ..ix::revoke_consent_accounts(m, &m, &p)
            },
            health_data_exchange::instruction::RevokeConsent {},
        )],
        &mallory,
        &[],
        hdx(HdxError::ConsentMismatch),
    );
    assert_eq!(f.decode::<Consent>(&addr), before);
}

#[test]
fn invariant_3_only_the_patients_authority_adds_records() {
    let f = Fixture::new();
    let patient = f.patient();
    let mallory = f.funded();
    let args = AddRecordArgs {
        category: Category::LabResults,
        clinical_day: 0,
        locator: b"x".to_vec(),
        content_hash: [1; 32],
    };
    f.fails_with(
        &[ix::add_record(mallory.pubkey(), &patient.pubkey(), 0, args)],
        &mallory,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    assert_eq!(f.client.patient(&patient.pubkey()).unwrap().record_count, 0);
}

#[test]
fn revoke_closes_the_account_returns_rent_and_regrant_works() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    let addr = pda::consent(&patient.pubkey(), &provider.pubkey()).0;
    let rent = f.account(&addr).unwrap().lamports;
    let balance = f.account(&patient.pubkey()).unwrap().lamports;
    f.revoke(&patient, &provider);
    assert!(f.account(&addr).is_none(), "closed");
    let fee = 5_000;
    assert_eq!(
        f.account(&patient.pubkey()).unwrap().lamports,
        balance + rent - fee
    );
    // Revoking again: nothing to revoke.
    let id = patient.pubkey();
    f.fails_with(
        &[ix::revoke_consent(id, &id, &provider.pubkey())],
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
    // A re-grant is a new version: the revision goes on from the patient's counter.
    assert_eq!(f.decode::<Consent>(&addr).revision, 2);
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    assert_eq!(f.last_entry(&id).entry.basis, 2);
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
    let id = patient.pubkey();
    f.fails_with(
        &[ix::grant_consent(id, &id, &provider.pubkey(), wider)],
        &patient,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    assert_eq!(f.decode::<Consent>(&addr), before);
}

#[test]
fn a_consent_to_a_pending_provider_is_valid_but_unusable_until_verified() {
    let f = Fixture::new();
    let provider = f.provider(ProviderKind::Laboratory, false);
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    match f.access(&provider, &patient, rec, Purpose::Treatment) {
        Err(e) => assert_eq!(e.program_code(), Some(hdx(HdxError::ProviderNotVerified))),
        Ok(g) => panic!("{g:?}"),
    }
    f.ok(
        &[ix::verify_provider(
            f.authority.pubkey(),
            &provider.pubkey(),
        )],
        &f.authority,
        &[],
    );
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
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
    let cases: [(&str, ConsentTerms, HdxError); 22] = [
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
                purposes: 1 << 7,
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
        (
            "expiry one second too far",
            ConsentTerms {
                expires_at: now + MAX_CONSENT_DURATION_SECS + 1,
                ..ok
            },
            HdxError::ExpiryTooFar,
        ),
        (
            "expiry at i64::MAX",
            ConsentTerms {
                expires_at: i64::MAX,
                ..ok
            },
            HdxError::TimeOutOfRange,
        ),
        (
            "expiry one past MAX_TIME",
            ConsentTerms {
                expires_at: MAX_TIME + 1,
                ..ok
            },
            HdxError::TimeOutOfRange,
        ),
        (
            // With a renewal policy this once made `renew_consent` (anyone's) and
            // `hdx consent renew-due` overflow on the stored terms.
            "not-before at i64::MIN, with a renewal policy",
            ConsentTerms {
                not_before: i64::MIN,
                renewal_period_secs: 60,
                renewals_allowed: 1,
                ..ok
            },
            HdxError::TimeOutOfRange,
        ),
        (
            "not-before one second before 1970",
            ConsentTerms {
                not_before: -1,
                ..ok
            },
            HdxError::TimeOutOfRange,
        ),
        (
            "not-before at i64::MAX",
            ConsentTerms {
                not_before: i64::MAX,
                ..ok
            },
            HdxError::TimeOutOfRange,
        ),
        (
            "range ending one day past MAX_DAY",
            ConsentTerms {
                from_day: 1,
                to_day: MAX_DAY + 1,
                ..ok
            },
            HdxError::InvalidDateRange,
        ),
        (
            "range without its end",
            ConsentTerms { from_day: 10, ..ok },
            HdxError::InvalidDateRange,
        ),
        (
            "range without its start",
            ConsentTerms { to_day: 10, ..ok },
            HdxError::InvalidDateRange,
        ),
        (
            "range backwards",
            ConsentTerms {
                from_day: 11,
                to_day: 10,
                ..ok
            },
            HdxError::InvalidDateRange,
        ),
        (
            "renewal period without renewals",
            ConsentTerms {
                renewal_period_secs: 60,
                ..ok
            },
            HdxError::InvalidRenewalPolicy,
        ),
        (
            "renewals without a period",
            ConsentTerms {
                renewals_allowed: 2,
                ..ok
            },
            HdxError::InvalidRenewalPolicy,
        ),
        (
            "renewal period over 10 years",
            ConsentTerms {
                renewal_period_secs: u32::MAX,
                renewals_allowed: 1,
                ..ok
            },
            HdxError::InvalidRenewalPolicy,
        ),
    ];
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    let addr = pda::consent(&pt, &p).0;
    for (name, terms, err) in cases {
        f.fails(
            &[ix::grant_consent(pt, &pt, &p, terms)],
            &patient,
            &[],
            custom(0, hdx(err)),
        );
        assert!(f.account(&addr).is_none(), "{name}: nothing created");
    }
    // The limits themselves are accepted.
    f.grant(
        &patient,
        &provider,
        ConsentTerms {
            not_before: 0,
            expires_at: now + MAX_CONSENT_DURATION_SECS,
            from_day: 1,
            to_day: MAX_DAY,
            renewal_period_secs: MAX_CONSENT_DURATION_SECS as u32,
            renewals_allowed: u16::MAX,
            ..ok
        },
    );
    f.revoke(&patient, &provider);
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
            &[ix::update_consent(pt, &pt, &p, terms)],
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
    let id = patient.pubkey();
    let today = day_of(f.now()) as u32;
    let args = |clinical_day, locator: Vec<u8>, content_hash| AddRecordArgs {
        category: Category::LabResults,
        clinical_day,
        locator,
        content_hash,
    };
    let cases = [
        (
            args(today + 2, b"x".to_vec(), [1; 32]),
            HdxError::ClinicalDayInFuture,
        ),
        (
            args(u32::MAX, b"x".to_vec(), [1; 32]),
            HdxError::ClinicalDayInFuture,
        ),
        (args(0, vec![], [1; 32]), HdxError::EmptyLocator),
        (args(0, vec![7; 129], [1; 32]), HdxError::LocatorTooLong),
        (args(0, b"x".to_vec(), [0; 32]), HdxError::EmptyContentHash),
    ];
    for (a, err) in cases {
        f.fails_with(&[ix::add_record(id, &id, 0, a)], &patient, &[], hdx(err));
    }
    assert!(f.account(&pda::record(&id, 0).0).is_none());
    assert_eq!(f.client.patient(&id).unwrap().record_count, 0);
    // An unknown category code cannot even be decoded (typed in the instruction data).
    let mut unknown = ix::add_record(id, &id, 0, args(0, b"x".to_vec(), [1; 32]));
    unknown.data[8] = Category::ALL.len() as u8;
    f.fails_with(
        &[unknown],
        &patient,
        &[],
        anchor(anchor_lang::error::ErrorCode::InstructionDidNotDeserialize),
    );
    // The limits themselves are accepted: 128 bytes, tomorrow (time zones).
    f.ok(
        &[ix::add_record(
            id,
            &id,
            0,
            args(today + 1, vec![7; 128], [1; 32]),
        )],
        &patient,
        &[],
    );
    let (addr, bump) = pda::record(&id, 0);
    assert_eq!(
        f.decode::<Record>(&addr),
        Record {
            patient: id,
            author: id,
            index: 0,
            category: Category::LabResults,
            version: health_data_exchange::state::LAYOUT_VERSION,
            bump,
            clinical_day: today + 1,
            created_at: f.now(),
            content_hash: [1; 32],
            reserved: [0; Record::RESERVED],
            locator: vec![7; 128],
        }
    );
}

#[test]
fn patient_registration_stores_exact_fields_and_opens_page_zero() {
    let f = Fixture::new();
    let patient = f.patient();
    let id = patient.pubkey();
    let (addr, bump) = pda::patient(&id);
    assert_eq!(
        f.decode::<Patient>(&addr),
        Patient {
            id,
            authority: id,
            version: LAYOUT_VERSION,
            bump,
            guardian_mode: hdx_sdk::codes::GuardianMode::None,
            record_count: 0,
            log_pages: 1,
            consent_revisions: 0,
            emergency_windows: 0,
            registered_at: f.now(),
            emergency: health_data_exchange::EmergencyPreferences::default(),
            reserved: [0; Patient::RESERVED],
        }
    );
    let page = f.client.log_page(&id, 0).unwrap();
    assert_eq!(page.patient, id);
    assert_eq!(page.head, hdx_sdk::audit::genesis_head(&id));
    assert_eq!(
        (page.count, page.first_sequence, page.page_index),
        (0, 0, 0)
    );
    f.fails_with(
        &[ix::register_patient(id)],
        &patient,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
}

#[test]
fn invariant_3_renewal_happens_only_within_the_patients_policy() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    let anyone = f.funded();
    let renew = || ix::renew_consent(&pt, &p);
    let terms = f.renewable(2);
    f.grant(&patient, &provider, terms);
    // Not due before the last tenth of the window (day 9 of 10).
    f.advance(9 * DAY - 1);
    f.fails_with(&[renew()], &anyone, &[], hdx(HdxError::RenewalNotDue));
    f.advance(1);
    f.ok(&[renew()], &anyone, &[]);
    let c: Consent = f.decode(&pda::consent(&pt, &p).0);
    assert_eq!(
        (c.terms.expires_at, c.renewals_used, c.revision),
        (terms.expires_at + 10 * DAY, 1, 2)
    );
    // The window is now 20 days long: due again from day 18 (20 - 2).
    f.fails_with(&[renew()], &anyone, &[], hdx(HdxError::RenewalNotDue));
    f.advance(9 * DAY);
    f.ok(&[renew()], &anyone, &[]);
    // Two renewals allowed, two used.
    f.advance(10 * DAY - 1);
    f.fails_with(&[renew()], &anyone, &[], hdx(HdxError::NoRenewalsLeft));
    // Past expiry it cannot be revived, not even with renewals left.
    f.update(
        &patient,
        &provider,
        ConsentTerms {
            not_before: f.now() - DAY,
            expires_at: f.now() + 1,
            ..f.renewable(2)
        },
    );
    f.advance(1);
    f.fails_with(&[renew()], &anyone, &[], hdx(HdxError::ConsentExpired));
}

#[test]
fn invariant_3_an_update_sets_a_new_policy_and_a_revocation_leaves_nothing_to_renew() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    let anyone = f.funded();
    f.grant(&patient, &provider, f.renewable(2));
    f.advance(9 * DAY);
    f.ok(&[ix::renew_consent(&pt, &p)], &anyone, &[]);
    // The patient drops the policy: nothing left to renew.
    f.update(
        &patient,
        &provider,
        ConsentTerms {
            renewal_period_secs: 0,
            renewals_allowed: 0,
            ..f.terms(
                Category::LabResults.bit(),
                MODE_READ,
                Purpose::Treatment.bit(),
                1,
            )
        },
    );
    f.advance(DAY - 60);
    f.fails_with(
        &[ix::renew_consent(&pt, &p)],
        &anyone,
        &[],
        hdx(HdxError::NoRenewalPolicy),
    );
    // A new policy starts its own count.
    f.update(&patient, &provider, f.renewable(2));
    assert_eq!(
        f.decode::<Consent>(&pda::consent(&pt, &p).0).renewals_used,
        0
    );
    f.revoke(&patient, &provider);
    f.fails_with(
        &[ix::renew_consent(&pt, &p)],
        &anyone,
        &[],
        anchor(anchor_lang::error::ErrorCode::AccountNotInitialized),
    );
}

#[test]
fn invariant_3_renewal_needs_a_verified_provider() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    f.grant(&patient, &provider, f.renewable(2));
    f.advance(9 * DAY);
    f.ok(
        &[ix::suspend_provider(f.authority.pubkey(), &p)],
        &f.authority,
        &[],
    );
    let before = f.decode::<Consent>(&pda::consent(&pt, &p).0);
    f.fails_with(
        &[ix::renew_consent(&pt, &p)],
        &provider,
        &[],
        hdx(HdxError::ProviderSuspended),
    );
    assert_eq!(f.decode::<Consent>(&pda::consent(&pt, &p).0), before);
    // Another patient's consent cannot be renewed through this patient's account.
    let other = f.patient();
    f.fails_with(
        &[ix::build(
            health_data_exchange::accounts::RenewConsent {
                patient: pda::patient(&other.pubkey()).0,
                ..ix::renew_consent_accounts(&pt, &p)
            },
            health_data_exchange::instruction::RenewConsent {},
        )],
        &provider,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );
}
