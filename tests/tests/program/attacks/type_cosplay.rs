//! Class: type cosplay — an account of one of our types where another is expected.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::{ix, pda};

#[test]
fn our_own_accounts_in_the_wrong_slot_are_refused() {
    // type cosplay: each slot of access_record given another of our account types.
    let w = world();
    let (a, p) = (w.alice.pubkey(), w.p.pubkey());
    let base = w.access(&w.alice);
    for accounts in [
        AccessRecord {
            provider: pda::patient(&a).0, // Patient as Provider
            ..base
        },
        AccessRecord {
            registry: pda::provider(&p).0, // Provider as Registry
            ..base
        },
        AccessRecord {
            record: pda::consent(&a, &p).0, // Consent as Record
            ..base
        },
        AccessRecord {
            consent: pda::record(&a, 0).0, // Record as Consent
            ..base
        },
        AccessRecord {
            log_page: pda::patient(&a).0, // Patient as LogPage
            ..base
        },
    ] {
        w.f.fails_with(
            &[w.ix(accounts)],
            &w.p,
            &[],
            anchor(Anchor::AccountDiscriminatorMismatch),
        );
    }
    assert_eq!(w.f.log_len(&a), 0);
}

#[test]
fn a_patient_account_cannot_pose_as_a_provider_for_grants() {
    // type cosplay: grant_consent's provider slot given a Patient account.
    let w = world();
    let b = w.bob.pubkey();
    let i = ix::build(
        health_data_exchange::accounts::GrantConsent {
            provider: pda::patient(&w.alice.pubkey()).0,
            ..ix::grant_consent_accounts(b, &b, &w.p.pubkey())
        },
        health_data_exchange::instruction::GrantConsent {
            terms: w.f.terms(1, 1, 1, 30),
        },
    );
    w.f.fails_with(
        &[i],
        &w.bob,
        &[],
        anchor(Anchor::AccountDiscriminatorMismatch),
    );
}
