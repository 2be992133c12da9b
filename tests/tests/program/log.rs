//! Invariant 2: every attempt by a verified provider appends exactly one
//! entry; sequences are contiguous; entries never change; the hash head
//! equals the fold of all entries. And the page mechanics behind it.

use hdx_sdk::codes::{MODE_READ, MODE_WRITE};
use hdx_sdk::{audit, ix};
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{LogPage, LOG_PAGE_CAPACITY, NO_RECORD};

#[test]
fn invariant_2_long_mixed_run_is_contiguous_and_folds_to_the_head() {
    let f = Fixture::new();
    let patient = f.patient();
    let a = f.verified_provider();
    let b = f.verified_provider();
    let lab = f.record(&patient, Category::LabResults);
    let img = f.record(&patient, Category::Imaging);
    f.grant_read(&patient, &a, Category::LabResults, Purpose::Treatment);
    let terms = f.terms(
        Category::LabResults.bit(),
        MODE_READ | MODE_WRITE,
        Purpose::Payment.bit(),
        30,
    );
    f.grant(&patient, &b, terms);

    let total = 3 * LOG_PAGE_CAPACITY + 17; // 209 entries over 4 pages
    let mut expected_outcomes = Vec::new();
    let mut snapshot_of_page_0 = None;
    for i in 0..total {
        let (provider, rec, purpose, want) = match i % 5 {
            0 => (&a, lab, Purpose::Treatment, Outcome::Granted),
            1 => (&a, img, Purpose::Treatment, Outcome::CategoryNotPermitted),
            2 => (&b, lab, Purpose::Payment, Outcome::Granted),
            3 => (&b, lab, Purpose::Treatment, Outcome::PurposeNotPermitted),
            _ => (&a, lab, Purpose::Research, Outcome::PurposeNotPermitted),
        };
        match f.access(provider, &patient, rec, purpose) {
            Ok(g) => assert_eq!(g.sequence, i as u64),
            Err(hdx_sdk::client::ClientError::Denied(d)) => {
                assert_eq!((d.reason, d.sequence), (want, i as u64))
            }
            Err(e) => panic!("step {i}: {e}"),
        }
        expected_outcomes.push(want.code());
        if i % 7 == 0 {
            f.advance(13);
        }
        if i == LOG_PAGE_CAPACITY + 3 {
            snapshot_of_page_0 = Some(
                f.account(&hdx_sdk::pda::log_page(&patient.pubkey(), 0).0)
                    .unwrap()
                    .data,
            );
        }
    }
    let log = f.log(&patient.pubkey());
    assert_eq!(log.pages.len(), 4);
    let entries = log.entries();
    assert_eq!(entries.len(), total);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.sequence, i as u64, "contiguous");
        assert_eq!(e.entry.outcome, expected_outcomes[i]);
    }
    let head = log.verify().expect("chain verifies");
    assert_eq!(head, audit::fold(&patient.pubkey(), &entries));
    assert_eq!(head, log.pages[3].head);
    // Full pages never change once full.
    let page_0_now = f
        .account(&hdx_sdk::pda::log_page(&patient.pubkey(), 0).0)
        .unwrap()
        .data;
    assert_eq!(Some(page_0_now), snapshot_of_page_0, "entries never change");
}

#[test]
fn invariant_2_denied_write_is_logged_and_creates_nothing() {
    let f = Fixture::new();
    let patient = f.patient();
    let lab = f.verified_provider();
    let id = patient.pubkey();
    f.grant_read(&patient, &lab, Category::LabResults, Purpose::Treatment);
    let args = f.write_args();
    match f
        .client
        .write_record(&lab, &lab.pubkey(), &id, args.clone())
    {
        Err(hdx_sdk::client::ClientError::Denied(d)) => {
            assert_eq!(d.reason, Outcome::ModeNotPermitted)
        }
        other => panic!("expected ModeNotPermitted, got {other:?}"),
    }
    assert!(f.account(&hdx_sdk::pda::record(&id, 0).0).is_none());
    assert_eq!(f.client.patient(&id).unwrap().record_count, 0);
    let e = f.last_entry(&id).entry;
    assert_eq!(
        (e.record_index, e.action, e.outcome, e.basis),
        (NO_RECORD, 1, Outcome::ModeNotPermitted.code(), 1)
    );

    // With write mode the record is created, authored by the provider's id.
    let terms = f.terms(
        Category::LabResults.bit(),
        MODE_WRITE,
        Purpose::Treatment.bit(),
        30,
    );
    f.update(&patient, &lab, terms);
    let index = f
        .client
        .write_record(&lab, &lab.pubkey(), &id, args)
        .unwrap();
    assert_eq!(index, 0);
    let rec = f.client.record(&id, 0).unwrap();
    assert_eq!(
        (rec.author, rec.patient, rec.locator.as_slice()),
        (lab.pubkey(), id, &b"lab://result/1"[..])
    );
    assert_eq!(f.log_len(&id), 2);
    assert_eq!(f.last_entry(&id).entry.basis, 2);
    f.log(&id).verify().unwrap();
}

