//! Invariant 4: only the registry authority verifies, suspends, reinstates,
//! pauses; its hand-over is propose + accept; the registry cannot be
//! initialised by whoever calls first.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::ProviderStatus;
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{Provider, Registry};

#[test]
fn invariant_4_only_the_upgrade_authority_initialises_the_registry() {
    let f = Fixture::bare();
    let squatter = f.funded();
    f.fails_with(
        &[ix::initialize_registry(
            squatter.pubkey(),
            squatter.pubkey(),
            squatter.pubkey(),
        )],
        &squatter,
        &[],
        hdx(HdxError::NotUpgradeAuthority),
    );
    assert!(f.account(&pda::registry().0).is_none());

    // A payer other than the upgrade authority is fine; the authority set can be a multisig.
    let payer = f.funded();
    let multisig = Pubkey::new_unique();
    f.ok(
        &[ix::initialize_registry(
            payer.pubkey(),
            f.upgrade_authority.pubkey(),
            multisig,
        )],
        &payer,
        &[&f.upgrade_authority],
    );
    let registry: Registry = f.decode(&pda::registry().0);
    assert_eq!(
        registry,
        Registry {
            authority: multisig,
            pending_authority: Pubkey::default(),
            version: health_data_exchange::state::LAYOUT_VERSION,
            paused: false,
            bump: pda::registry().1,
            provider_count: 0,
            created_at: f.now(),
            emergency: health_data_exchange::EmergencyPolicy {
                max_secs: 3_600,
                cooldown_secs: 86_400,
            },
            credential_policy: health_data_exchange::CredentialPolicy::default(),
            reserved: [0; Registry::RESERVED],
        }
    );
}

