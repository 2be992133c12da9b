//! Identity is not the signing key: a patient's authority and a provider's
//! key rotate (the new key co-signs); ids, addresses, consents and the log
//! stay; a rotated-out key fails with a named error on every instruction it
//! used to sign, from the very next transaction.

use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::{MODE_READ, MODE_WRITE};
use hdx_sdk::events::{parse_logs, HdxEvent};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::events::{PatientAuthorityRotated, ProviderKeyRotated};
use health_data_exchange::state::{Patient, Provider};
use health_data_exchange::AddRecordArgs;

fn record_args() -> AddRecordArgs {
    AddRecordArgs {
        category: Category::LabResults,
        clinical_day: 0,
        locator: b"vault://x".to_vec(),
        content_hash: [4; 32],
    }
}

#[test]
fn invariant_3_a_rotated_out_patient_key_is_refused_on_every_instruction_it_signed() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    let id = patient.pubkey();
    let p = provider.pubkey();
    let other = f.verified_provider();
    let before = f.decode::<Patient>(&pda::patient(&id).0);
    let new = f.funded();
    let r = f.ok(
        &[ix::rotate_patient_authority(id, new.pubkey(), &id)],
        &patient,
        &[&new],
    );
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&id).0),
        Patient {
            authority: new.pubkey(),
            ..before
        },
        "only the authority changed"
    );
    match &parse_logs(&r.logs)[..] {
        [HdxEvent::PatientAuthorityRotated(e)] => assert_eq!(
            e,
            &PatientAuthorityRotated {
                patient: id,
                previous: id,
                authority: new.pubkey(),
                actor: health_data_exchange::codes::Actor::Patient,
                proposal: None,
                at: f.now(),
            }
        ),
        other => panic!("{other:?}"),
    }

    // The very next transaction: the old key can do nothing it used to do.
    let terms = f.terms(1, MODE_READ, 1, 30);
    let refused = hdx(HdxError::NotPatientAuthority);
    let co = f.funded();
    for (i, cosigners) in [
        (ix::add_record(id, &id, 1, record_args()), vec![]),
        (ix::grant_consent(id, &id, &other.pubkey(), terms), vec![]),
        (ix::update_consent(id, &id, &p, terms), vec![]),
        (ix::revoke_consent(id, &id, &p), vec![]),
        // A fresh co-signer signs; only the authority is wrong.
        (
            ix::rotate_patient_authority(id, co.pubkey(), &id),
            vec![&co],
        ),
    ] {
        f.fails_with(&[i], &patient, &cosigners, refused);
    }
    // Access by the provider still works: the consent and the log are the patient's, by id.
    f.access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();

    // The new key does everything the old one did.
    let n = new.pubkey();
    f.ok(&[ix::add_record(n, &id, 1, record_args())], &new, &[]);
    f.ok(
        &[ix::grant_consent(n, &id, &other.pubkey(), terms)],
        &new,
        &[],
    );
    f.ok(&[ix::update_consent(n, &id, &p, terms)], &new, &[]);
    f.ok(&[ix::revoke_consent(n, &id, &p)], &new, &[]);
    let rec = f.client.record(&id, 1).unwrap();
    assert_eq!(rec.author, id, "a record is authored by the patient's id");
    assert_eq!(f.client.patients_by_authority(&n).unwrap()[0].id, id);
    assert!(f.client.patients_by_authority(&id).unwrap().is_empty());
}

