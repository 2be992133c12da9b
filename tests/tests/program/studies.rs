//! Research studies, every rule pinned with exact errors and exact account
//! contents: who may create one (a verified researcher), approve it (the
//! registry authority) and close it (the sponsor or the authority); who may
//! enrol a patient (the patient's authority) and withdraw (the patient or
//! any one guardian); and what a custodian's release must hold (the study's
//! custodian, an approved open study, budget left, a cohort of at least k
//! and at most the enrolled), each release chained into the study's log.

use hdx_sdk::codes::{DuoTerm, GuardianMode, ProviderKind, StudyStatus, MAX_STUDY_DURATION_SECS};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::codes::{MAX_STUDY_EPSILON_MILLI, MIN_STUDY_COHORT};
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{
    Enrollment, Patient, ReleaseFacts, Study, StudyRelease, StudyTerms, LAYOUT_VERSION,
};

const LABS: u16 = 1 << 0;
const VITALS: u16 = 1 << 8;

/// Terms of an HMB study of lab results and vital signs, k = 5, epsilon 1.0,
/// enrolment open 30 days.
fn terms(f: &Fixture, custodian: Pubkey) -> StudyTerms {
    StudyTerms {
        custodian,
        duo: DuoTerm::HealthMedicalBiomedical.bit() | DuoTerm::IrbRequired.bit(),
        disease: 0,
        categories: LABS | VITALS,
        from_day: 0,
        to_day: 0,
        min_cohort: MIN_STUDY_COHORT,
        irb_commitment: [9; 32],
        epsilon_milli: 1_000,
        enrollment_closes_at: f.now() + 30 * DAY,
        use_until: 0,
    }
}

struct Scene {
    researcher: Keypair,
    custodian: Keypair,
    study: Pubkey,
}

/// A verified researcher's study 7, created with `terms` (not yet approved).
fn proposed(f: &Fixture, edit: impl FnOnce(&mut StudyTerms)) -> Scene {
    let researcher = f.provider(ProviderKind::Researcher, true);
    let custodian = f.funded();
    let mut t = terms(f, custodian.pubkey());
    edit(&mut t);
    f.ok(
        &[ix::create_study(
            researcher.pubkey(),
            &researcher.pubkey(),
            7,
            t,
        )],
        &researcher,
        &[],
    );
    Scene {
        study: pda::study(&researcher.pubkey(), 7).0,
        researcher,
        custodian,
    }
}

fn approved(f: &Fixture) -> Scene {
    let s = proposed(f, |_| {});
    f.ok(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
    );
    s
}

fn enroll(f: &Fixture, s: &Scene, patient: &Keypair) {
    f.ok(
        &[ix::enroll_in_study(
            patient.pubkey(),
            &patient.pubkey(),
            s.study,
            LABS,
            f.now() + 365 * DAY,
        )],
        patient,
        &[],
    );
}

/// An approved study with `n` patients enrolled.
fn with_cohort(f: &Fixture, n: usize) -> (Scene, Vec<Keypair>) {
    let s = approved(f);
    let patients: Vec<Keypair> = (0..n).map(|_| f.patient()).collect();
    for p in &patients {
        enroll(f, &s, p);
    }
    (s, patients)
}

fn slot(f: &Fixture) -> u64 {
    let clock = f
        .account(&solana_sdk::sysvar::clock::ID)
        .expect("the Clock sysvar");
    bincode::deserialize::<solana_sdk::clock::Clock>(&clock.data)
        .expect("a Clock")
        .slot
}

fn facts(f: &Fixture, epsilon_milli: u64, cohort_size: u32) -> ReleaseFacts {
    ReleaseFacts {
        query_hash: [1; 32],
        epsilon_milli,
        cohort_size,
        cohort_hash: [2; 32],
        cohort_slot: slot(f),
    }
}

fn release_ix(f: &Fixture, s: &Scene, facts: ReleaseFacts) -> Instruction {
    let index = f.decode::<Study>(&s.study).releases;
    ix::record_release(
        s.custodian.pubkey(),
        &s.researcher.pubkey(),
        s.study,
        index,
        facts,
    )
}

fn release(f: &Fixture, s: &Scene, facts: ReleaseFacts) {
    f.ok(&[release_ix(f, s, facts)], &s.custodian, &[]);
}

