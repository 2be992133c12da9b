//! Class: missing signer — an instruction whose authorising key is passed without its signature.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx::pda;
use health_data_exchange::instruction as hix;

#[test]
fn revoke_without_the_patients_signature_is_refused() {
    // missing signer: the provider pays and lists the patient as a non-signer.
    let w = world();
    let ix = raw(
        vec![
            super::w(w.alice.pubkey()),
            super::w(pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0),
        ],
        hix::RevokeConsent {},
    );
    w.f.fails_with(&[ix], &w.p, &[], anchor(Anchor::AccountNotSigner));
    assert!(w
        .f
        .account(&pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0)
        .is_some());
}

#[test]
fn verify_without_the_authoritys_signature_is_refused() {
    // missing signer: the registry authority named but not signing.
    let f = Fixture::new();
    let pending = f.provider(health_data_exchange::codes::ProviderKind::Clinic, false);
    let ix = raw(
        vec![
            r(f.authority.pubkey()),
            r(pda::registry().0),
            super::w(pda::provider(&pending.pubkey()).0),
        ],
        hix::VerifyProvider {},
    );
    f.fails_with(&[ix], &pending, &[], anchor(Anchor::AccountNotSigner));
}

#[test]
fn access_without_the_providers_signature_is_refused() {
    // missing signer: someone else pays and names the verified provider as caller.
    let w = world();
    let mallory = w.f.funded();
    let mut metas = access_metas(&w.p.pubkey(), &w.alice.pubkey());
    metas[0].is_signer = false;
    w.f.fails_with(
        &[raw(metas, access_data(0))],
        &mallory,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
}

#[test]
fn grant_without_the_patients_signature_is_refused() {
    // missing signer: a provider tries to create its own consent for a patient.
    let f = Fixture::new();
    let p = f.verified_provider();
    let patient = f.patient();
    let terms = f.terms(1, 1, 1, 30);
    let ix = raw(
        vec![
            super::w(patient.pubkey()),
            r(pda::patient(&patient.pubkey()).0),
            r(pda::provider(&p.pubkey()).0),
            super::w(pda::consent(&patient.pubkey(), &p.pubkey()).0),
            r(anchor_lang::system_program::ID),
        ],
        hix::GrantConsent { terms },
    );
    f.fails_with(&[ix], &p, &[], anchor(Anchor::AccountNotSigner));
}

#[test]
fn a_read_only_payer_is_refused_by_name_before_any_cpi() {
    // missing signer (its privilege cousin): the rent payer signs but is passed read-only.
    // Anchor's `mut` constraint refuses it before the creation CPI (found by the fuzzer,
    // when `init` ran the CPI first and the native harness panicked).
    let f = Fixture::new();
    let patient = f.patient();
    let payer = f.funded();
    let mut i = hdx::ix::add_record(patient.pubkey(), 0, 0, b"x".to_vec(), [1; 32]);
    i.accounts[0].is_writable = false;
    f.fails_with(
        &[i],
        &payer,
        &[&patient],
        anchor(anchor_lang::error::ErrorCode::ConstraintMut),
    );
    assert!(f.account(&pda::record(&patient.pubkey(), 0).0).is_none());
}
