//! Class: account data matching — a real account of the right type that
//! belongs to another patient or provider.

use super::*;
use hdx::{ix, pda};
use health_data_exchange::error::HdxError;
use health_data_exchange::instructions::WriteRecordArgs;

#[test]
fn another_patients_log_page_is_refused() {
    // account data matching: Alice's record and consent, Bob's log page.
    let w = world();
    let mut metas = access_metas(&w.p.pubkey(), &w.alice.pubkey());
    metas[5].pubkey = pda::log_page(&w.bob.pubkey(), 0).0;
    w.f.fails_with(
        &[raw(metas, access_data(0))],
        &w.p,
        &[],
        hdx(HdxError::LogPagePatientMismatch),
    );
    assert_eq!(w.f.log_len(&w.bob.pubkey()), 0);
}

#[test]
fn another_patients_consent_is_refused() {
    // account data matching: Bob's record and log, Alice's consent (which names p).
    let w = world();
    let mut metas = access_metas(&w.p.pubkey(), &w.bob.pubkey());
    metas[4].pubkey = pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0;
    w.f.fails_with(
        &[raw(metas, access_data(0))],
        &w.p,
        &[],
        hdx(HdxError::ConsentMismatch),
    );
}

#[test]
fn write_with_another_patients_consent_is_refused() {
    // account data matching: write to Bob using Alice's write consent.
    let w = world();
    let mut i = ix::write_record(
        w.p.pubkey(),
        &w.bob.pubkey(),
        1,
        0,
        WriteRecordArgs {
            category: 0,
            locator: b"x".to_vec(),
            content_hash: [1; 32],
            purpose: 0,
        },
    );
    i.accounts[4].pubkey = pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0;
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::ConsentMismatch));
    assert!(w.f.account(&pda::record(&w.bob.pubkey(), 1).0).is_none());
}

#[test]
fn update_of_another_patients_consent_is_refused() {
    // account data matching: Bob signs an update of Alice's consent.
    let w = world();
    let mut i = ix::update_consent(w.bob.pubkey(), &w.p.pubkey(), w.f.terms(1, 1, 1, 400));
    i.accounts[1].pubkey = pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0;
    w.f.fails_with(&[i], &w.bob, &[], hdx(HdxError::ConsentMismatch));
}

#[test]
fn a_verified_providers_account_under_another_signer_is_refused() {
    // account data matching: Mallory signs, presenting p's provider account and p's consent.
    let w = world();
    let mallory = w.f.funded();
    let mut metas = access_metas(&w.p.pubkey(), &w.alice.pubkey());
    metas[0].pubkey = mallory.pubkey();
    w.f.fails_with(
        &[raw(metas, access_data(0))],
        &mallory,
        &[],
        hdx(HdxError::ProviderMismatch),
    );
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
}
