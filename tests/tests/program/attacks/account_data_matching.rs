//! Class: account data matching — a real account of the right type that
//! belongs to another patient or provider.

use super::*;
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts::{UpdateConsent, WriteRecord};
use health_data_exchange::error::HdxError;

#[test]
fn another_patients_log_page_is_refused() {
    // account data matching: Alice's record and consent, Bob's log page.
    let w = world();
    w.f.fails_with(
        &[w.ix(AccessRecord {
            log_page: pda::log_page(&w.bob.pubkey(), 0).0,
            ..w.access(&w.alice)
        })],
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
    w.f.fails_with(
        &[w.ix(AccessRecord {
            consent: pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0,
            ..w.access(&w.bob)
        })],
        &w.p,
        &[],
        hdx(HdxError::ConsentMismatch),
    );
}

#[test]
fn write_with_another_patients_consent_is_refused() {
    // account data matching: write to Bob using Alice's write consent.
    let w = world();
    let i = w.f.write_ix(
        WriteRecord {
            consent: pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0,
            ..w.f.write_accounts(&w.p, &w.bob)
        },
        w.f.write_args(),
    );
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::ConsentMismatch));
    assert!(w.f.account(&pda::record(&w.bob.pubkey(), 1).0).is_none());
}

#[test]
fn update_of_another_patients_consent_is_refused() {
    // account data matching: Bob signs an update of Alice's consent through his own patient account.
    let w = world();
    let b = w.bob.pubkey();
    let i = ix::build(
        UpdateConsent {
            consent: pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0,
            ..ix::update_consent_accounts(b, &b, &w.p.pubkey())
        },
        health_data_exchange::instruction::UpdateConsent {
            terms: w.f.terms(1, 1, 1, 400),
        },
    );
    w.f.fails_with(&[i], &w.bob, &[], hdx(HdxError::ConsentMismatch));
}

#[test]
fn a_verified_providers_account_under_another_signer_is_refused() {
    // account data matching: Mallory signs, presenting p's provider account and p's consent.
    let w = world();
    let mallory = w.f.funded();
    w.f.fails_with(
        &[w.ix(AccessRecord {
            signer: mallory.pubkey(),
            ..w.access(&w.alice)
        })],
        &mallory,
        &[],
        hdx(HdxError::NotProviderKey),
    );
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
}
