//! Class: closing accounts — a revoked consent revived in the same transaction
//! or by re-funding its address.

use super::*;
use anchor_lang::solana_program::system_instruction;
use hdx_sdk::{ix, pda};
use solana_sdk::transaction::Transaction;

#[test]
fn revoke_then_access_in_one_transaction_is_denied() {
    // closing accounts: the closed consent cannot be used later in the same transaction.
    let w = world();
    let (a, p) = (w.alice.pubkey(), w.p.pubkey());
    let addr = pda::consent(&a, &p).0;
    let refund = system_instruction::transfer(&p, &addr, 10_000_000);
    let tx = Transaction::new_signed_with_payer(
        &[
            ix::revoke_consent(a, &a, &p),
            refund,
            w.ix(w.access(&w.alice)),
        ],
        Some(&p),
        &[&w.p, &w.alice],
        w.f.ledger().latest_blockhash_for_tests(),
    );
    let receipt =
        w.f.ledger()
            .send(&tx)
            .expect("revoke, refund and a denied access all land");
    let result: health_data_exchange::AccessResult =
        anchor_lang::AnchorDeserialize::deserialize(&mut &receipt.return_data.unwrap()[..])
            .unwrap();
    assert_eq!(result.outcome, Outcome::NoConsent);
    assert!(result.locator.is_empty());
    let acc = w.f.account(&addr).unwrap();
    assert_eq!(
        (acc.owner, acc.data.len()),
        (anchor_lang::system_program::ID, 0),
        "refunded, not revived"
    );
}

#[test]
fn a_refunded_consent_address_stays_revoked_and_can_be_granted_afresh() {
    // closing accounts: lamports sent to a closed consent do not bring it back.
    let w = world();
    let (a, p) = (w.alice.pubkey(), w.p.pubkey());
    w.f.ok(&[ix::revoke_consent(a, &a, &p)], &w.alice, &[]);
    w.f.fund(&pda::consent(&a, &p).0);
    w.f.expect_denied(&w.p, &w.alice, 0, Purpose::Treatment, Outcome::NoConsent);
    w.f.grant_read(&w.alice, &w.p, Category::LabResults, Purpose::Treatment);
    w.f.access(&w.p, &w.alice, 0, Purpose::Treatment).unwrap();
}
