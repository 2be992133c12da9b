//! Emergency ("break-the-glass") access, every rule pinned with exact
//! errors, exact logged outcomes and exact account contents: who may open
//! (the role, the patient's opt-out), how long (the policy), what may be
//! read (excluded categories), how a window ends (expiry with no
//! transaction, closed by the provider, ended by the patient, suspension),
//! the cooldown and one open window per pair, and the review.

use hdx_sdk::client::{ClientError, WindowFilter};
use hdx_sdk::codes::{Action, EmergencyReason, EndedBy, Verdict, ALL_CATEGORIES, ROLE_EMERGENCY};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{
    EmergencyTracker, EmergencyWindow, Patient, Registry, LAYOUT_VERSION, NO_CATEGORY, NO_RECORD,
};

const HOUR: i64 = 3_600;

/// A patient with a lab result (0) and a mental-health note (1), and an
/// emergency provider with no consent.
fn scene(f: &Fixture) -> (Keypair, Keypair) {
    let er = f.emergency_provider();
    let patient = f.patient();
    f.record(&patient, Category::LabResults);
    f.record(&patient, Category::MentalHealth);
    (er, patient)
}

#[track_caller]
fn denied(r: Result<hdx_sdk::client::Granted, ClientError>, outcome: Outcome) -> u64 {
    match r {
        Err(ClientError::Denied(d)) => {
            assert_eq!(d.reason, outcome);
            d.sequence
        }
        other => panic!("expected {outcome:?}, got {other:?}"),
    }
}

#[test]
fn the_default_policy_is_one_hour_and_a_day_and_only_the_authority_changes_it() {
    let f = Fixture::new();
    let r: Registry = f.decode(&f.registry_address());
    assert_eq!(
        (r.emergency.max_secs, r.emergency.cooldown_secs),
        (3_600, 86_400)
    );
    let stranger = f.funded();
    f.fails_with(
        &[ix::set_emergency_policy(stranger.pubkey(), 60, 60)],
        &stranger,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    for (max, cooldown) in [(0, 60), (7 * 86_400 + 1, 60), (60, 30 * 86_400 + 1)] {
        f.fails_with(
            &[ix::set_emergency_policy(
                f.authority.pubkey(),
                max,
                cooldown,
            )],
            &f.authority,
            &[],
            hdx(HdxError::InvalidEmergencyPolicy),
        );
    }
    f.ok(
        &[ix::set_emergency_policy(
            f.authority.pubkey(),
            7 * 86_400,
            0,
        )],
        &f.authority,
        &[],
    );
    let r: Registry = f.decode(&f.registry_address());
    assert_eq!(
        (r.emergency.max_secs, r.emergency.cooldown_secs),
        (7 * 86_400, 0)
    );
}

#[test]
fn only_a_provider_with_the_emergency_role_opens_and_only_the_authority_gives_it() {
    let f = Fixture::new();
    let plain = f.verified_provider();
    let patient = f.patient();
    let p = patient.pubkey();
    f.fails_with(
        &[f.open_emergency_ix(&plain, &p, 600)],
        &plain,
        &[],
        hdx(HdxError::NoEmergencyRole),
    );
    // Roles: only the authority, only known bits.
    f.fails_with(
        &[ix::set_provider_roles(
            plain.pubkey(),
            &plain.pubkey(),
            ROLE_EMERGENCY,
        )],
        &plain,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    f.fails_with(
        &[ix::set_provider_roles(
            f.authority.pubkey(),
            &plain.pubkey(),
            0b10,
        )],
        &f.authority,
        &[],
        hdx(HdxError::InvalidRoles),
    );
    assert_eq!(f.log_len(&p), 0);
    assert!(f.account(&pda::emergency_window(&p, 0).0).is_none());
    // An unverified provider with the role is refused as unverified.
    let pending = f.provider(hdx_sdk::codes::ProviderKind::Hospital, false);
    f.ok(
        &[ix::set_provider_roles(
            f.authority.pubkey(),
            &pending.pubkey(),
            ROLE_EMERGENCY,
        )],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[f.open_emergency_ix(&pending, &p, 600)],
        &pending,
        &[],
        hdx(HdxError::ProviderNotVerified),
    );
}

#[test]
fn opening_creates_the_window_the_tracker_and_a_logged_entry_with_its_reason() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let opened_at = f.now();
    f.ok(&[f.open_emergency_ix(&er, &p, 1_800)], &er, &[]);
    let (addr, bump) = pda::emergency_window(&p, 0);
    assert_eq!(
        f.decode::<EmergencyWindow>(&addr),
        EmergencyWindow {
            patient: p,
            provider: er.pubkey(),
            verdict: Verdict::Unreviewed,
            ended_by: EndedBy::NotEnded,
            reason: EmergencyReason::PatientCannotConsent,
            version: LAYOUT_VERSION,
            bump,
            index: 0,
            reads: 0,
            opened_at,
            expires_at: opened_at + 1_800,
            ended_at: 0,
            reviewed_at: 0,
            acknowledged_at: 0,
            reserved: [0; EmergencyWindow::RESERVED],
        }
    );
    let (taddr, tbump) = pda::emergency_tracker(&p, &er.pubkey());
    assert_eq!(
        f.decode::<EmergencyTracker>(&taddr),
        EmergencyTracker {
            patient: p,
            provider: er.pubkey(),
            version: LAYOUT_VERSION,
            bump: tbump,
            last_window: 0,
            last_ends_at: opened_at + 1_800,
            reserved: [0; EmergencyTracker::RESERVED],
        }
    );
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&p).0).emergency_windows,
        1
    );
    let e = f.last_entry(&p);
    assert_eq!(e.sequence, 0);
    assert_eq!(
        (
            e.entry.action,
            e.entry.outcome,
            e.entry.purpose,
            e.entry.category
        ),
        (
            Action::EmergencyOpen.code(),
            Outcome::Granted.code(),
            Purpose::EmergencyTreatment.code(),
            NO_CATEGORY
        )
    );
    // The entry names the window (whose reason it is), not a consent.
    assert_eq!(
        (e.entry.record_index, e.entry.basis, e.entry.provider),
        (NO_RECORD, 0, f.number(&er))
    );
    assert!(f.log(&p).verify().is_ok());
}

