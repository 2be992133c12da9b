//! Class: reinitialisation — calling any init twice.

use super::*;
use hdx_sdk::{ix, pda};
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{Consent, Patient, Provider, Registry};

#[test]
fn every_init_twice_is_refused_and_changes_nothing() {
    // reinitialisation: registry, provider, patient, consent, record.
    let w = world();
    let f = &w.f;
    let (a, p) = (w.alice.pubkey(), w.p.pubkey());
    let registry: Registry = f.decode(&pda::registry().0);
    let provider: Provider = f.decode(&pda::provider(&p).0);
    let patient: Patient = f.decode(&pda::patient(&a).0);
    let consent: Consent = f.decode(&pda::consent(&a, &p).0);
    f.advance(100);

    f.fails_with(
        &[ix::initialize_registry(
            f.upgrade_authority.pubkey(),
            f.upgrade_authority.pubkey(),
            w.bob.pubkey(),
        )],
        &f.upgrade_authority,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    f.fails_with(
        &[ix::register_provider(p, ProviderKind::Other, [2; 32])],
        &w.p,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    f.fails_with(
        &[ix::register_patient(a)],
        &w.alice,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    f.fails_with(
        &[ix::grant_consent(a, &a, &p, f.terms(1, 1, 1, 1))],
        &w.alice,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    // Re-adding record 0 (the next index is 1): the record address no longer matches the seeds.
    f.fails_with(
        &[ix::add_record(
            a,
            &a,
            0,
            health_data_exchange::AddRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: b"x".to_vec(),
                content_hash: [1; 32],
            },
        )],
        &w.alice,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );

    assert_eq!(f.decode::<Registry>(&pda::registry().0), registry);
    assert_eq!(f.decode::<Provider>(&pda::provider(&p).0), provider);
    assert_eq!(f.decode::<Patient>(&pda::patient(&a).0), patient);
    assert_eq!(f.decode::<Consent>(&pda::consent(&a, &p).0), consent);
}
