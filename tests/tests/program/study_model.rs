//! Model-based random testing of research studies: random sequences of
//! study operations (created with terms at and past their bounds, approved,
//! closed by the sponsor, the authority or a stranger; patients enrolling
//! with categories in and out of the study's, and withdrawing; releases by
//! the custodian or a stranger at budgets and cohorts around the limits;
//! sponsors suspended and reinstated; the pause; the clock) run against the
//! program and against `hdx_tests::study_model`. After every step the result
//! and every study, enrolment, release and patient revision count must agree,
//! the log heads included. The run counts each result and fails unless the
//! generator reached every refusal the model names.
//!
//! `cargo test -p hdx-tests --test program study_model` runs 120 sequences;
//! `HDX_STUDY_MODEL_CASES=10000 cargo test -p hdx-tests --test program study_model -- --nocapture`
//! runs 10,000.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Mutex;

use hdx_sdk::client::ClientError;
use hdx_sdk::{ix, pda};
use hdx_tests::study_model::{
    Closer, Cohort, Expect, Facts, Op, Spend, StudyModel, NOT_A_RESEARCHER, NUMBERS, PATIENTS,
    SPONSORS, STUDY_CATEGORIES,
};
use hdx_tests::*;
use health_data_exchange::codes::{DuoTerm, ProviderKind, StudyStatus};
use health_data_exchange::state::{
    Enrollment, Patient, ReleaseFacts, Study, StudyRelease, StudyTerms,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRng, TestRunner};

const QUERY_HASH: [u8; 32] = [0x51; 32];
const COHORT_HASH: [u8; 32] = [0xc0; 32];

fn facts() -> Facts {
    Facts {
        query_hash: QUERY_HASH,
        cohort_hash: COHORT_HASH,
        slot: 0,
    }
}

/// Results, by operation and outcome, across the run.
static CENSUS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// A study: mostly sponsor 0's study 0 (the one each sequence opens), so
/// enrolments gather into cohorts large enough to release.
fn study() -> (BoxedStrategy<usize>, BoxedStrategy<u32>) {
    (
        prop_oneof![8 => Just(0usize), 1 => 1..SPONSORS].boxed(),
        prop_oneof![8 => Just(0u32), 1 => 0..NUMBERS].boxed(),
    )
}

