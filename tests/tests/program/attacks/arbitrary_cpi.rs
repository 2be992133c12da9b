//! Class: arbitrary CPI — wherever a program id is taken (the system program), another is refused.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx::{ix, pda};
use health_data_exchange::instructions::WriteRecordArgs;

#[test]
fn a_fake_system_program_is_refused_everywhere_one_is_taken() {
    // arbitrary CPI: the system-program slot given another (executable) program id.
    let w = world();
    let impostor = health_data_exchange::ID; // an executable program that is not the system program
    let patient = w.f.funded();
    let cases = vec![
        (ix::register_patient(patient.pubkey()), 3usize, &patient),
        (
            ix::register_provider(
                patient.pubkey(),
                health_data_exchange::codes::ProviderKind::Other,
                [1; 32],
            ),
            2,
            &patient,
        ),
        (
            ix::grant_consent(w.bob.pubkey(), &w.p.pubkey(), w.f.terms(1, 1, 1, 3)),
            4,
            &w.bob,
        ),
        (
            ix::add_record(w.bob.pubkey(), 1, 0, b"x".to_vec(), [1; 32]),
            3,
            &w.bob,
        ),
        (
            ix::write_record(
                w.p.pubkey(),
                &w.alice.pubkey(),
                1,
                0,
                WriteRecordArgs {
                    category: 0,
                    locator: b"x".to_vec(),
                    content_hash: [1; 32],
                    purpose: 0,
                },
            ),
            7,
            &w.p,
        ),
    ];
    for (mut i, pos, signer) in cases {
        assert_eq!(i.accounts[pos].pubkey, anchor_lang::system_program::ID);
        i.accounts[pos].pubkey = impostor;
        w.f.fails_with(&[i], signer, &[], anchor(Anchor::InvalidProgramId));
    }
    assert!(w.f.account(&pda::patient(&patient.pubkey()).0).is_none());
    assert!(w.f.account(&pda::record(&w.alice.pubkey(), 1).0).is_none());
}
