//! The attack classes against the guardian instructions' accounts: missing
//! signers (a guardian, the recovery key, the patient), owner checks, type
//! cosplay, another patient's set or proposal substituted, pre-funding.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::{GuardianMode, ProposalKind};
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts::{Approve, ExecuteGrant};
use health_data_exchange::error::HdxError;
use health_data_exchange::instruction;
use health_data_exchange::state::{Consent, GuardianSet};
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
        &[ix::propose(
            g[0].pubkey(),
            &w.bob.pubkey(),
            0,
            ix::propose_grant_args(ProposalKind::Grant, &w.p.pubkey(), terms),
        )],
        &g[0],
        &[],
    );
    w.f.ok(
        &[ix::propose(
            g[0].pubkey(),
            &w.alice.pubkey(),
            0,
            ix::propose_recovery_args(ProposalKind::Recover, Pubkey::new_unique(), false),
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
        &[set_flags(ix::approve(g1, &b, 0), &g1, false, false)],
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
        &[ix::propose(
            s.g[0].pubkey(),
            &a,
            1,
            ix::propose_recovery_args(ProposalKind::Recover, new_key.pubkey(), false),
        )],
        &s.g[0],
        &[],
    );
    f.ok(&[ix::approve(g1, &a, 1)], &s.g[1], &[]);
    f.fails_with(
        &[set_flags(
            ix::execute_recovery(g1, &a, 1, new_key.pubkey()),
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
        Approve {
            guardian_set: pda::guardian_set(&a).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        instruction::Approve {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    // Execute bob's proposal with alice's set (the seeds say whose set it must be).
    f.ok(&[ix::approve(g1.pubkey(), &b, 0)], g1, &[]);
    let i = ix::build(
        ExecuteGrant {
            guardian_set: pda::guardian_set(&a).0,
            ..ix::execute_grant_accounts(g1.pubkey(), &b, 0, &s.w.p.pubkey())
        },
        instruction::ExecuteGrant {},
    );
    f.fails_with(&[i], g1, &[], anchor(Anchor::ConstraintSeeds));
    // Alice's recovery proposal executed as bob's.
    let i = ix::build(
        ExecuteGrant {
            proposal: pda::proposal(&a, 0).0,
            ..ix::execute_grant_accounts(g1.pubkey(), &b, 0, &s.w.p.pubkey())
        },
        instruction::ExecuteGrant {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    // The consent goes to the provider the proposal names, not another.
    let other = f.verified_provider();
    let i = ix::build(
        ExecuteGrant {
            provider: pda::provider(&other.pubkey()).0,
            consent: pda::consent(&b, &other.pubkey()).0,
            ..ix::execute_grant_accounts(g1.pubkey(), &b, 0, &s.w.p.pubkey())
        },
        instruction::ExecuteGrant {},
    );
    f.fails_with(&[i], g1, &[], hdx(HdxError::ProposalMismatch));
    f.ok(
        &[ix::execute_grant(g1.pubkey(), &b, 0, &s.w.p.pubkey())],
        g1,
        &[],
    );
    assert_eq!(
        f.decode::<Consent>(&pda::consent(&b, &s.w.p.pubkey()).0)
            .provider,
        s.w.p.pubkey()
    );
}

fn ix_approve_accounts(guardian: Pubkey, patient: &Pubkey, index: u32) -> Approve {
    Approve {
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
        Approve {
            guardian_set: fake,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        instruction::Approve {},
    );
    f.fails_with(&[i], g1, &[], anchor(Anchor::AccountOwnedByWrongProgram));
    // Type cosplay: the proposal as the set, the set as the proposal, a consent as the proposal.
    for accounts in [
        Approve {
            guardian_set: pda::proposal(&b, 0).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        Approve {
            proposal: pda::guardian_set(&b).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
        Approve {
            proposal: pda::consent(&s.w.alice.pubkey(), &s.w.p.pubkey()).0,
            ..ix_approve_accounts(g1.pubkey(), &b, 0)
        },
    ] {
        f.fails_with(
            &[ix::build(accounts, instruction::Approve {})],
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
    let least = f.ledger().minimum_balance(0).unwrap();
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
        &[ix::propose(
            g.pubkey(),
            &t,
            0,
            ix::propose_recovery_args(ProposalKind::Recover, Pubkey::new_unique(), false),
        )],
        &g,
        &[],
    );
}