#[track_caller]
fn refused_release(f: &Fixture, s: &Scene, facts: ReleaseFacts, e: HdxError) {
    let before = f.decode::<Study>(&s.study);
    f.fails_with(&[release_ix(f, s, facts)], &s.custodian, &[], hdx(e));
    assert_eq!(f.decode::<Study>(&s.study), before, "nothing changed");
    assert!(f
        .account(&pda::study_release(&s.study, before.releases).0)
        .is_none());
}

use hdx_sdk::accounts::offsets;
use solana_sdk::instruction::Instruction;

fn key_at(data: &[u8], offset: usize) -> Pubkey {
    Pubkey::try_from(&data[offset..offset + 32]).unwrap()
}

#[test]
fn a_study_is_created_proposed_then_approved_then_closed_with_exact_contents() {
    let f = Fixture::new();
    let created_at = f.now();
    let s = proposed(&f, |_| {});
    let t = terms(&f, s.custodian.pubkey());
    let (address, bump) = pda::study(&s.researcher.pubkey(), 7);
    assert_eq!(address, s.study);
    let mut expected = Study {
        sponsor: s.researcher.pubkey(),
        custodian: s.custodian.pubkey(),
        number: 7,
        status: StudyStatus::Proposed,
        version: LAYOUT_VERSION,
        bump,
        enrolled: 0,
        releases: 0,
        epsilon_spent_milli: 0,
        created_at,
        approved_at: 0,
        closed_at: 0,
        log_head: Study::genesis_head(&address),
        terms: t,
        reserved: [0; Study::RESERVED],
    };
    assert_eq!(f.decode::<Study>(&s.study), expected);
    let data = f.account(&s.study).unwrap().data;
    assert_eq!(data.len(), Study::SPACE, "the study's size");
    assert_eq!(key_at(&data, offsets::STUDY_SPONSOR), s.researcher.pubkey());
    assert_eq!(
        key_at(&data, offsets::STUDY_CUSTODIAN),
        s.custodian.pubkey()
    );

    f.advance(60);
    f.ok(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
    );
    expected.status = StudyStatus::Approved;
    expected.approved_at = created_at + 60;
    assert_eq!(f.decode::<Study>(&s.study), expected);
    // Approved once.
    f.fails_with(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
        hdx(HdxError::StudyNotProposed),
    );

    f.advance(60);
    f.ok(
        &[ix::close_study(
            s.researcher.pubkey(),
            &s.researcher.pubkey(),
            s.study,
        )],
        &s.researcher,
        &[],
    );
    expected.status = StudyStatus::Closed;
    expected.closed_at = created_at + 120;
    assert_eq!(f.decode::<Study>(&s.study), expected);
    for (signer, e) in [
        (&s.researcher, HdxError::StudyAlreadyClosed),
        (&f.authority, HdxError::StudyAlreadyClosed),
    ] {
        f.fails_with(
            &[ix::close_study(
                signer.pubkey(),
                &s.researcher.pubkey(),
                s.study,
            )],
            signer,
            &[],
            hdx(e),
        );
    }
    // A closed study is not approved again.
    f.fails_with(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
        hdx(HdxError::StudyNotProposed),
    );
}