#[test]
fn invariant_2_a_full_page_is_refused_and_the_next_opens_only_when_full() {
    let f = Fixture::new();
    let patient = f.patient();
    let p = f.verified_provider();
    let id = patient.pubkey();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_read(&patient, &p, Category::LabResults, Purpose::Treatment);
    // Opening page 1 before page 0 is full is refused.
    f.fails_with(
        &[ix::open_log_page(p.pubkey(), &id, 0)],
        &p,
        &[],
        hdx(HdxError::LogPageNotFull),
    );
    for _ in 0..LOG_PAGE_CAPACITY {
        f.access(&p, &patient, rec, Purpose::Treatment).unwrap();
    }
    // Writing into the full page directly (not through the SDK) is refused.
    f.fails_with(
        &[f.access_ix(f.access_accounts(&p, &patient, rec), Purpose::Treatment)],
        &p,
        &[],
        hdx(HdxError::LogPageFull),
    );
    // The SDK opens page 1 (carrying head and sequence on) and appends there.
    let g = f.access(&p, &patient, rec, Purpose::Treatment).unwrap();
    assert_eq!(g.sequence, LOG_PAGE_CAPACITY as u64);
    let page0: LogPage = f.client.log_page(&id, 0).unwrap();
    let page1: LogPage = f.client.log_page(&id, 1).unwrap();
    assert_eq!(page1.first_sequence, LOG_PAGE_CAPACITY as u64);
    assert_eq!(
        page1.head,
        audit::next_head(
            &page0.head,
            &audit::Entry {
                sequence: LOG_PAGE_CAPACITY as u64,
                entry: page1.entries[0]
            }
        )
    );
    assert_eq!(f.client.patient(&id).unwrap().log_pages, 2);
    // Page 0 is no longer current: opening page 2 from it is refused.
    let from_old = ix::build(
        health_data_exchange::accounts::OpenLogPage {
            next_page: hdx_sdk::pda::log_page(&id, 2).0,
            ..ix::open_log_page_accounts(p.pubkey(), &id, 0)
        },
        health_data_exchange::instruction::OpenLogPage {},
    );
    f.fails_with(&[from_old], &p, &[], hdx(HdxError::NotCurrentLogPage));
}

#[test]
fn invariant_2_the_chain_commits_to_every_byte_and_the_implicit_sequence() {
    let f = Fixture::new();
    let patient = f.patient();
    let p = f.verified_provider();
    let id = patient.pubkey();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_read(&patient, &p, Category::LabResults, Purpose::Treatment);
    for _ in 0..5 {
        f.access(&p, &patient, rec, Purpose::Treatment).unwrap();
    }
    let log = f.log(&id);
    let head = log.verify().unwrap();
    assert_eq!(head, audit::fold(&id, &log.entries()));
    // The chain's genesis is the v3 domain tag.
    let mut tag = b"hdx-log-v3".to_vec();
    tag.extend_from_slice(id.as_ref());
    assert_eq!(
        audit::genesis_head(&id),
        <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(&tag))
    );
    // Any changed byte of any entry, or a shifted sequence, breaks it at that page.
    for tamper in [
        |p: &mut LogPage| p.entries[2].time += 1,
        |p: &mut LogPage| p.entries[2].provider ^= 1,
        |p: &mut LogPage| p.entries[2].basis += 1,
        |p: &mut LogPage| p.entries[2].category ^= 1,
        |p: &mut LogPage| p.entries[4].outcome = Outcome::NoConsent.code(),
    ] {
        let mut forged = log.clone();
        tamper(&mut forged.pages[0]);
        assert!(
            matches!(
                forged.verify(),
                Err(audit::ChainError::HeadMismatch { page: 0, .. })
            ),
            "{:?}",
            forged.verify()
        );
    }
    // A code that names nothing is refused by name, before the fold.
    let mut malformed = log.clone();
    malformed.pages[0].entries[1].outcome = 200;
    assert_eq!(
        malformed.verify(),
        Err(audit::ChainError::MalformedEntry { sequence: 1 })
    );
    let mut shifted = log.clone();
    shifted.pages[0].first_sequence = 1;
    assert!(matches!(
        shifted.verify(),
        Err(audit::ChainError::PageDiscontinuity {
            page: 0,
            found: 1,
            expected: 0
        })
    ));
    // Entries folded at other sequence numbers give another head.
    let moved: Vec<audit::Entry> = log
        .entries()
        .into_iter()
        .map(|e| audit::Entry {
            sequence: e.sequence + 1,
            ..e
        })
        .collect();
    assert_ne!(audit::fold(&id, &moved), head);
}

