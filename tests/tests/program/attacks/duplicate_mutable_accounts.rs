//! Class: duplicate mutable accounts — one account passed in two writable slots.

use super::*;
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts::{OpenLogPage, WriteRecord};
use health_data_exchange::error::HdxError;

#[test]
fn the_log_page_as_the_new_record_is_refused() {
    // duplicate mutable accounts: write_record's `record` slot given the log page.
    let w = world();
    let page = pda::log_page(&w.alice.pubkey(), 0).0;
    let before = w.f.account(&page).unwrap();
    let i = w.f.write_ix(
        WriteRecord {
            record: page,
            ..w.f.write_accounts(&w.p, &w.alice)
        },
        w.f.write_args(),
    );
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::RecordAddressMismatch));
    assert_eq!(w.f.account(&page).unwrap(), before);
}

#[test]
fn the_patient_as_the_new_record_is_refused() {
    // duplicate mutable accounts: write_record's `record` slot given the (mutable) patient account.
    let w = world();
    let i = w.f.write_ix(
        WriteRecord {
            record: pda::patient(&w.alice.pubkey()).0,
            ..w.f.write_accounts(&w.p, &w.alice)
        },
        w.f.write_args(),
    );
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::RecordAddressMismatch));
    assert_eq!(
        w.f.client.patient(&w.alice.pubkey()).unwrap().record_count,
        1
    );
}

#[test]
fn the_consent_as_the_log_page_is_refused() {
    // duplicate mutable accounts: access_record's two writable slots given the same consent.
    let w = world();
    let consent = pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0;
    w.f.fails_with(
        &[w.ix(AccessRecord {
            log_page: consent,
            ..w.access(&w.alice)
        })],
        &w.p,
        &[],
        anchor(anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch),
    );
}

#[test]
fn the_current_page_as_the_next_page_is_refused() {
    // duplicate mutable accounts: open_log_page with the same page in both slots.
    let w = world();
    // Fill page 0 so that only the duplicated slot is wrong.
    for _ in 0..health_data_exchange::state::LOG_PAGE_CAPACITY {
        w.f.ok(&[w.ix(w.access(&w.alice))], &w.p, &[]);
    }
    let a = w.alice.pubkey();
    let i = ix::build(
        OpenLogPage {
            next_page: pda::log_page(&a, 0).0,
            ..ix::open_log_page_accounts(w.p.pubkey(), &a, 0)
        },
        health_data_exchange::instruction::OpenLogPage {},
    );
    w.f.fails_with(
        &[i],
        &w.p,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );
}