#[test]
fn only_a_verified_researcher_creates_a_study_and_only_the_authority_approves_it() {
    let f = Fixture::new();
    let custodian = Pubkey::new_unique();
    let create = |p: &Keypair, signer: &Keypair, number: u32| {
        ix::create_study(signer.pubkey(), &p.pubkey(), number, terms(&f, custodian))
    };
    // A hospital is no sponsor; an unverified researcher neither.
    let hospital = f.verified_provider();
    f.fails_with(
        &[create(&hospital, &hospital, 1)],
        &hospital,
        &[],
        hdx(HdxError::NotResearcher),
    );
    let pending = f.provider(ProviderKind::Researcher, false);
    f.fails_with(
        &[create(&pending, &pending, 1)],
        &pending,
        &[],
        hdx(HdxError::ProviderNotVerified),
    );
    // Another key cannot create for a researcher.
    let researcher = f.provider(ProviderKind::Researcher, true);
    let stranger = f.funded();
    f.fails_with(
        &[create(&researcher, &stranger, 1)],
        &stranger,
        &[],
        hdx(HdxError::NotProviderKey),
    );
    // A suspended researcher cannot.
    f.ok(&[create(&researcher, &researcher, 1)], &researcher, &[]);
    // One study per (sponsor, number).
    f.fails_with(
        &[create(&researcher, &researcher, 1)],
        &researcher,
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    let study = pda::study(&researcher.pubkey(), 1).0;
    // Only the registry authority approves; the sponsor cannot approve its own.
    f.fails_with(
        &[ix::approve_study(researcher.pubkey(), study)],
        &researcher,
        &[],
        hdx(HdxError::NotRegistryAuthority),
    );
    // Only the sponsor or the authority closes it.
    f.fails_with(
        &[ix::close_study(
            stranger.pubkey(),
            &researcher.pubkey(),
            study,
        )],
        &stranger,
        &[],
        hdx(HdxError::NotStudySponsor),
    );
    // The provider account passed must be the sponsor's.
    f.fails_with(
        &[ix::close_study(
            hospital.pubkey(),
            &hospital.pubkey(),
            study,
        )],
        &hospital,
        &[],
        hdx(HdxError::NotStudySponsor),
    );
    f.ok(
        &[ix::close_study(
            f.authority.pubkey(),
            &researcher.pubkey(),
            study,
        )],
        &f.authority,
        &[],
    );
    assert_eq!(f.decode::<Study>(&study).status, StudyStatus::Closed);
    f.ok(
        &[ix::suspend_provider(
            f.authority.pubkey(),
            &researcher.pubkey(),
        )],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[create(&researcher, &researcher, 2)],
        &researcher,
        &[],
        hdx(HdxError::ProviderSuspended),
    );
}

#[test]
fn study_terms_are_checked_at_every_bound() {
    let f = Fixture::new();
    let researcher = f.provider(ProviderKind::Researcher, true);
    let now = f.now();
    let mut number = 0;
    let mut try_terms = |edit: &dyn Fn(&mut StudyTerms), expected: Option<HdxError>| {
        number += 1;
        let mut t = terms(&f, Pubkey::new_unique());
        edit(&mut t);
        let ixs = [ix::create_study(
            researcher.pubkey(),
            &researcher.pubkey(),
            number,
            t,
        )];
        match expected {
            None => {
                f.ok(&ixs, &researcher, &[]);
                let study = f.decode::<Study>(&pda::study(&researcher.pubkey(), number).0);
                assert_eq!(study.terms, t);
            }
            Some(e) => f.fails_with(&ixs, &researcher, &[], hdx(e)),
        }
    };
    use HdxError::*;
    let hmb = DuoTerm::HealthMedicalBiomedical.bit();
    let gru = DuoTerm::GeneralResearchUse.bit();
    let ds = DuoTerm::DiseaseSpecific.bit();
    let irb = DuoTerm::IrbRequired.bit();
    let ts = DuoTerm::TimeLimit.bit();
    try_terms(&|t| t.custodian = Pubkey::default(), Some(InvalidCustodian));
    try_terms(&|t| t.duo = 1 << 7, Some(UnknownDuoBits));
    try_terms(&|t| t.duo = u16::MAX, Some(UnknownDuoBits));
    try_terms(&|t| t.duo = irb, Some(InvalidDuoPermission));
    try_terms(&|t| t.duo = gru | hmb, Some(InvalidDuoPermission));
    try_terms(&|t| t.duo = ds, Some(InvalidDuoPermission));
    try_terms(&|t| t.disease = 1, Some(InvalidDuoPermission));
    try_terms(
        &|t| {
            t.duo = ds;
            t.disease = 5_016; // MONDO:0005016
        },
        None,
    );
    try_terms(&|t| t.irb_commitment = [0; 32], Some(MissingIrbCommitment));
    try_terms(
        &|t| {
            t.duo = gru;
            t.irb_commitment = [0; 32];
        },
        None,
    );
    try_terms(&|t| t.categories = 0, Some(EmptyCategories));
    try_terms(&|t| t.categories = 1 << 14, Some(UnknownCategoryBits));
    try_terms(&|t| t.from_day = 1, Some(InvalidDateRange));
    try_terms(
        &|t| {
            t.from_day = 10;
            t.to_day = 9;
        },
        Some(InvalidDateRange),
    );
    try_terms(
        &|t| {
            t.from_day = 10;
            t.to_day = 10;
        },
        None,
    );
    try_terms(
        &|t| t.min_cohort = MIN_STUDY_COHORT - 1,
        Some(StudyCohortTooSmall),
    );
    try_terms(&|t| t.min_cohort = 0, Some(StudyCohortTooSmall));
    try_terms(&|t| t.min_cohort = u32::MAX, None);
    try_terms(&|t| t.epsilon_milli = 0, Some(InvalidStudyBudget));
    try_terms(
        &|t| t.epsilon_milli = MAX_STUDY_EPSILON_MILLI + 1,
        Some(InvalidStudyBudget),
    );
    try_terms(&|t| t.epsilon_milli = u64::MAX, Some(InvalidStudyBudget));
    try_terms(&|t| t.epsilon_milli = MAX_STUDY_EPSILON_MILLI, None);
    try_terms(&|t| t.epsilon_milli = 1, None);
    try_terms(&|t| t.enrollment_closes_at = now, Some(InvalidStudyTimes));
    try_terms(
        &|t| t.enrollment_closes_at = i64::MIN,
        Some(InvalidStudyTimes),
    );
    try_terms(
        &|t| t.enrollment_closes_at = i64::MAX,
        Some(InvalidStudyTimes),
    );
    try_terms(
        &|t| t.enrollment_closes_at = now + MAX_STUDY_DURATION_SECS + 1,
        Some(InvalidStudyTimes),
    );
    try_terms(
        &|t| t.enrollment_closes_at = now + MAX_STUDY_DURATION_SECS,
        None,
    );
    try_terms(&|t| t.enrollment_closes_at = now + 1, None);
    try_terms(&|t| t.use_until = now + DAY * 60, Some(InvalidStudyTimes));
    try_terms(&|t| t.duo |= ts, Some(InvalidStudyTimes));
    try_terms(
        &|t| {
            t.duo |= ts;
            t.use_until = t.enrollment_closes_at - 1;
        },
        Some(InvalidStudyTimes),
    );
    try_terms(
        &|t| {
            t.duo |= ts;
            t.use_until = t.enrollment_closes_at;
        },
        None,
    );
}

#[test]
fn a_patient_enrols_and_withdraws_each_a_consent_version_with_exact_contents() {
    let f = Fixture::new();
    let s = approved(&f);
    let patient = f.patient();
    let id = patient.pubkey();
    let (address, bump) = pda::enrollment(&s.study, &id);
    let joined_at = f.now();
    let until = joined_at + 365 * DAY;
    let r = f.ok(
        &[ix::enroll_in_study(id, &id, s.study, LABS | VITALS, until)],
        &patient,
        &[],
    );
    let mut expected = Enrollment {
        study: s.study,
        patient: id,
        active: true,
        version: LAYOUT_VERSION,
        bump,
        categories: LABS | VITALS,
        revision: 1,
        joined_at,
        until,
        withdrawn_at: 0,
        reserved: [0; Enrollment::RESERVED],
    };
    assert_eq!(f.decode::<Enrollment>(&address), expected);
    let data = f.account(&address).unwrap().data;
    assert_eq!(key_at(&data, offsets::ENROLLMENT_STUDY), s.study);
    assert_eq!(key_at(&data, offsets::ENROLLMENT_PATIENT), id);
    assert_eq!(
        data[offsets::ENROLLMENT_ACTIVE],
        1,
        "`active` at its offset"
    );
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 1);
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&id).0).consent_revisions,
        1
    );
    match only(&r) {
        hdx_sdk::events::HdxEvent::StudyEnrolled(e) => {
            assert_eq!((e.patient, e.study, e.revision), (id, s.study, 1));
            assert_eq!(
                (e.categories, e.until, e.at),
                (LABS | VITALS, until, joined_at)
            );
            assert_eq!((e.signer, e.proposal), (id, None));
        }
        other => panic!("{other:?}"),
    }
    // Once.
    f.fails_with(
        &[ix::enroll_in_study(id, &id, s.study, LABS, until)],
        &patient,
        &[],
        hdx(HdxError::AlreadyEnrolled),
    );

    f.advance(10);
    f.ok(&[ix::withdraw_from_study(id, &id, s.study)], &patient, &[]);
    expected.active = false;
    expected.withdrawn_at = joined_at + 10;
    expected.revision = 2;
    assert_eq!(f.decode::<Enrollment>(&address), expected);
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 0);
    assert_eq!(
        f.account(&address).unwrap().data[offsets::ENROLLMENT_ACTIVE],
        0,
        "withdrawn at the `active` offset"
    );
    f.fails_with(
        &[ix::withdraw_from_study(id, &id, s.study)],
        &patient,
        &[],
        hdx(HdxError::NotEnrolled),
    );

    // Enrolling again reactivates the same account, a third version.
    f.advance(10);
    f.ok(
        &[ix::enroll_in_study(id, &id, s.study, VITALS, until)],
        &patient,
        &[],
    );
    expected = Enrollment {
        active: true,
        categories: VITALS,
        revision: 3,
        joined_at: joined_at + 20,
        withdrawn_at: 0,
        ..expected
    };
    assert_eq!(f.decode::<Enrollment>(&address), expected);
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 1);

    // Withdrawal works after the study closed (and enrolment no longer does).
    f.ok(
        &[ix::close_study(
            f.authority.pubkey(),
            &s.researcher.pubkey(),
            s.study,
        )],
        &f.authority,
        &[],
    );
    f.ok(&[ix::withdraw_from_study(id, &id, s.study)], &patient, &[]);
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 0);
    f.fails_with(
        &[ix::enroll_in_study(id, &id, s.study, VITALS, until)],
        &patient,
        &[],
        hdx(HdxError::StudyNotApproved),
    );
}

