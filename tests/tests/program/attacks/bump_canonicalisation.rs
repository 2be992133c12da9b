//! Class: bump canonicalisation — an address derived with a non-canonical bump.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::ix;
use health_data_exchange::accounts as acc;
use health_data_exchange::error::HdxError;
use health_data_exchange::instruction as data;
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
    // bump canonicalisation: consent, provider, patient, record created at a non-canonical PDA.
    let f = Fixture::new();
    let p = f.verified_provider();
    let patient = f.patient();
    let newcomer = f.funded();
    let (t, n, pk) = (patient.pubkey(), newcomer.pubkey(), p.pubkey());
    let seeds_mismatch = anchor(Anchor::ConstraintSeeds);

    let grant = ix::build(
        acc::GrantConsent {
            consent: non_canonical(&[seeds::CONSENT, t.as_ref(), pk.as_ref()]),
            ..ix::grant_consent_accounts(t, &t, &pk)
        },
        data::GrantConsent {
            terms: f.terms(1, 1, 1, 3),
        },
    );
    f.fails_with(&[grant], &patient, &[], seeds_mismatch);

    let reg = ix::build(
        acc::RegisterPatient {
            patient: non_canonical(&[seeds::PATIENT, n.as_ref()]),
            ..ix::register_patient_accounts(n)
        },
        data::RegisterPatient {},
    );
    f.fails_with(&[reg], &newcomer, &[], seeds_mismatch);

    let regp = ix::build(
        acc::RegisterProvider {
            provider: non_canonical(&[seeds::PROVIDER, n.as_ref()]),
            ..ix::register_provider_accounts(n)
        },
        data::RegisterProvider {
            args: health_data_exchange::RegisterProviderArgs {
                kind: health_data_exchange::codes::ProviderKind::Other,
                credential_commitment: [1; 32],
                identifier_system: health_data_exchange::codes::IdentifierSystem::Unspecified,
            },
        },
    );
    f.fails_with(&[regp], &newcomer, &[], seeds_mismatch);

    let add = ix::build(
        acc::AddRecord {
            record: non_canonical(&[seeds::RECORD, t.as_ref(), &0u32.to_le_bytes()]),
            ..ix::add_record_accounts(t, &t, 0)
        },
        data::AddRecord {
            args: health_data_exchange::AddRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: b"x".to_vec(),
                content_hash: [1; 32],
            },
        },
    );
    f.fails_with(&[add], &patient, &[], seeds_mismatch);
}

#[test]
fn a_non_canonical_empty_consent_cannot_claim_no_consent() {
    // bump canonicalisation: the "no consent" path accepts only the canonical consent PDA.
    let w = world();
    let (a, p) = (w.alice.pubkey(), w.p.pubkey());
    w.f.fails_with(
        &[w.ix(AccessRecord {
            consent: non_canonical(&[seeds::CONSENT, a.as_ref(), p.as_ref()]),
            ..w.access(&w.alice)
        })],
        &w.p,
        &[],
        hdx(HdxError::ConsentAddressMismatch),
    );
    assert_eq!(w.f.log_len(&a), 0);
}

#[test]
fn a_non_canonical_record_address_is_refused_for_writes() {
    // bump canonicalisation: write_record only creates the canonical next-record PDA.
    let w = world();
    let a = w.alice.pubkey();
    let i = w.f.write_ix(
        acc::WriteRecord {
            record: non_canonical(&[seeds::RECORD, a.as_ref(), &1u32.to_le_bytes()]),
            ..w.f.write_accounts(&w.p, &w.alice)
        },
        w.f.write_args(),
    );
    w.f.fails_with(&[i], &w.p, &[], hdx(HdxError::RecordAddressMismatch));
}
