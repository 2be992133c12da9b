//! Class: bump canonicalisation — an address derived with a non-canonical bump.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx::{ix, pda};
use health_data_exchange::error::HdxError;
use health_data_exchange::state::seeds;

/// A valid PDA of `seeds` with a bump below the canonical one.
fn non_canonical(seeds: &[&[u8]]) -> Pubkey {
    let (_, canonical) = Pubkey::find_program_address(seeds, &health_data_exchange::ID);
    (0..canonical)
        .rev()
        .find_map(|b| {
            let mut s = seeds.to_vec();
            let bump = [b];
            s.push(&bump);
            Pubkey::create_program_address(&s, &health_data_exchange::ID).ok()
        })
        .expect("a non-canonical bump exists")
}

#[test]
fn non_canonical_addresses_are_refused_at_creation() {
    // bump canonicalisation: consent, provider, patient created at a non-canonical PDA.
    let f = Fixture::new();
    let p = f.verified_provider();
    let patient = f.patient();
    let newcomer = f.funded();

    let mut grant = ix::grant_consent(patient.pubkey(), &p.pubkey(), f.terms(1, 1, 1, 3));
    grant.accounts[3].pubkey = non_canonical(&[
        seeds::CONSENT,
        patient.pubkey().as_ref(),
        p.pubkey().as_ref(),
    ]);
    f.fails_with(&[grant], &patient, &[], anchor(Anchor::ConstraintSeeds));

    let mut reg = ix::register_patient(newcomer.pubkey());
    reg.accounts[1].pubkey = non_canonical(&[seeds::PATIENT, newcomer.pubkey().as_ref()]);
    f.fails_with(&[reg], &newcomer, &[], anchor(Anchor::ConstraintSeeds));

    let mut regp = ix::register_provider(
        newcomer.pubkey(),
        health_data_exchange::codes::ProviderKind::Other,
        [1; 32],
    );
    regp.accounts[1].pubkey = non_canonical(&[seeds::PROVIDER, newcomer.pubkey().as_ref()]);
    f.fails_with(&[regp], &newcomer, &[], anchor(Anchor::ConstraintSeeds));

    let mut add = ix::add_record(patient.pubkey(), 0, 0, b"x".to_vec(), [1; 32]);
    add.accounts[2].pubkey = non_canonical(&[
        seeds::RECORD,
        patient.pubkey().as_ref(),
        &0u32.to_le_bytes(),
    ]);
    f.fails_with(&[add], &patient, &[], anchor(Anchor::ConstraintSeeds));
}

#[test]
fn a_non_canonical_empty_consent_cannot_claim_no_consent() {
    // bump canonicalisation: the "no consent" path accepts only the canonical consent PDA.
    let w = world();
    let mut metas = access_metas(&w.p.pubkey(), &w.alice.pubkey());
    metas[4].pubkey = non_canonical(&[
        seeds::CONSENT,
        w.alice.pubkey().as_ref(),
        w.p.pubkey().as_ref(),
    ]);
    w.f.fails_with(
        &[raw(metas, access_data(0))],
        &w.p,
        &[],
        hdx(HdxError::ConsentAddressMismatch),
    );
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
    let _ = pda::registry;
}

#[test]
fn a_non_canonical_record_address_is_refused_for_writes() {
    // bump canonicalisation: write_record only creates the canonical next-record PDA.
    let w = world();
    let mut i = ix::write_record(
        w.p.pubkey(),
        &w.alice.pubkey(),
        1,
        0,
        health_data_exchange::instructions::WriteRecordArgs {
            category: 0,
            locator: b"x".to_vec(),
            content_hash: [1; 32],
            purpose: 0,
        },
    );
    i.accounts[5].pubkey = non_canonical(&[
        seeds::RECORD,
        w.alice.pubkey().as_ref(),
        &1u32.to_le_bytes(),
    ]);
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::RecordAddressMismatch));
}