#[test]
fn enrolment_is_refused_outside_the_study_and_for_another_patient() {
    let f = Fixture::new();
    let s = proposed(&f, |_| {});
    let patient = f.patient();
    let id = patient.pubkey();
    let until = f.now() + DAY;
    let enroll_ix = |categories, until| ix::enroll_in_study(id, &id, s.study, categories, until);
    // Not before approval.
    f.fails_with(
        &[enroll_ix(LABS, until)],
        &patient,
        &[],
        hdx(HdxError::StudyNotApproved),
    );
    f.ok(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
    );
    let now = f.now();
    for (categories, until) in [
        (0, now + DAY),
        (1 << 2, now + DAY),
        (LABS | 1 << 2, now + DAY),
        (LABS, now),
        (LABS, i64::MIN),
        (LABS, i64::MAX),
        (LABS, now + MAX_STUDY_DURATION_SECS + 1),
    ] {
        f.fails_with(
            &[enroll_ix(categories, until)],
            &patient,
            &[],
            hdx(HdxError::InvalidEnrollment),
        );
    }
    // Another key cannot enrol this patient.
    let other = f.patient();
    f.fails_with(
        &[ix::enroll_in_study(
            other.pubkey(),
            &id,
            s.study,
            LABS,
            until,
        )],
        &other,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    // Guardians acting alone: the patient's own key does not enrol.
    let guardian = f.funded();
    f.ok(
        &[ix::set_guardians(
            id,
            &id,
            vec![guardian.pubkey()],
            1,
            GuardianMode::Alone,
        )],
        &patient,
        &[],
    );
    f.fails_with(
        &[enroll_ix(LABS, until)],
        &patient,
        &[],
        hdx(HdxError::GuardiansActForPatient),
    );
    // After the enrolment close.
    let late = f.patient();
    f.advance(30 * DAY);
    f.fails_with(
        &[ix::enroll_in_study(
            late.pubkey(),
            &late.pubkey(),
            s.study,
            LABS,
            f.now() + DAY,
        )],
        &late,
        &[],
        hdx(HdxError::EnrollmentClosed),
    );
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 0);
    assert!(f.account(&pda::enrollment(&s.study, &id).0).is_none());
}

