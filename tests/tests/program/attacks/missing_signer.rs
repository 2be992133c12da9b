//! Class: missing signer — an instruction whose authorising key is passed without its signature.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::{ix, pda};

#[test]
fn revoke_without_the_patients_signature_is_refused() {
    // missing signer: the provider pays and lists the patient's authority as a non-signer.
    let w = world();
    let a = w.alice.pubkey();
    let i = set_flags(ix::revoke_consent(a, &a, &w.p.pubkey()), &a, false, true);
    w.f.fails_with(&[i], &w.p, &[], anchor(Anchor::AccountNotSigner));
    assert!(w.f.account(&pda::consent(&a, &w.p.pubkey()).0).is_some());
}

#[test]
fn verify_without_the_authoritys_signature_is_refused() {
    // missing signer: the registry authority named but not signing.
    let f = Fixture::new();
    let pending = f.provider(health_data_exchange::codes::ProviderKind::Clinic, false);
    let auth = f.authority.pubkey();
    let i = set_flags(
        ix::verify_provider(auth, &pending.pubkey()),
        &auth,
        false,
        false,
    );
    f.fails_with(&[i], &pending, &[], anchor(Anchor::AccountNotSigner));
}

#[test]
fn access_without_the_providers_signature_is_refused() {
    // missing signer: someone else pays and names the verified provider's key as caller.
    let w = world();
    let mallory = w.f.funded();
    let i = set_flags(w.ix(w.access(&w.alice)), &w.p.pubkey(), false, false);
    w.f.fails_with(&[i], &mallory, &[], anchor(Anchor::AccountNotSigner));
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
}

#[test]
fn grant_without_the_patients_signature_is_refused() {
    // missing signer: a provider tries to create its own consent for a patient.
    let f = Fixture::new();
    let p = f.verified_provider();
    let patient = f.patient();
    let t = patient.pubkey();
    let i = set_flags(
        ix::grant_consent(t, &t, &p.pubkey(), f.terms(1, 1, 1, 30)),
        &t,
        false,
        true,
    );
    f.fails_with(&[i], &p, &[], anchor(Anchor::AccountNotSigner));
}

#[test]
fn a_read_only_payer_is_refused_by_name_before_any_cpi() {
    // missing signer (its privilege cousin): the rent payer signs but is passed read-only.
    // Anchor's `mut` constraint refuses it before the creation CPI (found by the fuzzer,
    // when the CPI ran first and the native harness panicked).
    let f = Fixture::new();
    let patient = f.patient();
    let payer = f.funded();
    let t = patient.pubkey();
    let i = set_flags(
        ix::add_record(
            t,
            &t,
            0,
            health_data_exchange::AddRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: b"x".to_vec(),
                content_hash: [1; 32],
            },
        ),
        &t,
        true,
        false,
    );
    f.fails_with(&[i], &payer, &[&patient], anchor(Anchor::ConstraintMut));
    assert!(f.account(&pda::record(&t, 0).0).is_none());
}