#[test]
fn invariant_4_registry_cannot_be_initialised_twice() {
    let f = Fixture::new();
    let before: Registry = f.decode(&pda::registry().0);
    f.fails_with(
        &[ix::initialize_registry(
            f.upgrade_authority.pubkey(),
            f.upgrade_authority.pubkey(),
            f.upgrade_authority.pubkey(),
        )],
        &f.upgrade_authority,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    assert_eq!(f.decode::<Registry>(&pda::registry().0), before);
}

#[test]
fn invariant_4_initialise_refuses_a_zero_authority() {
    let f = Fixture::bare();
    f.fails_with(
        &[ix::initialize_registry(
            f.upgrade_authority.pubkey(),
            f.upgrade_authority.pubkey(),
            Pubkey::default(),
        )],
        &f.upgrade_authority,
        &[],
        hdx(HdxError::InvalidAuthority),
    );
}

#[test]
fn invariant_4_every_authority_instruction_refuses_another_signer() {
    let f = Fixture::new();
    let mallory = f.funded();
    let provider = f.provider(ProviderKind::Clinic, false);
    let code = hdx(HdxError::NotRegistryAuthority);
    let m = mallory.pubkey();
    for ix in [
        ix::verify_provider(m, &provider.pubkey()),
        ix::suspend_provider(m, &provider.pubkey()),
        ix::reinstate_provider(m, &provider.pubkey()),
        ix::set_paused(m, true),
        ix::propose_registry_authority(m, m),
    ] {
        f.fails_with(&[ix], &mallory, &[], code);
    }
    let p: Provider = f.decode(&pda::provider(&provider.pubkey()).0);
    assert_eq!(p.status, ProviderStatus::Pending);
    let r: Registry = f.decode(&pda::registry().0);
    assert!(!r.paused);
    assert_eq!(r.pending_authority, Pubkey::default());
}

#[test]
fn invariant_4_provider_status_moves_only_along_allowed_transitions() {
    let f = Fixture::new();
    let a = &f.authority;
    let p = f.provider(ProviderKind::Pharmacy, false);
    let addr = pda::provider(&p.pubkey()).0;
    let bad = hdx(HdxError::InvalidStatusTransition);
    let status = |f: &Fixture| f.decode::<Provider>(&addr).status;

    f.fails_with(
        &[ix::reinstate_provider(a.pubkey(), &p.pubkey())],
        a,
        &[],
        bad,
    );
    f.ok(&[ix::verify_provider(a.pubkey(), &p.pubkey())], a, &[]);
    assert_eq!(status(&f), ProviderStatus::Verified);
    f.fails_with(&[ix::verify_provider(a.pubkey(), &p.pubkey())], a, &[], bad);
    f.fails_with(
        &[ix::reinstate_provider(a.pubkey(), &p.pubkey())],
        a,
        &[],
        bad,
    );
    f.advance(10);
    f.ok(&[ix::suspend_provider(a.pubkey(), &p.pubkey())], a, &[]);
    assert_eq!(status(&f), ProviderStatus::Suspended);
    assert_eq!(f.decode::<Provider>(&addr).status_changed_at, f.now());
    f.fails_with(
        &[ix::suspend_provider(a.pubkey(), &p.pubkey())],
        a,
        &[],
        bad,
    );
    f.fails_with(&[ix::verify_provider(a.pubkey(), &p.pubkey())], a, &[], bad);
    f.ok(&[ix::reinstate_provider(a.pubkey(), &p.pubkey())], a, &[]);
    assert_eq!(status(&f), ProviderStatus::Verified);

    // A pending provider can be suspended directly.
    let q = f.provider(ProviderKind::Insurer, false);
    f.ok(&[ix::suspend_provider(a.pubkey(), &q.pubkey())], a, &[]);
}

#[test]
fn invariant_4_authority_hand_over_is_propose_then_accept() {
    let f = Fixture::new();
    let old = &f.authority;
    let next = f.funded();
    let other = f.funded();
    let provider = f.provider(ProviderKind::Hospital, false);

    f.fails_with(
        &[ix::accept_registry_authority(next.pubkey())],
        &next,
        &[],
        hdx(HdxError::NoPendingAuthority),
    );
    f.fails_with(
        &[ix::propose_registry_authority(
            old.pubkey(),
            Pubkey::default(),
        )],
        old,
        &[],
        hdx(HdxError::InvalidAuthority),
    );
    f.ok(
        &[ix::propose_registry_authority(old.pubkey(), other.pubkey())],
        old,
        &[],
    );
    // Proposing again replaces the earlier proposal.
    f.ok(
        &[ix::propose_registry_authority(old.pubkey(), next.pubkey())],
        old,
        &[],
    );
    let r: Registry = f.decode(&pda::registry().0);
    assert_eq!(
        (r.authority, r.pending_authority),
        (old.pubkey(), next.pubkey())
    );
    f.fails_with(
        &[ix::accept_registry_authority(other.pubkey())],
        &other,
        &[],
        hdx(HdxError::NotPendingAuthority),
    );
    // Until accepted, the old authority still rules.
    f.ok(&[ix::set_paused(old.pubkey(), false)], old, &[]);
    f.ok(&[ix::accept_registry_authority(next.pubkey())], &next, &[]);
    let r: Registry = f.decode(&pda::registry().0);
    assert_eq!(
        (r.authority, r.pending_authority),
        (next.pubkey(), Pubkey::default())
    );
    f.fails_with(
        &[ix::verify_provider(old.pubkey(), &provider.pubkey())],
        old,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    f.ok(
        &[ix::verify_provider(next.pubkey(), &provider.pubkey())],
        &next,
        &[],
    );
}

#[test]
fn provider_registration_stores_exact_fields_and_refuses_empty_commitment_and_reregistration() {
    let f = Fixture::new();
    let p = f.funded();
    f.fails_with(
        &[ix::register_provider(
            p.pubkey(),
            ProviderKind::Researcher,
            [0; 32],
        )],
        &p,
        &[],
        hdx(HdxError::EmptyCredentialCommitment),
    );
    assert!(f.account(&pda::provider(&p.pubkey()).0).is_none());
    f.ok(
        &[ix::register_provider(
            p.pubkey(),
            ProviderKind::Researcher,
            [9; 32],
        )],
        &p,
        &[],
    );
    let (addr, bump) = pda::provider(&p.pubkey());
    let expected = Provider {
        id: p.pubkey(),
        signer: p.pubkey(),
        status: ProviderStatus::Pending,
        kind: ProviderKind::Researcher,
        number: 0,
        version: health_data_exchange::state::LAYOUT_VERSION,
        bump,
        roles: 0,
        credential_commitment: [9; 32],
        registered_at: f.now(),
        status_changed_at: f.now(),
        identifier_system: health_data_exchange::codes::IdentifierSystem::Unspecified,
        basis: health_data_exchange::codes::StatusBasis::Authority,
        attestation: Pubkey::default(),
        attestation_expiry: 0,
        reserved: [0; Provider::RESERVED],
    };
    assert_eq!(f.decode::<Provider>(&addr), expected);
    f.fails_with(
        &[ix::register_provider(
            p.pubkey(),
            ProviderKind::Hospital,
            [1; 32],
        )],
        &p,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    assert_eq!(f.decode::<Provider>(&addr), expected);
}

#[test]
fn provider_numbers_are_contiguous_from_zero_and_never_reused() {
    let f = Fixture::new();
    let first = f.provider(ProviderKind::Hospital, true);
    let second = f.provider(ProviderKind::Clinic, false);
    // A failed registration (already registered) takes no number.
    f.fails_with(
        &[ix::register_provider(
            first.pubkey(),
            ProviderKind::Other,
            [1; 32],
        )],
        &first,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    // Suspension and rotation keep the number; the next registration gets the next one.
    f.ok(
        &[ix::suspend_provider(f.authority.pubkey(), &second.pubkey())],
        &f.authority,
        &[],
    );
    f.rotate_provider(&first.pubkey(), &first);
    let third = f.provider(ProviderKind::Pharmacy, false);
    assert_eq!(
        [f.number(&first), f.number(&second), f.number(&third)],
        [0, 1, 2]
    );
    assert_eq!(f.decode::<Registry>(&pda::registry().0).provider_count, 3);
    let directory = f.client.provider_index().unwrap();
    assert_eq!(directory.resolve(1).unwrap().id, second.pubkey());
    assert!(
        directory.resolve(3).is_err(),
        "a number no provider has is an error"
    );
}