#[test]
fn any_one_guardian_withdraws_a_patient_and_nobody_else_does() {
    let f = Fixture::new();
    let s = approved(&f);
    let patient = f.patient();
    let id = patient.pubkey();
    enroll(&f, &s, &patient);
    let (g1, g2) = (f.funded(), f.funded());
    f.ok(
        &[ix::set_guardians(
            id,
            &id,
            vec![g1.pubkey(), g2.pubkey()],
            2,
            GuardianMode::Alongside,
        )],
        &patient,
        &[],
    );
    let stranger = f.funded();
    f.fails_with(
        &[ix::guardian_withdraw_from_study(
            stranger.pubkey(),
            &id,
            s.study,
        )],
        &stranger,
        &[],
        hdx(HdxError::NotAGuardian),
    );
    // Another patient's enrolment cannot stand in for this one's.
    let other = f.patient();
    enroll(&f, &s, &other);
    let swapped = ix::build(
        health_data_exchange::accounts::GuardianWithdrawFromStudy {
            enrollment: pda::enrollment(&s.study, &other.pubkey()).0,
            ..ix_accounts_guardian_withdraw(g2.pubkey(), &id, s.study)
        },
        health_data_exchange::instruction::GuardianWithdrawFromStudy {},
    );
    f.fails_with(&[swapped], &g2, &[], hdx(HdxError::EnrollmentMismatch));
    let r = f.ok(
        &[ix::guardian_withdraw_from_study(g2.pubkey(), &id, s.study)],
        &g2,
        &[],
    );
    match only(&r) {
        hdx_sdk::events::HdxEvent::StudyWithdrawn(e) => {
            assert_eq!((e.patient, e.study, e.signer), (id, s.study, g2.pubkey()));
            assert_eq!(e.actor, hdx_sdk::codes::Actor::Guardian);
        }
        other => panic!("{other:?}"),
    }
    let e = f.decode::<Enrollment>(&pda::enrollment(&s.study, &id).0);
    assert!(!e.active);
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 1, "the other patient");
    // Recovery-only guardians do not withdraw.
    enroll(&f, &s, &patient);
    f.ok(
        &[ix::set_guardians(
            id,
            &id,
            vec![g1.pubkey()],
            1,
            GuardianMode::RecoveryOnly,
        )],
        &patient,
        &[],
    );
    f.fails_with(
        &[ix::guardian_withdraw_from_study(g1.pubkey(), &id, s.study)],
        &g1,
        &[],
        hdx(HdxError::GuardianModeForbids),
    );
}

