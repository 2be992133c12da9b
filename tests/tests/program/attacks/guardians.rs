//! The attack classes against the guardian instructions' accounts: missing
//! signers (a guardian, the recovery key, the patient), owner checks, type
//! cosplay, another patient's set or proposal substituted, pre-funding.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::GuardianMode;
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts::{ApproveGuardianAction, ExecuteGuardianGrant};
use health_data_exchange::error::HdxError;
use health_data_exchange::instruction;
use health_data_exchange::state::{Consent, GuardianSet};
use health_data_exchange::ProposalAction;
use solana_sdk::account::Account;

/// Alice and bob each have guardians g0, g1 (alongside, threshold 2); g0
/// proposed granting `p` for each (proposal 0 of each).
struct Scene {
    w: World,
    g: Vec<Keypair>,
}

fn scene() -> Scene {
    let w = world();
    let g: Vec<Keypair> = (0..2).map(|_| w.f.funded()).collect();
    let terms = w.f.terms(1, 1, 1, 30);
    for patient in [&w.alice, &w.bob] {
        let t = patient.pubkey();
        w.f.ok(
            &[ix::set_guardians(
                t,
                &t,
                g.iter().map(|k| k.pubkey()).collect(),
                2,
                GuardianMode::Alongside,
            )],
            patient,
            &[],
        );
    }
    // Bob has no consent for p yet: his proposal can execute.
    w.f.ok(
        &[ix::propose_guardian_action(
            g[0].pubkey(),
            &w.bob.pubkey(),
            0,
            ProposalAction::Grant {
                provider: w.p.pubkey(),
                terms,
            },
        )],
        &g[0],
        &[],
    );
    w.f.ok(
        &[ix::propose_guardian_action(
            g[0].pubkey(),
            &w.alice.pubkey(),
            0,
            ProposalAction::Recover {
                new_authority: Pubkey::new_unique(),
            },
        )],
        &g[0],
        &[],
    );
    Scene { w, g }
}

