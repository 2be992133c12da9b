//! The attack classes against the emergency instructions' accounts: missing
//! signers, owner checks, type cosplay, PDA substitution (another window,
//! another tracker, a window address that is not the next one),
//! re-initialisation and pre-funding. Accounts substituted by name.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::{EmergencyReason, Verdict};
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts::{EmergencyAccess, OpenEmergency, ReviewEmergency};
use health_data_exchange::error::HdxError;
use health_data_exchange::instruction;
use health_data_exchange::state::EmergencyWindow;
use solana_sdk::account::Account;

/// An emergency provider `er` with window 0 open on alice (record 0) and
/// window 1 open on bob.
struct Scene {
    w: World,
    er: Keypair,
}

fn scene() -> Scene {
    let w = world();
    let er = w.f.emergency_provider();
    w.f.open_emergency(&er, &w.alice.pubkey(), 1_800);
    w.f.open_emergency(&er, &w.bob.pubkey(), 1_800);
    Scene { w, er }
}

impl Scene {
    fn read(&self, patient: &Keypair, window: u32) -> EmergencyAccess {
        ix::emergency_access_accounts(
            self.er.pubkey(),
            &self.er.pubkey(),
            &patient.pubkey(),
            0,
            window,
            0,
        )
    }
}

#[test]
fn emergency_instructions_without_their_signers_are_refused() {
    let s = scene();
    let (f, a, e) = (&s.w.f, s.w.alice.pubkey(), s.er.pubkey());
    let mallory = f.funded();
    // The provider's key named but not signing: a read and a close.
    let read = set_flags(ix::emergency_access(e, &e, &a, 0, 0, 0), &e, false, false);
    f.fails_with(&[read], &mallory, &[], anchor(Anchor::AccountNotSigner));
    let close = set_flags(ix::close_emergency(e, &e, &a, 0), &e, false, false);
    f.fails_with(&[close], &mallory, &[], anchor(Anchor::AccountNotSigner));
    // The patient's authority named but not signing: end, acknowledge, preferences.
    for i in [
        ix::end_emergency(a, &a, &e, 0),
        ix::acknowledge_emergency(a, &a, 0),
        ix::set_emergency_preferences(a, &a, true, 0),
    ] {
        f.fails_with(
            &[set_flags(i, &a, false, false)],
            &mallory,
            &[],
            anchor(Anchor::AccountNotSigner),
        );
    }
    // The registry authority named but not signing: review, roles, policy.
    let auth = f.authority.pubkey();
    f.advance(1_800);
    for i in [
        ix::review_emergency(auth, &a, 0, Verdict::Justified),
        ix::set_provider_roles(auth, &mallory.pubkey(), 1),
        ix::set_emergency_policy(auth, 60, 60),
    ] {
        f.fails_with(
            &[set_flags(i, &auth, false, false)],
            &mallory,
            &[],
            anchor(Anchor::AccountNotSigner),
        );
    }
    let win: EmergencyWindow = f.decode(&pda::emergency_window(&a, 0).0);
    assert_eq!(
        (win.verdict, win.ended_at, win.acknowledged_at),
        (Verdict::Unreviewed, 0, 0)
    );
}

#[test]
fn a_forged_window_owned_by_another_program_is_refused() {
    let s = scene();
    let (f, a) = (&s.w.f, s.w.alice.pubkey());
    let real = f.account(&pda::emergency_window(&a, 0).0).unwrap();
    let fake = Pubkey::new_unique();
    f.ledger().set_account(
        &fake,
        Account {
            owner: Pubkey::new_unique(),
            ..real
        },
    );
    let i = ix::build(
        EmergencyAccess {
            window: fake,
            ..s.read(&s.w.alice, 0)
        },
        instruction::EmergencyAccess {},
    );
    f.fails_with(&[i], &s.er, &[], anchor(Anchor::AccountOwnedByWrongProgram));
    let i = ix::build(
        ReviewEmergency {
            window: fake,
            ..ix::review_emergency_accounts(f.authority.pubkey(), &a, 0)
        },
        instruction::ReviewEmergency {
            args: health_data_exchange::ReviewEmergencyArgs {
                verdict: Verdict::Justified,
            },
        },
    );
    f.fails_with(
        &[i],
        &f.authority,
        &[],
        anchor(Anchor::AccountOwnedByWrongProgram),
    );
    assert_eq!(f.log_len(&a), 1, "only the opening");
}