fn op() -> impl Strategy<Value = Op> {
    let (s, n) = study();
    let pt = 0..PATIENTS;
    let min_cohort =
        prop_oneof![6 => Just(5u32), 2 => Just(6u32), 1 => Just(4u32), 1 => Just(0u32)];
    let budget = prop_oneof![
        4 => Just(3_000u64),
        2 => Just(10_000u64),
        1 => Just(0u64),
        1 => Just(10_001u64),
        2 => 1u64..20,
    ];
    let closes_in = prop_oneof![
        6 => 86_400i64..30 * 86_400,
        1 => Just(0i64),
        1 => Just(10 * 365 * 86_400i64),
        1 => Just(10 * 365 * 86_400i64 + 1),
    ];
    let categories = prop_oneof![
        6 => Just(STUDY_CATEGORIES),
        3 => Just(1u16),
        1 => Just(0u16),
        1 => Just(1u16 << 1),
    ];
    let until_in = prop_oneof![
        6 => 86_400i64..400 * 86_400,
        1 => Just(0i64),
        1 => Just(10 * 365 * 86_400i64 + 1),
    ];
    let epsilon = prop_oneof![
        4 => (1u64..1_500).prop_map(Spend::Milli),
        2 => Just(Spend::Rest),
        2 => Just(Spend::PastRest),
        1 => Just(Spend::Milli(0)),
        1 => Just(Spend::Milli(u64::MAX)),
    ];
    let cohort = prop_oneof![
        4 => (5u32..=6).prop_map(Cohort::Size),
        2 => Just(Cohort::Enrolled),
        1 => Just(Cohort::PastEnrolled),
        1 => Just(Cohort::Size(4)),
        1 => Just(Cohort::Size(0)),
        1 => Just(Cohort::Size(u32::MAX)),
    ];
    let closer = prop_oneof![3 => Just(Closer::Sponsor), 2 => Just(Closer::Authority), 1 => Just(Closer::Stranger)];
    prop_oneof![
        3 => (s.clone(), n.clone(), min_cohort, budget, closes_in).prop_map(|(sponsor, number, min_cohort, budget, closes_in)| Op::Create { sponsor, number, min_cohort, budget, closes_in }),
        3 => (s.clone(), n.clone(), prop_oneof![6 => Just(true), 1 => Just(false)]).prop_map(|(sponsor, number, by_authority)| Op::Approve { sponsor, number, by_authority }),
        1 => (0..SPONSORS, 0..NUMBERS, closer).prop_map(|(sponsor, number, by)| Op::Close { sponsor, number, by }),
        12 => (s.clone(), n.clone(), pt.clone(), categories, until_in).prop_map(|(sponsor, number, patient, categories, until_in)| Op::Enroll { sponsor, number, patient, categories, until_in }),
        4 => (s.clone(), n.clone(), pt.clone()).prop_map(|(sponsor, number, patient)| Op::Withdraw { sponsor, number, patient }),
        10 => (s.clone(), n.clone(), prop_oneof![8 => Just(true), 1 => Just(false)], epsilon, cohort).prop_map(|(sponsor, number, by_custodian, epsilon, cohort)| Op::Release { sponsor, number, by_custodian, epsilon, cohort }),
        1 => s.clone().prop_map(Op::Suspend),
        1 => s.clone().prop_map(Op::Reinstate),
        1 => prop_oneof![3 => Just(false), 1 => Just(true)].prop_map(Op::SetPaused),
        2 => prop_oneof![1i64..3_600, 86_400i64..40 * 86_400].prop_map(Op::Advance),
    ]
}

/// A sequence: sponsor 0's study 0 created, approved and joined by five
/// patients (so most sequences reach releases), then random operations.
fn sequence() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 20..60).prop_map(|body| {
        let mut ops = vec![
            Op::Create {
                sponsor: 0,
                number: 0,
                min_cohort: 5,
                budget: 3_000,
                closes_in: 30 * 86_400,
            },
            Op::Approve {
                sponsor: 0,
                number: 0,
                by_authority: true,
            },
        ];
        // Five of the patients join it: a cohort at k.
        ops.extend((0..5).map(|patient| Op::Enroll {
            sponsor: 0,
            number: 0,
            patient,
            categories: STUDY_CATEGORIES,
            until_in: 200 * 86_400,
        }));
        ops.extend(body);
        ops
    })
}

struct Run<'a> {
    f: &'a Fixture,
    sponsors: Vec<Keypair>,
    custodian: Keypair,
    patients: Vec<Keypair>,
    stranger: Keypair,
}