#[test]
fn inside_the_window_reads_are_logged_as_emergency_reads_and_a_consent_still_works() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let w = f.open_emergency(&er, &p, 600);
    let g = f.emergency_read(&er, &p, 0, w).unwrap();
    assert_eq!(
        (g.sequence, g.record_index, g.locator.as_slice()),
        (1, 0, b"vault://0".as_slice())
    );
    let e = f.last_entry(&p).entry;
    assert_eq!(
        (
            e.action,
            e.purpose,
            e.outcome,
            e.basis,
            e.record_index,
            e.category
        ),
        (
            Action::EmergencyRead.code(),
            Purpose::EmergencyTreatment.code(),
            Outcome::Granted.code(),
            w,
            0,
            Category::LabResults.code()
        )
    );
    assert_eq!(
        f.decode::<EmergencyWindow>(&pda::emergency_window(&p, w).0)
            .reads,
        1
    );
    // A consent the patient granted works as before, inside the window too.
    f.grant_read(&patient, &er, Category::LabResults, Purpose::Treatment);
    assert_eq!(
        f.access(&er, &patient, 0, Purpose::Treatment)
            .unwrap()
            .sequence,
        2
    );
    assert_eq!(f.last_entry(&p).entry.action, Action::Read.code());
    // Another provider's window cannot be used; nor a record of another patient.
    let other = f.emergency_provider();
    f.fails_with(
        &[f.emergency_read_ix(&other, &p, 0, w)],
        &other,
        &[],
        hdx(HdxError::EmergencyWindowMismatch),
    );
    let someone = f.patient();
    f.record(&someone, Category::LabResults);
    let mut ix = f.emergency_read_ix(&er, &p, 0, w);
    ix.accounts[4].pubkey = pda::record(&someone.pubkey(), 0).0;
    f.fails_with(&[ix], &er, &[], hdx(HdxError::RecordPatientMismatch));
    assert_eq!(f.log_len(&p), 3);
}