#[test]
fn our_other_accounts_cannot_pose_as_a_window_or_a_tracker() {
    let s = scene();
    let (f, a, e) = (&s.w.f, s.w.alice.pubkey(), s.er.pubkey());
    for window in [
        pda::consent(&a, &s.w.p.pubkey()).0, // Consent as EmergencyWindow
        pda::emergency_tracker(&a, &e).0,    // EmergencyTracker as EmergencyWindow
        pda::patient(&a).0,                  // Patient as EmergencyWindow
    ] {
        let i = ix::build(
            EmergencyAccess {
                window,
                ..s.read(&s.w.alice, 0)
            },
            instruction::EmergencyAccess {},
        );
        f.fails_with(
            &[i],
            &s.er,
            &[],
            anchor(Anchor::AccountDiscriminatorMismatch),
        );
    }
    // A window as the tracker when closing.
    let i = ix::build(
        health_data_exchange::accounts::CloseEmergency {
            tracker: pda::emergency_window(&a, 0).0,
            ..ix::close_emergency_accounts(e, &e, &a, 0)
        },
        instruction::CloseEmergency {},
    );
    f.fails_with(
        &[i],
        &s.er,
        &[],
        anchor(Anchor::AccountDiscriminatorMismatch),
    );
    assert_eq!(f.log_len(&a), 1);
}

#[test]
fn another_patients_window_or_tracker_is_refused() {
    let s = scene();
    let (f, a, b, e) = (&s.w.f, s.w.alice.pubkey(), s.w.bob.pubkey(), s.er.pubkey());
    // Bob's open window used to read alice's record.
    let i = ix::build(
        EmergencyAccess {
            window: pda::emergency_window(&b, 0).0,
            ..s.read(&s.w.alice, 0)
        },
        instruction::EmergencyAccess {},
    );
    f.fails_with(&[i], &s.er, &[], hdx(HdxError::EmergencyWindowMismatch));
    // Bob's record read through alice's window and patient account.
    let i = ix::build(
        EmergencyAccess {
            record: pda::record(&b, 0).0,
            ..s.read(&s.w.alice, 0)
        },
        instruction::EmergencyAccess {},
    );
    f.fails_with(&[i], &s.er, &[], hdx(HdxError::RecordPatientMismatch));
    // Closing alice's window with bob's tracker (to leave alice's cooldown clock untouched).
    let i = ix::build(
        health_data_exchange::accounts::CloseEmergency {
            tracker: pda::emergency_tracker(&b, &e).0,
            ..ix::close_emergency_accounts(e, &e, &a, 0)
        },
        instruction::CloseEmergency {},
    );
    f.fails_with(&[i], &s.er, &[], hdx(HdxError::EmergencyWindowMismatch));
    assert_eq!(f.log_len(&a), 1);
}

#[test]
fn an_opening_must_use_the_next_window_and_its_own_tracker() {
    let s = scene();
    let (f, a, e) = (&s.w.f, s.w.alice.pubkey(), s.er.pubkey());
    let other = f.emergency_provider();
    let o = other.pubkey();
    let base = ix::open_emergency_accounts(o, &o, &a, 1, 0);
    let args = || instruction::OpenEmergency {
        args: health_data_exchange::OpenEmergencyArgs {
            reason: EmergencyReason::UrgentTreatment,
            duration_secs: 600,
        },
    };
    for accounts in [
        // Re-initialising the existing window 0.
        OpenEmergency {
            window: pda::emergency_window(&a, 0).0,
            ..base
        },
        // Skipping ahead to window 5.
        OpenEmergency {
            window: pda::emergency_window(&a, 5).0,
            ..base
        },
        // Another provider's tracker (whose window is open), to dodge one-window-at-a-time.
        OpenEmergency {
            tracker: pda::emergency_tracker(&a, &e).0,
            ..base
        },
    ] {
        let i = ix::build(accounts, args());
        f.fails_with(&[i], &other, &[], anchor(Anchor::ConstraintSeeds));
    }
    // The right accounts open window 1.
    f.ok(&[ix::build(base, args())], &other, &[]);
    assert_eq!(f.log_len(&a), 2);
}

#[test]
fn pre_funded_window_and_tracker_addresses_do_not_block_an_opening() {
    let s = scene();
    let f = &s.w.f;
    let griefer = f.funded();
    let patient = f.patient();
    let t = patient.pubkey();
    let least = f.ledger().minimum_balance(0);
    for addr in [
        pda::emergency_window(&t, 0).0,
        pda::emergency_tracker(&t, &s.er.pubkey()).0,
    ] {
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
    assert_eq!(f.open_emergency(&s.er, &t, 600), 0);
    let w: EmergencyWindow = f.decode(&pda::emergency_window(&t, 0).0);
    assert_eq!(w.patient, t);
}
