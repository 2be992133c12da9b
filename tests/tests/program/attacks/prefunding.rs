//! Class: pre-funding (griefing account creation) — anyone can compute every
//! PDA the program creates and send it lamports first. Creation must still
//! work. This is why the program does not use Anchor's `init` (see
//! `utils.rs`): with `init` each case here fails with
//! `InvalidInstructionData` from the system program.

use super::*;
use hdx_sdk::{ix, pda};
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::state::{Consent, LogPage, Patient, Provider, Record};

#[test]
fn pre_funded_addresses_do_not_block_creation() {
    let f = Fixture::new();
    let griefer = f.funded();
    // The least a system account can hold (rent-exempt at zero bytes).
    let least = f.ledger().minimum_balance(0);
    let gift = |addr: Pubkey| {
        f.ok(
            &[anchor_lang::solana_program::system_instruction::transfer(
                &griefer.pubkey(),
                &addr,
                least,
            )],
            &griefer,
            &[],
        );
    };
    let provider = f.funded();
    let patient = f.funded();
    let (p, t) = (provider.pubkey(), patient.pubkey());
    for addr in [
        pda::provider(&p).0,
        pda::patient(&t).0,
        pda::log_page(&t, 0).0,
        pda::record(&t, 0).0,
        pda::record(&t, 1).0,
        pda::consent(&t, &p).0,
        pda::log_page(&t, 1).0,
        pda::directory().0,
    ] {
        gift(addr);
    }
    f.ok(
        &[ix::register_provider(p, ProviderKind::Clinic, [1; 32])],
        &provider,
        &[],
    );
    f.ok(
        &[ix::verify_provider(f.authority.pubkey(), &p)],
        &f.authority,
        &[],
    );
    f.ok(&[ix::register_patient(t)], &patient, &[]);
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(
        &patient,
        &provider,
        hdx_sdk::codes::MODE_READ | hdx_sdk::codes::MODE_WRITE,
    );
    f.client
        .write_record(&provider, &p, &t, f.write_args())
        .unwrap();
    for _ in 0..health_data_exchange::state::LOG_PAGE_CAPACITY {
        f.access(&provider, &patient, rec, Purpose::Treatment)
            .unwrap();
    }
    assert_eq!(f.decode::<Provider>(&pda::provider(&p).0).id, p);
    assert_eq!(f.decode::<Patient>(&pda::patient(&t).0).log_pages, 2);
    assert_eq!(f.decode::<Consent>(&pda::consent(&t, &p).0).patient, t);
    assert_eq!(f.decode::<Record>(&pda::record(&t, 1).0).author, p);
    f.ok(
        &[ix::publish_directory(
            f.authority.pubkey(),
            f.authority.pubkey(),
            [9; 32],
            1,
        )],
        &f.authority,
        &[],
    );
    assert_eq!(
        f.client
            .published_directory()
            .unwrap()
            .unwrap()
            .bundle_sha256,
        [9; 32]
    );
    let page1 = f.client.log_page(&t, 1).unwrap();
    assert_eq!((page1.page_index, page1.count), (1, 1));
    // Every created account is rent-exempt at its full size (the gift topped up, not replaced).
    let page = f.account(&pda::log_page(&t, 1).0).unwrap();
    assert_eq!(page.data.len(), LogPage::SPACE);
    assert!(page.lamports >= f.ledger().minimum_balance(LogPage::SPACE));
}