#[test]
fn the_window_ends_on_its_own_with_no_transaction() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let w = f.open_emergency(&er, &p, 600);
    f.advance(599);
    f.emergency_read(&er, &p, 0, w).unwrap();
    f.advance(1);
    denied(
        f.emergency_read(&er, &p, 0, w),
        Outcome::EmergencyWindowEnded,
    );
    assert_eq!(
        f.decode::<EmergencyWindow>(&pda::emergency_window(&p, w).0)
            .reads,
        1
    );
    // Closing an expired window is refused by name.
    f.fails_with(
        &[ix::close_emergency(er.pubkey(), &er.pubkey(), &p, w)],
        &er,
        &[],
        hdx(HdxError::EmergencyWindowEnded),
    );
}

#[test]
fn durations_outside_the_policy_are_refused() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    for d in [0, 3_601] {
        f.fails_with(
            &[f.open_emergency_ix(&er, &p, d)],
            &er,
            &[],
            hdx(HdxError::EmergencyDurationInvalid),
        );
    }
    f.ok(&[f.open_emergency_ix(&er, &p, 3_600)], &er, &[]);
}

#[test]
fn one_open_window_per_pair_then_the_cooldown_from_its_end() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let w0 = f.open_emergency(&er, &p, 600);
    f.fails_with(
        &[f.open_emergency_ix(&er, &p, 600)],
        &er,
        &[],
        hdx(HdxError::EmergencyWindowAlreadyOpen),
    );
    // Another emergency provider is not held back by this one's window.
    let other = f.emergency_provider();
    f.open_emergency(&other, &p, 600);
    // After the end, the cooldown (24 h by default) counts from the expiry.
    f.advance(600);
    f.fails_with(
        &[f.open_emergency_ix(&er, &p, 600)],
        &er,
        &[],
        hdx(HdxError::EmergencyCooldown),
    );
    f.advance(24 * HOUR - 1);
    f.fails_with(
        &[f.open_emergency_ix(&er, &p, 600)],
        &er,
        &[],
        hdx(HdxError::EmergencyCooldown),
    );
    f.advance(1);
    let w2 = f.open_emergency(&er, &p, 600);
    assert_eq!((w0, w2), (0, 2));
    let t: EmergencyTracker = f.decode(&pda::emergency_tracker(&p, &er.pubkey()).0);
    assert_eq!((t.last_window, t.last_ends_at), (2, f.now() + 600));
}

