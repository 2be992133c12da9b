//! Class: owner checks — an account with the right bytes owned by another program.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::pda;
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
    let other = Pubkey::new_unique();
    let a = w.alice.pubkey();
    let base = w.access(&w.alice);
    for accounts in [
        AccessRecord {
            provider: plant_copy(&w, &base.provider, other),
            ..base
        },
        AccessRecord {
            registry: plant_copy(&w, &base.registry, other),
            ..base
        },
        AccessRecord {
            record: plant_copy(&w, &base.record, other),
            ..base
        },
        AccessRecord {
            log_page: plant_copy(&w, &base.log_page, other),
            ..base
        },
    ] {
        w.f.fails_with(
            &[w.ix(accounts)],
            &w.p,
            &[],
            anchor(Anchor::AccountOwnedByWrongProgram),
        );
    }
    assert_eq!(w.f.log_len(&a), 0);
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
    w.f.fails_with(
        &[w.ix(AccessRecord {
            consent: fake,
            ..w.access(&w.bob)
        })],
        &w.p,
        &[],
        hdx(HdxError::ConsentAddressMismatch),
    );
    assert_eq!(w.f.log_len(&w.bob.pubkey()), 0);
}
