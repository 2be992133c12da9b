//! Status changes between transactions: suspension mid-run, verification
//! revoked between two transactions of the same slot, a key rotated between
//! two accesses of the same slot.

use super::*;
use hdx_sdk::ix;
use health_data_exchange::error::HdxError;
use solana_sdk::transaction::Transaction;

#[test]
fn a_provider_suspended_mid_run_is_refused_from_the_next_transaction() {
    let w = world();
    for _ in 0..3 {
        w.f.access(&w.p, &w.alice, 0, Purpose::Treatment).unwrap();
    }
    w.f.ok(
        &[ix::suspend_provider(w.f.authority.pubkey(), &w.p.pubkey())],
        &w.f.authority,
        &[],
    );
    match w.f.access(&w.p, &w.alice, 0, Purpose::Treatment) {
        Err(e) => assert_eq!(e.program_code(), Some(hdx(HdxError::ProviderSuspended))),
        Ok(g) => panic!("suspended provider got {g:?}"),
    }
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 3);
    w.f.ok(
        &[ix::reinstate_provider(
            w.f.authority.pubkey(),
            &w.p.pubkey(),
        )],
        &w.f.authority,
        &[],
    );
    w.f.access(&w.p, &w.alice, 0, Purpose::Treatment).unwrap();
}

/// Two distinct access transactions (the purpose tells them apart) against one blockhash.
fn access_tx(w: &World, purpose: Purpose, blockhash: solana_sdk::hash::Hash) -> Transaction {
    Transaction::new_signed_with_payer(
        &[w.f.access_ix(w.access(&w.alice), purpose)],
        Some(&w.p.pubkey()),
        &[&w.p],
        blockhash,
    )
}

#[test]
fn suspension_between_two_transactions_of_the_same_slot_takes_effect() {
    // Three transactions signed against one blockhash, processed in one slot.
    let w = world();
    let blockhash = w.f.ledger().latest_blockhash_for_tests();
    let suspend = Transaction::new_signed_with_payer(
        &[ix::suspend_provider(w.f.authority.pubkey(), &w.p.pubkey())],
        Some(&w.f.authority.pubkey()),
        &[&w.f.authority],
        blockhash,
    );
    let ledger = w.f.ledger();
    ledger
        .send(&access_tx(&w, Purpose::Treatment, blockhash))
        .expect("first access lands");
    ledger.send(&suspend).expect("suspension lands");
    match ledger.send(&access_tx(&w, Purpose::Payment, blockhash)) {
        Err(hdx_sdk::transport::SendError::Failed { error, .. }) => {
            assert_eq!(error, custom(0, hdx(HdxError::ProviderSuspended)))
        }
        other => panic!("expected ProviderSuspended, got {other:?}"),
    }
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 1);
}

#[test]
fn a_key_rotated_between_two_transactions_of_the_same_slot_is_refused_at_once() {
    let w = world();
    let blockhash = w.f.ledger().latest_blockhash_for_tests();
    let new = w.f.funded();
    let p = w.p.pubkey();
    let rotate = Transaction::new_signed_with_payer(
        &[ix::rotate_provider_key(p, new.pubkey(), &p)],
        Some(&p),
        &[&w.p, &new],
        blockhash,
    );
    let ledger = w.f.ledger();
    ledger
        .send(&access_tx(&w, Purpose::Treatment, blockhash))
        .unwrap();
    ledger.send(&rotate).unwrap();
    match ledger.send(&access_tx(&w, Purpose::Payment, blockhash)) {
        Err(hdx_sdk::transport::SendError::Failed { error, .. }) => {
            assert_eq!(error, custom(0, hdx(HdxError::NotProviderKey)))
        }
        other => panic!("expected NotProviderKey, got {other:?}"),
    }
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 1);
}

#[test]
fn a_second_proposal_replaces_the_first_and_the_first_cannot_accept() {
    let f = Fixture::new();
    let first = f.funded();
    let second = f.funded();
    let a = f.authority.pubkey();
    f.ok(
        &[ix::propose_registry_authority(a, first.pubkey())],
        &f.authority,
        &[],
    );
    f.ok(
        &[ix::propose_registry_authority(a, second.pubkey())],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[ix::accept_registry_authority(first.pubkey())],
        &first,
        &[],
        hdx(HdxError::NotPendingAuthority),
    );
    f.ok(
        &[ix::accept_registry_authority(second.pubkey())],
        &second,
        &[],
    );
}