#[test]
fn closed_early_by_the_provider_or_ended_by_the_patient_the_window_is_over_at_once() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let w = f.open_emergency(&er, &p, 3_600);
    f.advance(60);
    // Only the provider's key closes it.
    let stranger = f.funded();
    f.fails_with(
        &[ix::close_emergency(stranger.pubkey(), &er.pubkey(), &p, w)],
        &stranger,
        &[],
        hdx(HdxError::NotProviderKey),
    );
    f.ok(
        &[ix::close_emergency(er.pubkey(), &er.pubkey(), &p, w)],
        &er,
        &[],
    );
    let closed_at = f.now();
    let win: EmergencyWindow = f.decode(&pda::emergency_window(&p, w).0);
    assert_eq!((win.ended_at, win.ended_by), (closed_at, EndedBy::Provider));
    denied(
        f.emergency_read(&er, &p, 0, w),
        Outcome::EmergencyWindowEnded,
    );
    f.fails_with(
        &[ix::close_emergency(er.pubkey(), &er.pubkey(), &p, w)],
        &er,
        &[],
        hdx(HdxError::EmergencyWindowEnded),
    );
    // The cooldown counts from the close, not from the planned expiry.
    let t: EmergencyTracker = f.decode(&pda::emergency_tracker(&p, &er.pubkey()).0);
    assert_eq!(t.last_ends_at, closed_at);
    f.advance(24 * HOUR);
    let w2 = f.open_emergency(&er, &p, 3_600);
    // The patient ends it; only the patient's authority can.
    f.fails_with(
        &[ix::end_emergency(stranger.pubkey(), &p, &er.pubkey(), w2)],
        &stranger,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.ok(&[ix::end_emergency(p, &p, &er.pubkey(), w2)], &patient, &[]);
    let win: EmergencyWindow = f.decode(&pda::emergency_window(&p, w2).0);
    assert_eq!((win.ended_at, win.ended_by), (f.now(), EndedBy::Patient));
    denied(
        f.emergency_read(&er, &p, 0, w2),
        Outcome::EmergencyWindowEnded,
    );
    // Another patient cannot end it, even passing this patient's window.
    let other = f.patient();
    let substituted = ix::build(
        health_data_exchange::accounts::EndEmergency {
            window: pda::emergency_window(&p, w2).0,
            tracker: pda::emergency_tracker(&p, &er.pubkey()).0,
            ..ix::end_emergency_accounts(other.pubkey(), &other.pubkey(), &er.pubkey(), w2)
        },
        health_data_exchange::instruction::EndEmergency {},
    );
    f.fails_with(
        &[substituted],
        &other,
        &[],
        hdx(HdxError::EmergencyWindowMismatch),
    );
}

#[test]
fn the_patients_opt_out_and_exclusions_take_effect_in_the_next_transaction() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    // Excluding mental health: that record is denied, the lab result is not.
    f.ok(
        &[ix::set_emergency_preferences(
            p,
            &p,
            false,
            Category::MentalHealth.bit(),
        )],
        &patient,
        &[],
    );
    let w = f.open_emergency(&er, &p, 3_600);
    denied(
        f.emergency_read(&er, &p, 1, w),
        Outcome::EmergencyCategoryExcluded,
    );
    f.emergency_read(&er, &p, 0, w).unwrap();
    // Opting out mid-window: the next read is denied (logged), and no new window opens.
    f.ok(
        &[ix::set_emergency_preferences(p, &p, true, 0)],
        &patient,
        &[],
    );
    let pa: Patient = f.decode(&pda::patient(&p).0);
    assert_eq!((pa.emergency.opt_out, pa.emergency.excluded), (true, 0));
    denied(f.emergency_read(&er, &p, 0, w), Outcome::EmergencyOptedOut);
    let other = f.emergency_provider();
    f.fails_with(
        &[f.open_emergency_ix(&other, &p, 600)],
        &other,
        &[],
        hdx(HdxError::EmergencyOptedOut),
    );
    // Preferences: only the patient's authority, only known category bits.
    f.fails_with(
        &[ix::set_emergency_preferences(er.pubkey(), &p, false, 0)],
        &er,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.fails_with(
        &[ix::set_emergency_preferences(p, &p, false, !ALL_CATEGORIES)],
        &patient,
        &[],
        hdx(HdxError::UnknownCategoryBits),
    );
    let outcomes: Vec<u8> = f
        .log(&p)
        .entries()
        .iter()
        .map(|e| e.entry.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Granted.code(), // open
            Outcome::EmergencyCategoryExcluded.code(),
            Outcome::Granted.code(),
            Outcome::EmergencyOptedOut.code()
        ]
    );
}