impl Run<'_> {
    fn address(&self, sponsor: usize, number: u32) -> Pubkey {
        pda::study(&self.sponsors[sponsor].pubkey(), number).0
    }

    fn exec(&self, op: Op) -> Expect {
        let f = self.f;
        let a = &f.authority;
        let send = |ixs: &[anchor_lang::solana_program::instruction::Instruction],
                    payer: &Keypair| {
            f.client
                .send(ixs, payer, &[])
                .map(|_| ())
                .inspect_err(|e| assert_checks_before_effects(e.logs()))
        };
        let result: Result<(), ClientError> = match op {
            Op::Create {
                sponsor,
                number,
                min_cohort,
                budget,
                closes_in,
            } => {
                let k = &self.sponsors[sponsor];
                let terms = StudyTerms {
                    custodian: self.custodian.pubkey(),
                    duo: DuoTerm::HealthMedicalBiomedical.bit(),
                    disease: 0,
                    categories: STUDY_CATEGORIES,
                    from_day: 0,
                    to_day: 0,
                    min_cohort,
                    irb_commitment: [0; 32],
                    epsilon_milli: budget,
                    enrollment_closes_at: f.now().saturating_add(closes_in),
                    use_until: 0,
                };
                send(
                    &[ix::create_study(k.pubkey(), &k.pubkey(), number, terms)],
                    k,
                )
            }
            Op::Approve {
                sponsor,
                number,
                by_authority,
            } => {
                let who = if by_authority { a } else { &self.stranger };
                send(
                    &[ix::approve_study(
                        who.pubkey(),
                        self.address(sponsor, number),
                    )],
                    who,
                )
            }
            Op::Close {
                sponsor,
                number,
                by,
            } => {
                let who = match by {
                    Closer::Sponsor => &self.sponsors[sponsor],
                    Closer::Authority => a,
                    Closer::Stranger => &self.stranger,
                };
                send(
                    &[ix::close_study(
                        who.pubkey(),
                        &self.sponsors[sponsor].pubkey(),
                        self.address(sponsor, number),
                    )],
                    who,
                )
            }
            Op::Enroll {
                sponsor,
                number,
                patient,
                categories,
                until_in,
            } => {
                let k = &self.patients[patient];
                send(
                    &[ix::enroll_in_study(
                        k.pubkey(),
                        &k.pubkey(),
                        self.address(sponsor, number),
                        categories,
                        f.now().saturating_add(until_in),
                    )],
                    k,
                )
            }
            Op::Withdraw {
                sponsor,
                number,
                patient,
            } => {
                let k = &self.patients[patient];
                send(
                    &[ix::withdraw_from_study(
                        k.pubkey(),
                        &k.pubkey(),
                        self.address(sponsor, number),
                    )],
                    k,
                )
            }
            Op::Release {
                sponsor,
                number,
                by_custodian,
                epsilon: Spend::Milli(epsilon),
                cohort: Cohort::Size(cohort),
            } => {
                let who = if by_custodian {
                    &self.custodian
                } else {
                    &self.stranger
                };
                let address = self.address(sponsor, number);
                let index = f.client.study(&address).unwrap().map_or(0, |s| s.releases);
                let facts = ReleaseFacts {
                    query_hash: QUERY_HASH,
                    epsilon_milli: epsilon,
                    cohort_size: cohort,
                    cohort_hash: COHORT_HASH,
                    cohort_slot: 0,
                };
                send(
                    &[ix::record_release(
                        who.pubkey(),
                        &self.sponsors[sponsor].pubkey(),
                        address,
                        index,
                        facts,
                    )],
                    who,
                )
            }
            Op::Release { .. } => unreachable!("a release is resolved before it runs"),
            Op::Suspend(p) => send(
                &[ix::suspend_provider(a.pubkey(), &self.sponsors[p].pubkey())],
                a,
            ),
            Op::Reinstate(p) => send(
                &[ix::reinstate_provider(
                    a.pubkey(),
                    &self.sponsors[p].pubkey(),
                )],
                a,
            ),
            Op::SetPaused(b) => send(&[ix::set_paused(a.pubkey(), b)], a),
            Op::Advance(secs) => {
                f.advance(secs);
                Ok(())
            }
        };
        Expect::of(result.map(|()| None))
    }

    /// Every study, release, enrolment and patient against the model.
    fn compare(&self, m: &StudyModel) -> Result<(), String> {
        let c = &self.f.client;
        for sponsor in 0..SPONSORS {
            for number in 0..NUMBERS {
                let address = self.address(sponsor, number);
                let chain: Option<Study> = c.study(&address).map_err(|e| e.to_string())?;
                let model = m.studies.get(&(sponsor, number));
                let (chain, model) = match (chain, model) {
                    (None, None) => continue,
                    (Some(a), Some(s)) => (a, s),
                    (a, s) => {
                        return Err(format!(
                            "study {sponsor}/{number}: chain {a:?}, model {s:?}"
                        ))
                    }
                };
                let status = match chain.status {
                    StudyStatus::Proposed => 0,
                    StudyStatus::Approved => 1,
                    StudyStatus::Closed => 2,
                };
                let same = status == model.status
                    && chain.sponsor == self.sponsors[sponsor].pubkey()
                    && chain.custodian == self.custodian.pubkey()
                    && chain.number == number
                    && chain.enrolled == model.enrolled
                    && chain.releases as usize == model.releases.len()
                    && chain.epsilon_spent_milli == model.spent
                    && chain.terms.epsilon_milli == model.budget
                    && chain.terms.min_cohort == model.min_cohort
                    && chain.terms.enrollment_closes_at == model.closes_at
                    && chain.created_at == model.created_at
                    && chain.approved_at == model.approved_at
                    && chain.closed_at == model.closed_at
                    && chain.log_head == model.head;
                if !same {
                    return Err(format!(
                        "study {sponsor}/{number}: chain {chain:?}, model {model:?}"
                    ));
                }
                for (i, r) in model.releases.iter().enumerate() {
                    let release: StudyRelease =
                        self.f.decode(&pda::study_release(&address, i as u32).0);
                    let expected = ReleaseFacts {
                        query_hash: QUERY_HASH,
                        epsilon_milli: r.epsilon,
                        cohort_size: r.cohort,
                        cohort_hash: COHORT_HASH,
                        cohort_slot: 0,
                    };
                    if release.study != address
                        || release.index != i as u32
                        || release.at != r.at
                        || release.facts != expected
                        || release.head != r.head
                    {
                        return Err(format!(
                            "release {i} of {sponsor}/{number}: chain {release:?}, model {r:?}"
                        ));
                    }
                }
                if self
                    .f
                    .account(&pda::study_release(&address, model.releases.len() as u32).0)
                    .is_some()
                {
                    return Err(format!(
                        "study {sponsor}/{number}: a release past the model's"
                    ));
                }
                for (p, k) in self.patients.iter().enumerate() {
                    let e: Option<Enrollment> = c
                        .fetch(&pda::enrollment(&address, &k.pubkey()).0)
                        .map_err(|e| e.to_string())?;
                    let s = m.enrollments.get(&((sponsor, number), p));
                    match (e, s) {
                        (None, None) => {}
                        (Some(e), Some(s))
                            if e.study == address
                                && e.patient == k.pubkey()
                                && e.active == s.active
                                && e.categories == s.categories
                                && e.revision == s.revision
                                && e.joined_at == s.joined_at
                                && e.until == s.until
                                && e.withdrawn_at == s.withdrawn_at => {}
                        (e, s) => {
                            return Err(format!(
                                "enrolment of patient {p} in {sponsor}/{number}: chain {e:?}, model {s:?}"
                            ))
                        }
                    }
                }
            }
        }
        for (p, k) in self.patients.iter().enumerate() {
            let patient: Patient = self.f.decode(&pda::patient(&k.pubkey()).0);
            if patient.consent_revisions != m.revisions[p] {
                return Err(format!(
                    "patient {p}: {} consent revisions on the chain, {} in the model",
                    patient.consent_revisions, m.revisions[p]
                ));
            }
        }
        Ok(())
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Create { .. } => "create",
        Op::Approve { .. } => "approve",
        Op::Close { .. } => "close",
        Op::Enroll { .. } => "enroll",
        Op::Withdraw { .. } => "withdraw",
        Op::Release { .. } => "release",
        Op::Suspend(_) => "suspend",
        Op::Reinstate(_) => "reinstate",
        Op::SetPaused(_) => "pause",
        Op::Advance(_) => "advance",
    }
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

