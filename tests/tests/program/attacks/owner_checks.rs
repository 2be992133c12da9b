//! Class: owner checks — an account with the right bytes owned by another program.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx::pda;
use health_data_exchange::error::HdxError;
use solana_sdk::account::Account;

fn plant_copy(w: &World, of: &Pubkey, owner: Pubkey) -> Pubkey {
    let real = w.f.account(of).unwrap();
    let fake = Pubkey::new_unique();
    w.f.ledger().set_account(&fake, Account { owner, ..real });
    fake
}

#[test]
fn forged_provider_record_registry_and_log_are_refused() {
    // owner checks: byte-for-byte copies owned by another program.
    let w = world();
    let other_program = Pubkey::new_unique();
    for (pos, real) in [
        (1, pda::provider(&w.p.pubkey()).0),
        (2, pda::registry().0),
        (3, pda::record(&w.alice.pubkey(), 0).0),
        (5, pda::log_page(&w.alice.pubkey(), 0).0),
    ] {
        let fake = plant_copy(&w, &real, other_program);
        let mut metas = access_metas(&w.p.pubkey(), &w.alice.pubkey());
        metas[pos].pubkey = fake;
        w.f.fails_with(
            &[raw(metas, access_data(0))],
            &w.p,
            &[],
            anchor(Anchor::AccountOwnedByWrongProgram),
        );
    }
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
}

#[test]
fn forged_consent_owned_by_another_program_is_refused() {
    // owner checks: a copy of a broad consent, owned elsewhere, presented for Bob.
    let w = world();
    let fake = plant_copy(
        &w,
        &pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0,
        Pubkey::new_unique(),
    );
    let mut metas = access_metas(&w.p.pubkey(), &w.bob.pubkey());
    metas[4].pubkey = fake;
    w.f.fails_with(
        &[raw(metas, access_data(0))],
        &w.p,
        &[],
        hdx(HdxError::ConsentAddressMismatch),
    );
    assert_eq!(w.f.log_len(&w.bob.pubkey()), 0);
}