#[test]
fn guardian_instructions_without_their_signers_are_refused() {
    let s = scene();
    let (f, b, a) = (&s.w.f, s.w.bob.pubkey(), s.w.alice.pubkey());
    let mallory = f.funded();
    let g1 = s.g[1].pubkey();
    f.fails_with(
        &[set_flags(
            ix::approve_guardian_action(g1, &b, 0),
            &g1,
            false,
            false,
        )],
        &mallory,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    f.fails_with(
        &[set_flags(
            ix::set_guardians(b, &b, vec![mallory.pubkey()], 1, GuardianMode::Alongside),
            &b,
            false,
            true,
        )],
        &mallory,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    // A recovery needs the new key's signature: approved by both, executed without it.
    let new_key = f.funded();
    f.ok(
        &[ix::propose_guardian_action(
            s.g[0].pubkey(),
            &a,
            1,
            ProposalAction::Recover {
                new_authority: new_key.pubkey(),
            },
        )],
        &s.g[0],
        &[],
    );
    f.ok(&[ix::approve_guardian_action(g1, &a, 1)], &s.g[1], &[]);
    f.fails_with(
        &[set_flags(
            ix::execute_guardian_recovery(g1, &a, 1, new_key.pubkey()),
            &new_key.pubkey(),
            false,
            false,
        )],
        &s.g[1],
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    f.fails_with(
        &[set_flags(
            ix::guardian_revoke_consent(g1, &a, &s.w.p.pubkey(), a),
            &g1,
            false,
            false,
        )],
        &mallory,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    assert!(f.account(&pda::consent(&a, &s.w.p.pubkey()).0).is_some());
}

#[test]
fn another_patients_set_cannot_approve_or_execute_this_patients_proposal() {
    let s = scene();
    let (f, a, b) = (&s.w.f, s.w.alice.pubkey(), s.w.bob.pubkey());
    let g1 = &s.g[1];
    // Approve bob's proposal presenting alice's guardian set.
    let i = ix::build(
        ApproveGuardianAction {
            guardian_set: pda::guardian_set(&a).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        instruction::ApproveGuardianAction {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    // Execute bob's proposal with alice's set (the seeds say whose set it must be).
    f.ok(&[ix::approve_guardian_action(g1.pubkey(), &b, 0)], g1, &[]);
    let i = ix::build(
        ExecuteGuardianGrant {
            guardian_set: pda::guardian_set(&a).0,
            ..ix::execute_guardian_grant_accounts(g1.pubkey(), &b, 0, &s.w.p.pubkey())
        },
        instruction::ExecuteGuardianGrant {},
    );
    f.fails_with(&[i], g1, &[], anchor(Anchor::ConstraintSeeds));
    // Alice's recovery proposal executed as bob's.
    let i = ix::build(
        ExecuteGuardianGrant {
            proposal: pda::proposal(&a, 0).0,
            ..ix::execute_guardian_grant_accounts(g1.pubkey(), &b, 0, &s.w.p.pubkey())
        },
        instruction::ExecuteGuardianGrant {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    // The consent goes to the provider the proposal names, not another.
    let other = f.verified_provider();
    let i = ix::build(
        ExecuteGuardianGrant {
            provider: pda::provider(&other.pubkey()).0,
            consent: pda::consent(&b, &other.pubkey()).0,
            ..ix::execute_guardian_grant_accounts(g1.pubkey(), &b, 0, &s.w.p.pubkey())
        },
        instruction::ExecuteGuardianGrant {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    f.ok(
        &[ix::execute_guardian_grant(
            g1.pubkey(),
            &b,
            0,
            &s.w.p.pubkey(),
        )],
        g1,
        &[],
    );
    assert_eq!(
        f.decode::<Consent>(&pda::consent(&b, &s.w.p.pubkey()).0)
            .provider,
        s.w.p.pubkey()
    );
}

fn ix_approve_accounts(guardian: Pubkey, patient: &Pubkey, index: u32) -> ApproveGuardianAction {
    ApproveGuardianAction {
        guardian,
        guardian_set: pda::guardian_set(patient).0,
        proposal: pda::proposal(patient, index).0,
    }
}

#[test]
fn forged_or_misplaced_sets_and_proposals_are_refused() {
    let s = scene();
    let (f, b) = (&s.w.f, s.w.bob.pubkey());
    let g1 = &s.g[1];
    // A byte-for-byte copy of bob's set owned by another program.
    let real = f.account(&pda::guardian_set(&b).0).unwrap();
    let fake = Pubkey::new_unique();
    f.ledger().set_account(
        &fake,
        Account {
            owner: Pubkey::new_unique(),
            ..real
        },
    );
    let i = ix::build(
        ApproveGuardianAction {
            guardian_set: fake,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        instruction::ApproveGuardianAction {},
    );
    f.fails_with(&[i], g1, &[], anchor(Anchor::AccountOwnedByWrongProgram));
    // Type cosplay: the proposal as the set, the set as the proposal, a consent as the proposal.
    for accounts in [
        ApproveGuardianAction {
            guardian_set: pda::proposal(&b, 0).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        ApproveGuardianAction {
            proposal: pda::guardian_set(&b).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        ApproveGuardianAction {
            proposal: pda::consent(&s.w.alice.pubkey(), &s.w.p.pubkey()).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
    ] {
        f.fails_with(
            &[ix::build(accounts, instruction::ApproveGuardianAction {})],
            g1,
            &[],
            anchor(Anchor::AccountDiscriminatorMismatch),
        );
    }
    let set: GuardianSet = f.decode(&pda::guardian_set(&b).0);
    assert_eq!(set.proposals, 1);
}

#[test]
fn pre_funded_set_and_proposal_addresses_do_not_block_creation() {
    let f = Fixture::new();
    let griefer = f.funded();
    let patient = f.patient();
    let t = patient.pubkey();
    let g = f.funded();
    let least = f.ledger().minimum_balance(0);
    for addr in [pda::guardian_set(&t).0, pda::proposal(&t, 0).0] {
        f.ok(
            &[anchor_lang::solana_program::system_instruction::transfer(
                &griefer.pubkey(),
                &addr,
                least,
            )],
            &griefer,
            &[],
        );
    }
    f.ok(
        &[ix::set_guardians(
            t,
            &t,
            vec![g.pubkey()],
            1,
            GuardianMode::RecoveryOnly,
        )],
        &patient,
        &[],
    );
    f.ok(
        &[ix::propose_guardian_action(
            g.pubkey(),
            &t,
            0,
            ProposalAction::Recover {
                new_authority: Pubkey::new_unique(),
            },
        )],
        &g,
        &[],
    );
}

/// The preferences execution: without the guardian's signature, with
/// another patient's proposal, or for another patient, it is refused and
/// changes nothing.
#[test]
fn preferences_are_executed_only_by_a_signing_guardian_for_their_own_patient() {
    use health_data_exchange::accounts::ExecuteGuardianPreferences;
    use health_data_exchange::state::Patient;
    let s = scene();
    let (f, a, b) = (&s.w.f, s.w.alice.pubkey(), s.w.bob.pubkey());
    let g1 = &s.g[1];
    let preferences = ProposalAction::EmergencyPreferences {
        preferences: health_data_exchange::EmergencyPreferences {
            opt_out: true,
            excluded: 0,
        },
    };
    let index = f.decode::<GuardianSet>(&pda::guardian_set(&b).0).proposals;
    f.ok(
        &[ix::propose_guardian_action(
            g1.pubkey(),
            &b,
            index,
            preferences,
        )],
        g1,
        &[],
    );
    let (alice_before, bob_before) = (
        f.decode::<Patient>(&pda::patient(&a).0),
        f.decode::<Patient>(&pda::patient(&b).0),
    );
    let accounts = ExecuteGuardianPreferences {
        guardian: g1.pubkey(),
        patient: pda::patient(&b).0,
        guardian_set: pda::guardian_set(&b).0,
        proposal: pda::proposal(&b, index).0,
    };
    f.fails_with(
        &[set_flags(
            ix::execute_guardian_preferences(g1.pubkey(), &b, index),
            &g1.pubkey(),
            false,
            false,
        )],
        &s.w.bob,
        &[],
        anchor(Anchor::AccountNotSigner),
    );
    // Bob's proposal presented as alice's (her patient and set): the proposal is bob's.
    let i = ix::build(
        ExecuteGuardianPreferences {
            patient: pda::patient(&a).0,
            guardian_set: pda::guardian_set(&a).0,
            ..accounts
        },
        instruction::ExecuteGuardianPreferences {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    // Alice's set with bob's patient: the seeds say whose set it must be.
    let i = ix::build(
        ExecuteGuardianPreferences {
            guardian_set: pda::guardian_set(&a).0,
            ..accounts
        },
        instruction::ExecuteGuardianPreferences {},
    );
    f.fails_with(&[i], g1, &[], anchor(Anchor::ConstraintSeeds));
    assert_eq!(f.decode::<Patient>(&pda::patient(&a).0), alice_before);
    assert_eq!(f.decode::<Patient>(&pda::patient(&b).0), bob_before);
}
