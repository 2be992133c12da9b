//! Class: sysvar spoofing — a fake Clock. The program takes no Clock account:
//! it reads the Clock through the `sol_get_clock_sysvar` syscall, so there is
//! nothing to substitute. A forged clock-shaped account passed along is ignored.

use super::*;
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;

#[test]
fn a_forged_clock_account_does_not_move_the_gate() {
    // sysvar spoofing: a clock account dated before expiry, owned like the real one.
    let w = world();
    w.f.advance(31 * DAY); // Alice's consent (30 days) is now expired.
    let forged = Pubkey::new_unique();
    let clock = Clock {
        unix_timestamp: w.f.now() - 40 * DAY,
        ..Clock::default()
    };
    w.f.ledger().set_account(
        &forged,
        Account {
            lamports: 1_000_000,
            data: bincode::serialize(&clock).unwrap(),
            owner: solana_sdk::sysvar::ID,
            executable: false,
            rent_epoch: 0,
        },
    );
    let mut metas = access_metas(&w.p.pubkey(), &w.alice.pubkey());
    metas.push(r(forged));
    let receipt = w.f.ok(&[raw(metas, access_data(0))], &w.p, &[]);
    let result: health_data_exchange::AccessResult =
        anchor_lang::AnchorDeserialize::deserialize(&mut &receipt.return_data.unwrap()[..])
            .unwrap();
    assert_eq!(result.outcome, Outcome::Expired.code());
    assert_eq!(
        w.f.last_entry(&w.alice.pubkey()).time,
        w.f.now(),
        "the log uses the real clock"
    );
}

#[test]
fn a_forged_program_data_account_cannot_initialise_the_registry() {
    // sysvar spoofing (its cousin): a fake ProgramData naming the attacker, at another address.
    let f = Fixture::bare();
    let mallory = f.funded();
    let fake = Pubkey::new_unique();
    let state =
        anchor_lang::solana_program::bpf_loader_upgradeable::UpgradeableLoaderState::ProgramData {
            slot: 0,
            upgrade_authority_address: Some(mallory.pubkey()),
        };
    f.ledger().set_account(
        &fake,
        Account {
            lamports: 1_000_000_000,
            data: bincode::serialize(&state).unwrap(),
            owner: anchor_lang::solana_program::bpf_loader_upgradeable::ID,
            executable: false,
            rent_epoch: 0,
        },
    );
    let mut i = hdx::ix::initialize_registry(
        mallory.pubkey(),
        mallory.pubkey(),
        health_data_exchange::instructions::InitializeRegistryArgs {
            authority: mallory.pubkey(),
            emergency_max_duration_secs: 0,
            emergency_cooldown_secs: 0,
        },
    );
    i.accounts[2].pubkey = fake;
    f.fails_with(
        &[i],
        &mallory,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );
    assert!(f.account(&hdx::pda::registry().0).is_none());
}