/// Two providers write one patient's log at once: between one reading the
/// writable page and its access landing, the other's access fills the page.
/// The program refuses the first (`LogPageFull`: nothing of it is kept) and
/// the SDK sends it again on the next page, which it opens. Without the
/// retry the provider got `LogPageFull` ("open the next page first"), which
/// no command does.
#[test]
fn a_page_filled_under_an_access_is_sent_again_on_the_next_page() {
    let f = Fixture::new();
    let patient = f.patient();
    let (a, b) = (f.verified_provider(), f.verified_provider());
    let id = patient.pubkey();
    let rec = f.record(&patient, Category::LabResults);
    for p in [&a, &b] {
        f.grant_read(&patient, p, Category::LabResults, Purpose::Treatment);
    }
    for _ in 0..LOG_PAGE_CAPACITY - 1 {
        f.access(&b, &patient, rec, Purpose::Treatment).unwrap();
    }
    // One slot left on page 0. Provider a reads the page (0, not full) and
    // builds its access; before it lands, b's access takes the last slot.
    let built = std::cell::Cell::new(Vec::new());
    let a_id = a.pubkey();
    let receipt = f
        .client
        .send_on_log_page(&a, &[], &id, &|page| {
            let mut pages = built.take();
            pages.push(page);
            if pages.len() == 1 {
                f.access(&b, &patient, rec, Purpose::Treatment).unwrap();
            }
            built.set(pages);
            vec![ix::access_record(
                a_id,
                &a_id,
                &id,
                rec,
                page,
                Purpose::Treatment,
            )]
        })
        .unwrap();
    // Built twice: on page 0 (refused, full) and on page 1 (opened by a).
    assert_eq!(built.take(), [0, 1]);
    let g = hdx_sdk::client::granted(&receipt).unwrap();
    assert_eq!(g.sequence, LOG_PAGE_CAPACITY as u64);
    assert_eq!(f.client.patient(&id).unwrap().log_pages, 2);
    assert_eq!(f.log_len(&id), LOG_PAGE_CAPACITY + 1);
    f.log(&id).verify().unwrap();

    // A page that keeps moving is tried again boundedly, then refused.
    let tries = std::cell::Cell::new(0);
    let e = f
        .client
        .send_on_log_page(&a, &[], &id, &|_| {
            tries.set(tries.get() + 1);
            vec![ix::open_log_page(a_id, &id, 0)]
        })
        .unwrap_err();
    assert_eq!(e.program_code(), Some(hdx(HdxError::NotCurrentLogPage)));
    assert_eq!(
        tries.get(),
        hdx_sdk::client::PAGE_RETRIES + 1,
        "the page moved every time: tried again, boundedly"
    );
    // Any other refusal is not tried again: b signing for a.
    let tries = std::cell::Cell::new(0);
    let e = f
        .client
        .send_on_log_page(&b, &[], &id, &|page| {
            tries.set(tries.get() + 1);
            vec![ix::access_record(
                b.pubkey(),
                &a_id,
                &id,
                rec,
                page,
                Purpose::Treatment,
            )]
        })
        .unwrap_err();
    assert_eq!(e.program_code(), Some(hdx(HdxError::NotProviderKey)));
    assert_eq!(tries.get(), 1);
}