fn run_sequence(ops: &[Op]) -> Result<(), String> {
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let f = &*slot.get_or_insert_with(Fixture::new);
        f.ledger().set_time(hdx_node::embedded::DEFAULT_START_TIME);
        let run = Run {
            f,
            sponsors: (0..SPONSORS)
                .map(|p| {
                    let kind = if p == NOT_A_RESEARCHER {
                        ProviderKind::Clinic
                    } else {
                        ProviderKind::Researcher
                    };
                    f.provider(kind, true)
                })
                .collect(),
            custodian: f.funded(),
            patients: (0..PATIENTS).map(|_| f.patient()).collect(),
            stranger: f.funded(),
        };
        f.ok(
            &[ix::set_paused(f.authority.pubkey(), false)],
            &f.authority,
            &[],
        );
        let mut m = StudyModel::new(f.now());
        for (step, op) in ops.iter().enumerate() {
            let op = &m.resolve(*op);
            let expected = m.apply(*op, |s, n| run.address(s, n).to_bytes(), &facts());
            let got = run.exec(*op);
            let outcome = match &got {
                Expect::Ok => "ok".to_string(),
                Expect::Outcome(o) => format!("outcome {o}"),
                Expect::Error(e) => e.to_string(),
            };
            *CENSUS
                .lock()
                .unwrap()
                .entry(format!("{}: {outcome}", op_name(op)))
                .or_default() += 1;
            if got != expected {
                return Err(format!(
                    "step {step} {op:?}: the program says {got:?}, the model {expected:?}"
                ));
            }
            if m.now != f.now() {
                return Err(format!("step {step}: clock {} vs model {}", f.now(), m.now));
            }
            run.compare(&m)
                .map_err(|e| format!("after step {step} {op:?}: {e}"))?;
        }
        Ok(())
    })
}