fn ix_accounts_guardian_withdraw(
    guardian: Pubkey,
    patient: &Pubkey,
    study: Pubkey,
) -> health_data_exchange::accounts::GuardianWithdrawFromStudy {
    health_data_exchange::accounts::GuardianWithdrawFromStudy {
        guardian,
        patient: pda::patient(patient).0,
        guardian_set: pda::guardian_set(patient).0,
        study,
        enrollment: pda::enrollment(&study, patient).0,
        consent_history: pda::consent_history(patient).0,
    }
}

#[test]
fn releases_are_chained_with_exact_contents_until_the_budget_is_spent() {
    let f = Fixture::new();
    let (s, _patients) = with_cohort(&f, 6);
    let first = facts(&f, 400, 6);
    let at = f.now();
    release(&f, &s, first);
    let (address, bump) = pda::study_release(&s.study, 0);
    let head0 = Study::genesis_head(&s.study);
    let head1 = StudyRelease::next_head(&head0, 0, at, &first);
    assert_eq!(
        f.decode::<StudyRelease>(&address),
        StudyRelease {
            study: s.study,
            index: 0,
            version: LAYOUT_VERSION,
            bump,
            at,
            facts: first,
            head: head1,
            reserved: [0; StudyRelease::RESERVED],
        }
    );
    let data = f.account(&address).unwrap().data;
    assert_eq!(key_at(&data, offsets::STUDY_RELEASE_STUDY), s.study);
    assert_eq!(data.len(), StudyRelease::SPACE);
    let study = f.decode::<Study>(&s.study);
    assert_eq!(
        (study.releases, study.epsilon_spent_milli, study.log_head),
        (1, 400, head1)
    );
    // The budget to the last milli-epsilon: 600 left; 601 is refused, 600 spends it.
    f.advance(5);
    refused_release(&f, &s, facts(&f, 601, 6), HdxError::StudyBudgetExceeded);
    refused_release(
        &f,
        &s,
        facts(&f, u64::MAX, 6),
        HdxError::StudyBudgetExceeded,
    );
    let second = ReleaseFacts {
        query_hash: [3; 32],
        ..facts(&f, 600, 5)
    };
    release(&f, &s, second);
    let head2 = StudyRelease::next_head(&head1, 1, at + 5, &second);
    let study = f.decode::<Study>(&s.study);
    assert_eq!(
        (study.releases, study.epsilon_spent_milli, study.log_head),
        (2, 1_000, head2)
    );
    assert_eq!(
        f.decode::<StudyRelease>(&pda::study_release(&s.study, 1).0)
            .head,
        head2
    );
    refused_release(&f, &s, facts(&f, 1, 6), HdxError::StudyBudgetExceeded);
    // The SDK reads the log back and verifies it.
    let log = f.client.verified_study(&s.study).unwrap();
    assert_eq!(log.verdict, Ok(head2));
    assert_eq!((log.study.releases, log.releases.len()), (2, 2));
    assert_eq!(log.releases[1].facts, second);
}

