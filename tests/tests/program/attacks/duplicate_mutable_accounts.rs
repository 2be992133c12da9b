//! Class: duplicate mutable accounts — one account passed in two writable slots.

use super::*;
use hdx::{ix, pda};
use health_data_exchange::error::HdxError;
use health_data_exchange::instructions::WriteRecordArgs;

fn args() -> WriteRecordArgs {
    WriteRecordArgs {
        category: 0,
        locator: b"x".to_vec(),
        content_hash: [1; 32],
        purpose: 0,
    }
}

#[test]
fn the_log_page_as_the_new_record_is_refused() {
    // duplicate mutable accounts: write_record's `record` slot given the log page.
    let w = world();
    let page = pda::log_page(&w.alice.pubkey(), 0).0;
    let before = w.f.account(&page).unwrap();
    let mut i = ix::write_record(w.p.pubkey(), &w.alice.pubkey(), 1, 0, args());
    i.accounts[5].pubkey = page;
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::RecordAddressMismatch));
    assert_eq!(w.f.account(&page).unwrap(), before);
}

#[test]
fn the_patient_as_the_new_record_is_refused() {
    // duplicate mutable accounts: write_record's `record` slot given the (mutable) patient account.
    let w = world();
    let mut i = ix::write_record(w.p.pubkey(), &w.alice.pubkey(), 1, 0, args());
    i.accounts[5].pubkey = pda::patient(&w.alice.pubkey()).0;
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::RecordAddressMismatch));
    assert_eq!(
        w.f.client.patient(&w.alice.pubkey()).unwrap().record_count,
        1
    );
}

#[test]
fn the_current_page_as_the_next_page_is_refused() {
    // duplicate mutable accounts: open_log_page with the same page in both slots.
    let w = world();
    // Fill page 0 so that only the duplicated slot is wrong.
    for _ in 0..health_data_exchange::state::LOG_PAGE_CAPACITY {
        w.f.ok(
            &[raw(
                access_metas(&w.p.pubkey(), &w.alice.pubkey()),
                access_data(0),
            )],
            &w.p,
            &[],
        );
    }
    let mut i = ix::open_log_page(w.p.pubkey(), &w.alice.pubkey(), 0);
    i.accounts[3].pubkey = pda::log_page(&w.alice.pubkey(), 0).0;
    w.f.fails_with(
        &[i],
        &w.p,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );
}