fn cases() -> u32 {
    std::env::var("HDX_STUDY_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120)
}

#[test]
fn study_model_program_and_reference_model_agree_and_every_refusal_is_reached() {
    let cases = cases();
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    };
    let seed: u64 = std::env::var("HDX_STUDY_MODEL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_0000_57d1_0001);
    let rng = TestRng::from_seed(config.rng_algorithm, &seed.to_le_bytes().repeat(4));
    let mut runner = TestRunner::new_with_rng(config, rng);
    if let Err(e) = runner.run(&sequence(), |ops| {
        run_sequence(&ops).map_err(proptest::test_runner::TestCaseError::fail)
    }) {
        panic!("the program and the study model diverged (shrunk): {e}");
    }
    let census = CENSUS.lock().unwrap().clone();
    println!("study model: {cases} sequences (seed {seed}):");
    for (what, n) in &census {
        println!("  {what:<40} {n:>7}");
    }
    for reached in [
        "create: ok",
        "create: NotResearcher",
        "create: StudyCohortTooSmall",
        "create: InvalidStudyBudget",
        "create: InvalidStudyTimes",
        "create: AccountAlreadyExists",
        "create: ProgramPaused",
        "approve: ok",
        "approve: StudyNotProposed",
        "approve: NotRegistryAuthority",
        "close: ok",
        "close: StudyAlreadyClosed",
        "close: NotStudySponsor",
        "enroll: ok",
        "enroll: AlreadyEnrolled",
        "enroll: InvalidEnrollment",
        "enroll: StudyNotApproved",
        "enroll: EnrollmentClosed",
        "withdraw: ok",
        "withdraw: NotEnrolled",
        "release: ok",
        "release: StudyBudgetExceeded",
        "release: CohortBelowMinimum",
        "release: CohortLargerThanEnrolled",
        "release: NotStudyCustodian",
        "release: InvalidReleaseEpsilon",
        "release: ProviderSuspended",
        "release: ProgramPaused",
        "release: StudyNotApproved",
    ] {
        assert!(
            census.get(reached).copied().unwrap_or(0) > 0,
            "no {reached} in {cases} sequences: the generator does not reach it"
        );
    }
}