#[test]
fn a_release_needs_the_custodian_a_cohort_of_k_to_enrolled_and_an_open_approved_study() {
    let f = Fixture::new();
    let (s, patients) = with_cohort(&f, 6);
    // Below k, above the enrolled, an empty hash, no epsilon, a future slot.
    refused_release(&f, &s, facts(&f, 10, 4), HdxError::CohortBelowMinimum);
    refused_release(&f, &s, facts(&f, 10, 0), HdxError::CohortBelowMinimum);
    refused_release(&f, &s, facts(&f, 10, 7), HdxError::CohortLargerThanEnrolled);
    refused_release(
        &f,
        &s,
        facts(&f, 10, u32::MAX),
        HdxError::CohortLargerThanEnrolled,
    );
    refused_release(&f, &s, facts(&f, 0, 6), HdxError::InvalidReleaseEpsilon);
    refused_release(
        &f,
        &s,
        ReleaseFacts {
            query_hash: [0; 32],
            ..facts(&f, 10, 6)
        },
        HdxError::EmptyQueryHash,
    );
    refused_release(
        &f,
        &s,
        ReleaseFacts {
            cohort_hash: [0; 32],
            ..facts(&f, 10, 6)
        },
        HdxError::EmptyQueryHash,
    );
    refused_release(
        &f,
        &s,
        ReleaseFacts {
            cohort_slot: u64::MAX,
            ..facts(&f, 10, 6)
        },
        HdxError::CohortSlotInFuture,
    );
    // Exactly k and exactly the enrolled pass.
    release(&f, &s, facts(&f, 10, 5));
    release(&f, &s, facts(&f, 10, 6));
    // A withdrawal lowers the ceiling at once.
    let p = &patients[0];
    f.ok(
        &[ix::withdraw_from_study(p.pubkey(), &p.pubkey(), s.study)],
        p,
        &[],
    );
    refused_release(&f, &s, facts(&f, 10, 6), HdxError::CohortLargerThanEnrolled);
    // Not the custodian: the sponsor, the authority, anyone.
    for signer in [&s.researcher, &f.authority] {
        let index = f.decode::<Study>(&s.study).releases;
        f.fails_with(
            &[ix::record_release(
                signer.pubkey(),
                &s.researcher.pubkey(),
                s.study,
                index,
                facts(&f, 10, 5),
            )],
            signer,
            &[],
            hdx(HdxError::NotStudyCustodian),
        );
    }
    // The release address must be the study's next.
    f.fails(
        &[ix::record_release(
            s.custodian.pubkey(),
            &s.researcher.pubkey(),
            s.study,
            0,
            facts(&f, 10, 5),
        )],
        &s.custodian,
        &[],
        custom(0, anchor(anchor_lang::error::ErrorCode::ConstraintSeeds)),
    );
    // Paused, then a suspended sponsor, then closed.
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    refused_release(&f, &s, facts(&f, 10, 5), HdxError::ProgramPaused);
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), false)],
        &f.authority,
        &[],
    );
    f.ok(
        &[ix::suspend_provider(
            f.authority.pubkey(),
            &s.researcher.pubkey(),
        )],
        &f.authority,
        &[],
    );
    refused_release(&f, &s, facts(&f, 10, 5), HdxError::ProviderSuspended);
    f.ok(
        &[ix::reinstate_provider(
            f.authority.pubkey(),
            &s.researcher.pubkey(),
        )],
        &f.authority,
        &[],
    );
    release(&f, &s, facts(&f, 10, 5));
    f.ok(
        &[ix::close_study(
            s.researcher.pubkey(),
            &s.researcher.pubkey(),
            s.study,
        )],
        &s.researcher,
        &[],
    );
    refused_release(&f, &s, facts(&f, 10, 5), HdxError::StudyNotApproved);
}

#[test]
fn a_proposed_study_records_no_release_and_a_time_limited_one_stops_at_its_limit() {
    let f = Fixture::new();
    let s = proposed(&f, |t| {
        t.duo |= DuoTerm::TimeLimit.bit();
        t.use_until = t.enrollment_closes_at + DAY;
    });
    refused_release(&f, &s, facts(&f, 10, 5), HdxError::StudyNotApproved);
    f.ok(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
    );
    for _ in 0..5 {
        enroll(&f, &s, &f.patient());
    }
    release(&f, &s, facts(&f, 10, 5));
    let limit = f.decode::<Study>(&s.study).terms.use_until;
    f.advance(limit - f.now() - 1);
    release(&f, &s, facts(&f, 10, 5));
    f.advance(1);
    refused_release(&f, &s, facts(&f, 10, 5), HdxError::StudyUseEnded);
}