#[test]
fn invariant_1_a_rotated_out_provider_key_is_refused_on_every_instruction_it_signed() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(&patient, &provider, MODE_READ | MODE_WRITE);
    let id = provider.pubkey();
    let before = f.decode::<Provider>(&pda::provider(&id).0);
    let new = f.funded();
    let r = f.ok(
        &[ix::rotate_provider_key(id, new.pubkey(), &id)],
        &provider,
        &[&new],
    );
    assert_eq!(
        f.decode::<Provider>(&pda::provider(&id).0),
        Provider {
            signer: new.pubkey(),
            ..before
        },
        "only the signing key changed: id, number, status stay"
    );
    match &parse_logs(&r.logs)[..] {
        [HdxEvent::ProviderKeyRotated(e)] => assert_eq!(
            e,
            &ProviderKeyRotated {
                provider: id,
                number: before.number,
                previous: id,
                key: new.pubkey(),
                at: f.now(),
            }
        ),
        other => panic!("{other:?}"),
    }
    let refused = hdx(HdxError::NotProviderKey);
    f.fails_with(
        &[f.access_ix(
            f.access_accounts(&provider, &patient, rec),
            Purpose::Treatment,
        )],
        &provider,
        &[],
        refused,
    );
    f.fails_with(
        &[f.write_ix(f.write_accounts(&provider, &patient), f.write_args())],
        &provider,
        &[],
        refused,
    );
    let co = f.funded();
    f.fails_with(
        &[ix::rotate_provider_key(id, co.pubkey(), &id)],
        &provider,
        &[&co],
        refused,
    );
    // Its id cannot be registered again either.
    f.fails_with(
        &[ix::register_provider(
            id,
            health_data_exchange::codes::ProviderKind::Other,
            [1; 32],
        )],
        &provider,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    assert_eq!(
        f.log_len(&patient.pubkey()),
        0,
        "nothing logged for the old key"
    );

    // The new key reads and writes under the same consent (named by id).
    f.client
        .access_record(&new, &id, &patient.pubkey(), rec, Purpose::Treatment)
        .unwrap();
    let index = f
        .client
        .write_record(&new, &id, &patient.pubkey(), f.write_args())
        .unwrap();
    assert_eq!(
        f.client.record(&patient.pubkey(), index).unwrap().author,
        id
    );
    assert_eq!(f.client.provider_by_key(&new.pubkey()).unwrap().id, id);
    assert!(
        f.client.provider_by_key(&id).is_err(),
        "the old key names no provider"
    );
}

#[test]
fn a_rotation_needs_the_new_keys_signature_and_a_new_key() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let (p, t) = (provider.pubkey(), patient.pubkey());
    let victim_key = Pubkey::new_unique();
    // Without the new key's signature: refused (nobody rotates to a key they do not hold).
    f.fails_with(
        &[set_flags(
            ix::rotate_provider_key(p, victim_key, &p),
            &victim_key,
            false,
            false,
        )],
        &provider,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    f.fails_with(
        &[set_flags(
            ix::rotate_patient_authority(t, victim_key, &t),
            &victim_key,
            false,
            false,
        )],
        &patient,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    // Rotating to the current key: named.
    f.fails_with(
        &[ix::rotate_provider_key(p, p, &p)],
        &provider,
        &[],
        hdx(HdxError::KeyUnchanged),
    );
    f.fails_with(
        &[ix::rotate_patient_authority(t, t, &t)],
        &patient,
        &[],
        hdx(HdxError::KeyUnchanged),
    );
    assert_eq!(f.decode::<Provider>(&pda::provider(&p).0).signer, p);
    assert_eq!(f.decode::<Patient>(&pda::patient(&t).0).authority, t);
}

#[test]
fn a_suspended_provider_can_still_replace_a_leaked_key_and_stays_suspended() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let id = provider.pubkey();
    f.ok(
        &[ix::suspend_provider(f.authority.pubkey(), &id)],
        &f.authority,
        &[],
    );
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    let new = f.rotate_provider(&id, &provider);
    let p = f.decode::<Provider>(&pda::provider(&id).0);
    assert_eq!(
        (p.signer, p.status),
        (new.pubkey(), hdx_sdk::codes::ProviderStatus::Suspended)
    );
}

#[test]
fn keys_rotate_more_than_once_and_only_the_latest_signs() {
    let f = Fixture::new();
    let (provider, patient, rec) = f.lab_consent();
    let id = provider.pubkey();
    let second = f.rotate_provider(&id, &provider);
    let third = f.rotate_provider(&id, &second);
    for stale in [&provider, &second] {
        match f
            .client
            .access_record(stale, &id, &patient.pubkey(), rec, Purpose::Treatment)
        {
            Err(e) => assert_eq!(e.program_code(), Some(hdx(HdxError::NotProviderKey))),
            Ok(g) => panic!("a stale key read {g:?}"),
        }
    }
    f.client
        .access_record(&third, &id, &patient.pubkey(), rec, Purpose::Treatment)
        .unwrap();
    let pid = patient.pubkey();
    let a2 = f.rotate_patient(&pid, &patient);
    let a3 = f.rotate_patient(&pid, &a2);
    f.fails_with(
        &[ix::revoke_consent(a2.pubkey(), &pid, &id)],
        &a2,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.ok(&[ix::revoke_consent(a3.pubkey(), &pid, &id)], &a3, &[]);
}
