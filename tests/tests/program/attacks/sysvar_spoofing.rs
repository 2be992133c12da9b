//! Class: sysvar spoofing — a fake Clock. The program takes no Clock account:
//! it reads the Clock through the `sol_get_clock_sysvar` syscall, so there is
//! nothing to substitute. A forged clock-shaped account passed along is ignored.

use super::*;
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::instruction::AccountMeta;

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
    let mut i = w.ix(w.access(&w.alice));
    i.accounts.push(AccountMeta::new_readonly(forged, false));
    let receipt = w.f.ok(&[i], &w.p, &[]);
    let result: health_data_exchange::AccessResult =
        anchor_lang::AnchorDeserialize::deserialize(&mut &receipt.return_data.unwrap()[..])
            .unwrap();
    assert_eq!(result.outcome, Outcome::Expired);
    assert_eq!(
        i64::from(w.f.last_entry(&w.alice.pubkey()).entry.time),
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
    let m = mallory.pubkey();
    let i = hdx_sdk::ix::build(
        health_data_exchange::accounts::InitializeRegistry {
            program_data: fake,
            ..hdx_sdk::ix::initialize_registry_accounts(m, m)
        },
        health_data_exchange::instruction::InitializeRegistry {
            args: health_data_exchange::InitializeRegistryArgs { authority: m },
        },
    );
    f.fails_with(
        &[i],
        &mallory,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );
    assert!(f.account(&hdx_sdk::pda::registry().0).is_none());
}
