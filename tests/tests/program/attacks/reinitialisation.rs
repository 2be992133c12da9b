//! Class: reinitialisation — calling any init twice.

use super::*;
use hdx::{ix, pda};
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::error::HdxError;
use health_data_exchange::instructions::InitializeRegistryArgs;
use health_data_exchange::state::{Consent, Patient, Provider, Registry};

#[test]
fn every_init_twice_is_refused_and_changes_nothing() {
    // reinitialisation: registry, provider, patient, consent, record, log page.
    let w = world();
    let f = &w.f;
    let registry: Registry = f.decode(&pda::registry().0);
    let provider: Provider = f.decode(&pda::provider(&w.p.pubkey()).0);
    let patient: Patient = f.decode(&pda::patient(&w.alice.pubkey()).0);
    let consent: Consent = f.decode(&pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0);
    f.advance(100);

    let args = InitializeRegistryArgs {
        authority: w.bob.pubkey(),
        emergency_max_duration_secs: 1,
        emergency_cooldown_secs: 1,
    };
    f.fails_with(
        &[ix::initialize_registry(
            f.upgrade_authority.pubkey(),
            f.upgrade_authority.pubkey(),
            args,
        )],
        &f.upgrade_authority,
        &[],
        hdx(HdxError::AlreadyRegistered),
    );
    f.fails_with(
        &[ix::register_provider(
            w.p.pubkey(),
            ProviderKind::Other,
            [2; 32],
        )],
        &w.p,
        &[],
        hdx(HdxError::AlreadyRegistered),
    );
    f.fails_with(
        &[ix::register_patient(w.alice.pubkey())],
        &w.alice,
        &[],
        hdx(HdxError::AlreadyRegistered),
    );
    f.fails_with(
        &[ix::grant_consent(
            w.alice.pubkey(),
            &w.p.pubkey(),
            f.terms(1, 1, 1, 1),
        )],
        &w.alice,
        &[],
        hdx(HdxError::ConsentAlreadyExists),
    );
    // Re-adding record 0 (the next index is 1): the record address no longer matches the seeds.
    f.fails_with(
        &[ix::add_record(
            w.alice.pubkey(),
            0,
            0,
            b"x".to_vec(),
            [1; 32],
        )],
        &w.alice,
        &[],
        anchor(anchor_lang::error::ErrorCode::ConstraintSeeds),
    );

    assert_eq!(f.decode::<Registry>(&pda::registry().0), registry);
    assert_eq!(
        f.decode::<Provider>(&pda::provider(&w.p.pubkey()).0),
        provider
    );
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&w.alice.pubkey()).0),
        patient
    );
    assert_eq!(
        f.decode::<Consent>(&pda::consent(&w.alice.pubkey(), &w.p.pubkey()).0),
        consent
    );
}
