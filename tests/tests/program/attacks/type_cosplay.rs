//! Class: type cosplay — an account of one of our types where another is expected.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx::pda;
use health_data_exchange::error::HdxError;

#[test]
fn our_own_accounts_in_the_wrong_slot_are_refused() {
    // type cosplay: each slot of access_record given another of our account types.
    let w = world();
    let (a, p) = (w.alice.pubkey(), w.p.pubkey());
    for (pos, key) in [
        (1, pda::patient(&a).0),     // Patient as Provider
        (2, pda::provider(&p).0),    // Provider as Registry
        (3, pda::consent(&a, &p).0), // Consent as Record
        (4, pda::record(&a, 0).0),   // Record as Consent
        (5, pda::patient(&a).0),     // Patient as LogPage
    ] {
        let mut metas = access_metas(&p, &a);
        metas[pos].pubkey = key;
        w.f.fails_with(
            &[raw(metas, access_data(0))],
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
    let mut i = hdx::ix::grant_consent(w.bob.pubkey(), &w.p.pubkey(), w.f.terms(1, 1, 1, 30));
    i.accounts[2].pubkey = pda::patient(&w.alice.pubkey()).0;
    w.f.fails_with(
        &[i],
        &w.bob,
        &[],
        anchor(Anchor::AccountDiscriminatorMismatch),
    );
    let _ = HdxError::ConsentMismatch;
}