#[test]
fn suspension_or_losing_the_role_ends_emergency_access_at_once() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let w = f.open_emergency(&er, &p, 3_600);
    f.ok(
        &[ix::suspend_provider(f.authority.pubkey(), &er.pubkey())],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[f.emergency_read_ix(&er, &p, 0, w)],
        &er,
        &[],
        hdx(HdxError::ProviderSuspended),
    );
    f.ok(
        &[ix::reinstate_provider(f.authority.pubkey(), &er.pubkey())],
        &f.authority,
        &[],
    );
    f.emergency_read(&er, &p, 0, w).unwrap();
    f.ok(
        &[ix::set_provider_roles(
            f.authority.pubkey(),
            &er.pubkey(),
            0,
        )],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[f.emergency_read_ix(&er, &p, 0, w)],
        &er,
        &[],
        hdx(HdxError::NoEmergencyRole),
    );
    // Pausing refuses opening and reading alike.
    f.ok(
        &[ix::set_provider_roles(
            f.authority.pubkey(),
            &er.pubkey(),
            ROLE_EMERGENCY,
        )],
        &f.authority,
        &[],
    );
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[f.emergency_read_ix(&er, &p, 0, w)],
        &er,
        &[],
        hdx(HdxError::ProgramPaused),
    );
    let other = f.emergency_provider();
    f.fails_with(
        &[f.open_emergency_ix(&other, &p, 60)],
        &other,
        &[],
        hdx(HdxError::ProgramPaused),
    );
    // Two entries only: the opening and the one granted read.
    assert_eq!(f.log_len(&p), 2);
}

#[test]
fn every_window_is_reviewed_once_by_the_authority_after_it_ends_and_the_patient_acknowledges() {
    let f = Fixture::new();
    let (er, patient) = scene(&f);
    let p = patient.pubkey();
    let w = f.open_emergency(&er, &p, 600);
    let a = f.authority.pubkey();
    let unreviewed = |f: &Fixture| {
        f.client
            .emergency_windows(WindowFilter {
                unreviewed: true,
                ..WindowFilter::default()
            })
            .unwrap()
            .iter()
            .map(|w| (w.patient, w.index))
            .collect::<Vec<_>>()
    };
    assert_eq!(unreviewed(&f), [(p, w)]);
    f.fails_with(
        &[ix::review_emergency(a, &p, w, Verdict::Justified)],
        &f.authority,
        &[],
        hdx(HdxError::EmergencyWindowStillOpen),
    );
    f.advance(600);
    f.fails_with(
        &[ix::review_emergency(er.pubkey(), &p, w, Verdict::Justified)],
        &er,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    f.fails_with(
        &[ix::review_emergency(a, &p, w, Verdict::Unreviewed)],
        &f.authority,
        &[],
        hdx(HdxError::InvalidVerdict),
    );
    f.ok(
        &[ix::review_emergency(a, &p, w, Verdict::NotJustified)],
        &f.authority,
        &[],
    );
    let win: EmergencyWindow = f.decode(&pda::emergency_window(&p, w).0);
    assert_eq!(
        (win.verdict, win.reviewed_at),
        (Verdict::NotJustified, f.now())
    );
    assert!(unreviewed(&f).is_empty());
    f.fails_with(
        &[ix::review_emergency(a, &p, w, Verdict::Justified)],
        &f.authority,
        &[],
        hdx(HdxError::AlreadyReviewed),
    );
    // The patient acknowledges, once; nobody else can.
    f.fails_with(
        &[ix::acknowledge_emergency(er.pubkey(), &p, w)],
        &er,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.ok(&[ix::acknowledge_emergency(p, &p, w)], &patient, &[]);
    assert_eq!(
        f.decode::<EmergencyWindow>(&pda::emergency_window(&p, w).0)
            .acknowledged_at,
        f.now()
    );
    f.fails_with(
        &[ix::acknowledge_emergency(p, &p, w)],
        &patient,
        &[],
        hdx(HdxError::AlreadyAcknowledged),
    );
    // Filters by patient and provider.
    let mine = f
        .client
        .emergency_windows(WindowFilter {
            provider: Some(er.pubkey()),
            ..WindowFilter::default()
        })
        .unwrap();
    assert_eq!(mine.len(), 1);
}