#[test]
fn guardians_acting_alone_enrol_by_proposal_exactly_as_the_patient_would() {
    let f = Fixture::new();
    let s = approved(&f);
    let patient = f.patient();
    let id = patient.pubkey();
    let (g1, g2) = (f.funded(), f.funded());
    f.ok(
        &[ix::set_guardians(
            id,
            &id,
            vec![g1.pubkey(), g2.pubkey()],
            2,
            GuardianMode::Alone,
        )],
        &patient,
        &[],
    );
    let until = f.now() + 90 * DAY;
    let action = health_data_exchange::ProposalAction::Enroll {
        study: s.study,
        categories: VITALS,
        until,
    };
    // The proposal's own part is checked when proposed.
    f.fails_with(
        &[ix::propose_guardian_action(
            g1.pubkey(),
            &id,
            0,
            health_data_exchange::ProposalAction::Enroll {
                study: s.study,
                categories: 0,
                until,
            },
        )],
        &g1,
        &[],
        hdx(HdxError::InvalidEnrollment),
    );
    f.ok(
        &[ix::propose_guardian_action(g1.pubkey(), &id, 0, action)],
        &g1,
        &[],
    );
    // One approval of two: not yet.
    f.fails_with(
        &[ix::execute_guardian_enroll(g1.pubkey(), &id, 0, s.study)],
        &g1,
        &[],
        hdx(HdxError::NotEnoughApprovals),
    );
    f.ok(
        &[ix::approve_guardian_action(g2.pubkey(), &id, 0)],
        &g2,
        &[],
    );
    // Another study than the proposal's is refused.
    let other = approved(&f);
    f.fails_with(
        &[ix::execute_guardian_enroll(
            g1.pubkey(),
            &id,
            0,
            other.study,
        )],
        &g1,
        &[],
        hdx(HdxError::ProposalMismatch),
    );
    let at = f.now();
    let r = f.ok(
        &[ix::execute_guardian_enroll(g2.pubkey(), &id, 0, s.study)],
        &g2,
        &[],
    );
    let (address, bump) = pda::enrollment(&s.study, &id);
    assert_eq!(
        f.decode::<Enrollment>(&address),
        Enrollment {
            study: s.study,
            patient: id,
            active: true,
            version: LAYOUT_VERSION,
            bump,
            categories: VITALS,
            revision: 1,
            joined_at: at,
            until,
            withdrawn_at: 0,
            reserved: [0; Enrollment::RESERVED],
        }
    );
    let events = hdx_sdk::events::parse_logs(&r.logs);
    assert!(events.iter().any(|e| matches!(
        e,
        hdx_sdk::events::HdxEvent::StudyEnrolled(e)
            if e.actor == hdx_sdk::codes::Actor::Guardians && e.proposal == Some(0) && e.signer == g2.pubkey()
    )), "{events:?}");
    assert_eq!(f.decode::<Study>(&s.study).enrolled, 1);
    // Executed once.
    f.fails_with(
        &[ix::execute_guardian_enroll(g1.pubkey(), &id, 0, s.study)],
        &g1,
        &[],
        hdx(HdxError::ProposalExecuted),
    );
    // A study closed before execution refuses it, and nothing is marked executed.
    f.ok(
        &[ix::propose_guardian_action(
            g1.pubkey(),
            &id,
            1,
            health_data_exchange::ProposalAction::Enroll {
                study: other.study,
                categories: LABS,
                until,
            },
        )],
        &g1,
        &[],
    );
    f.ok(
        &[ix::approve_guardian_action(g2.pubkey(), &id, 1)],
        &g2,
        &[],
    );
    f.ok(
        &[ix::close_study(
            f.authority.pubkey(),
            &other.researcher.pubkey(),
            other.study,
        )],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[ix::execute_guardian_enroll(
            g1.pubkey(),
            &id,
            1,
            other.study,
        )],
        &g1,
        &[],
        hdx(HdxError::StudyNotApproved),
    );
    assert!(
        !f.decode::<health_data_exchange::state::Proposal>(&pda::proposal(&id, 1).0)
            .executed
    );
}
