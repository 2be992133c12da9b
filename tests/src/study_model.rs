//! A reference model of research studies, written from docs/DESIGN.md
//! ("Research studies") and the README's tables, sharing no code with the
//! program: studies created, approved and closed; patients enrolling and
//! withdrawing; releases against the budget and the minimum cohort, each
//! extending the study's hash-chained log. The study model test runs the
//! same operations against both and compares every study, enrolment,
//! release and patient after every step.
//!
//! The cast: sponsors 0 and 1 are verified researchers, sponsor 2 a
//! verified clinic (not a researcher); each sponsor may have studies
//! numbered 0 and 1; patients 0..PATIENTS are registered, without guardians.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

pub const DAY: i64 = 86_400;
/// The smallest minimum cohort a study may set (README).
pub const MIN_COHORT: u32 = 5;
/// The largest budget, in milli-epsilon.
pub const MAX_BUDGET: u64 = 10_000;
/// How far ahead an enrolment close or an enrolment's end may be: 10 years of 365 days.
pub const MAX_AHEAD: i64 = 10 * 365 * DAY;
pub const SPONSORS: usize = 3;
/// The sponsor that is not a researcher.
pub const NOT_A_RESEARCHER: usize = 2;
pub const NUMBERS: u32 = 2;
pub const PATIENTS: usize = 7;
/// The study's categories: lab results and vital signs (bits 0 and 8).
pub const STUDY_CATEGORIES: u16 = 1 | 1 << 8;
/// Status codes (README): proposed, approved, closed.
pub const PROPOSED: u8 = 0;
pub const APPROVED: u8 = 1;
pub const CLOSED: u8 = 2;

/// Who signs a study's closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    Sponsor,
    Authority,
    Stranger,
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Create {
        sponsor: usize,
        number: u32,
        min_cohort: u32,
        budget: u64,
        /// Seconds from now to the enrolment close.
        closes_in: i64,
    },
    /// By the registry authority, or (`false`) by a stranger.
    Approve {
        sponsor: usize,
        number: u32,
        by_authority: bool,
    },
    Close {
        sponsor: usize,
        number: u32,
        by: Closer,
    },
    Enroll {
        sponsor: usize,
        number: u32,
        patient: usize,
        categories: u16,
        /// Seconds from now to the enrolment's end.
        until_in: i64,
    },
    Withdraw {
        sponsor: usize,
        number: u32,
        patient: usize,
    },
    /// A release signed by the study's custodian (or a stranger), for a
    /// cohort of `cohort` patients read at the current slot.
    Release {
        sponsor: usize,
        number: u32,
        by_custodian: bool,
        epsilon: Spend,
        cohort: Cohort,
    },
    Suspend(usize),
    Reinstate(usize),
    SetPaused(bool),
    Advance(i64),
}

/// A release's epsilon: a number, or the budget left (and one past it),
/// read from the model when the operation runs: where an off-by-one in the
/// budget shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    Milli(u64),
    Rest,
    PastRest,
}

/// A release's cohort size: a number, or the patients enrolled now (and
/// one more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    Size(u32),
    Enrolled,
    PastEnrolled,
}

pub use crate::model::Expect;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyState {
    pub status: u8,
    pub min_cohort: u32,
    pub budget: u64,
    pub closes_at: i64,
    pub enrolled: u32,
    pub spent: u64,
    pub created_at: i64,
    pub approved_at: i64,
    pub closed_at: i64,
    /// The log's head: starts at the genesis, extended by each release.
    pub head: [u8; 32],
    pub releases: Vec<ReleaseState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseState {
    pub at: i64,
    pub epsilon: u64,
    pub cohort: u32,
    pub head: [u8; 32],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentState {
    pub active: bool,
    pub categories: u16,
    pub revision: u32,
    pub joined_at: i64,
    pub until: i64,
    pub withdrawn_at: i64,
}

/// What a release's facts are in this model: its query hash and cohort hash
/// (the test's fixed values) and its slot (the runner's).
pub struct Facts {
    pub query_hash: [u8; 32],
    pub cohort_hash: [u8; 32],
    pub slot: u64,
}

#[derive(Debug, Clone)]
pub struct StudyModel {
    pub now: i64,
    pub paused: bool,
    /// Sponsors suspended now.
    pub suspended: [bool; SPONSORS],
    pub studies: BTreeMap<(usize, u32), StudyState>,
    pub enrollments: BTreeMap<((usize, u32), usize), EnrollmentState>,
    /// Each patient's consent revisions counted.
    pub revisions: [u32; PATIENTS],
}

const MISSING: Expect = Expect::Error("AccountNotInitialized");

/// `sha256("hdx-study-log-v1" || study)`: the log's genesis (DESIGN).
pub fn genesis(study: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"hdx-study-log-v1");
    h.update(study);
    h.finalize().into()
}

/// `sha256(head || n u32 || time i64 || query hash || epsilon u64 ||
/// cohort size u32 || cohort hash || cohort slot u64)`, little-endian (DESIGN).
pub fn next_head(
    head: &[u8; 32],
    n: u32,
    time: i64,
    epsilon: u64,
    cohort: u32,
    f: &Facts,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(head);
    h.update(n.to_le_bytes());
    h.update(time.to_le_bytes());
    h.update(f.query_hash);
    h.update(epsilon.to_le_bytes());
    h.update(cohort.to_le_bytes());
    h.update(f.cohort_hash);
    h.update(f.slot.to_le_bytes());
    h.finalize().into()
}

impl StudyModel {
    pub fn new(now: i64) -> Self {
        Self {
            now,
            paused: false,
            suspended: [false; SPONSORS],
            studies: BTreeMap::new(),
            enrollments: BTreeMap::new(),
            revisions: [0; PATIENTS],
        }
    }

    /// Whether `t` is ahead of now by at most 10 years.
    fn ahead(&self, t: i64) -> bool {
        t > self.now && t - self.now <= MAX_AHEAD
    }

    /// `op` with a release's `Rest`, `PastRest`, `Enrolled` and
    /// `PastEnrolled` read from the model now (for a study that does not
    /// exist: 1 milli-epsilon, a cohort of 5).
    pub fn resolve(&self, op: Op) -> Op {
        let Op::Release {
            sponsor,
            number,
            by_custodian,
            epsilon,
            cohort,
        } = op
        else {
            return op;
        };
        let s = self.studies.get(&(sponsor, number));
        let rest = s.map_or(1, |s| s.budget - s.spent);
        let enrolled = s.map_or(5, |s| s.enrolled);
        Op::Release {
            sponsor,
            number,
            by_custodian,
            epsilon: Spend::Milli(match epsilon {
                Spend::Milli(e) => e,
                Spend::Rest => rest,
                Spend::PastRest => rest + 1,
            }),
            cohort: Cohort::Size(match cohort {
                Cohort::Size(n) => n,
                Cohort::Enrolled => enrolled,
                Cohort::PastEnrolled => enrolled.saturating_add(1),
            }),
        }
    }

    /// Applies `op` (resolved); `address` names a study's address (for its genesis),
    /// `facts` a release's facts.
    pub fn apply(
        &mut self,
        op: Op,
        address: impl Fn(usize, u32) -> [u8; 32],
        facts: &Facts,
    ) -> Expect {
        use Expect::*;
        match op {
            Op::Create {
                sponsor,
                number,
                min_cohort,
                budget,
                closes_in,
            } => {
                // The caller: not paused, verified; then a researcher; then the terms, in order.
                if self.paused {
                    return Error("ProgramPaused");
                }
                if self.suspended[sponsor] {
                    return Error("ProviderSuspended");
                }
                if sponsor == NOT_A_RESEARCHER {
                    return Error("NotResearcher");
                }
                if min_cohort < MIN_COHORT {
                    return Error("StudyCohortTooSmall");
                }
                if !(1..=MAX_BUDGET).contains(&budget) {
                    return Error("InvalidStudyBudget");
                }
                let closes_at = self.now.saturating_add(closes_in);
                if !self.ahead(closes_at) {
                    return Error("InvalidStudyTimes");
                }
                if self.studies.contains_key(&(sponsor, number)) {
                    return Error("AccountAlreadyExists");
                }
                self.studies.insert(
                    (sponsor, number),
                    StudyState {
                        status: PROPOSED,
                        min_cohort,
                        budget,
                        closes_at,
                        enrolled: 0,
                        spent: 0,
                        created_at: self.now,
                        approved_at: 0,
                        closed_at: 0,
                        head: genesis(&address(sponsor, number)),
                        releases: Vec::new(),
                    },
                );
                Ok
            }
            Op::Approve {
                sponsor,
                number,
                by_authority,
            } => {
                let now = self.now;
                let Some(s) = self.studies.get_mut(&(sponsor, number)) else {
                    return MISSING;
                };
                if !by_authority {
                    return Error("NotRegistryAuthority");
                }
                if s.status != PROPOSED {
                    return Error("StudyNotProposed");
                }
                s.status = APPROVED;
                s.approved_at = now;
                Ok
            }
            Op::Close {
                sponsor,
                number,
                by,
            } => {
                let now = self.now;
                let Some(s) = self.studies.get_mut(&(sponsor, number)) else {
                    return MISSING;
                };
                if by == Closer::Stranger {
                    return Error("NotStudySponsor");
                }
                if s.status == CLOSED {
                    return Error("StudyAlreadyClosed");
                }
                s.status = CLOSED;
                s.closed_at = now;
                Ok
            }
            Op::Enroll {
                sponsor,
                number,
                patient,
                categories,
                until_in,
            } => {
                let now = self.now;
                let Some(s) = self.studies.get(&(sponsor, number)) else {
                    return MISSING;
                };
                if s.status != APPROVED {
                    return Error("StudyNotApproved");
                }
                if now >= s.closes_at {
                    return Error("EnrollmentClosed");
                }
                let until = now.saturating_add(until_in);
                if categories == 0 || categories & !STUDY_CATEGORIES != 0 || !self.ahead(until) {
                    return Error("InvalidEnrollment");
                }
                let key = ((sponsor, number), patient);
                if self.enrollments.get(&key).is_some_and(|e| e.active) {
                    return Error("AlreadyEnrolled");
                }
                self.revisions[patient] += 1;
                self.enrollments.insert(
                    key,
                    EnrollmentState {
                        active: true,
                        categories,
                        revision: self.revisions[patient],
                        joined_at: now,
                        until,
                        withdrawn_at: 0,
                    },
                );
                self.studies.get_mut(&(sponsor, number)).unwrap().enrolled += 1;
                Ok
            }
            Op::Withdraw {
                sponsor,
                number,
                patient,
            } => {
                let now = self.now;
                if !self.studies.contains_key(&(sponsor, number)) {
                    return MISSING;
                }
                let Some(e) = self.enrollments.get_mut(&((sponsor, number), patient)) else {
                    return MISSING;
                };
                if !e.active {
                    return Error("NotEnrolled");
                }
                self.revisions[patient] += 1;
                e.active = false;
                e.withdrawn_at = now;
                e.revision = self.revisions[patient];
                self.studies.get_mut(&(sponsor, number)).unwrap().enrolled -= 1;
                Ok
            }
            Op::Release {
                sponsor,
                number,
                by_custodian,
                epsilon: Spend::Milli(epsilon),
                cohort: Cohort::Size(cohort),
            } => {
                let (now, paused, suspended) = (self.now, self.paused, self.suspended[sponsor]);
                let Some(s) = self.studies.get_mut(&(sponsor, number)) else {
                    return MISSING;
                };
                if !by_custodian {
                    return Error("NotStudyCustodian");
                }
                if paused {
                    return Error("ProgramPaused");
                }
                if s.status != APPROVED {
                    return Error("StudyNotApproved");
                }
                if suspended {
                    return Error("ProviderSuspended");
                }
                if epsilon == 0 {
                    return Error("InvalidReleaseEpsilon");
                }
                match s.spent.checked_add(epsilon) {
                    Some(total) if total <= s.budget => {}
                    _ => return Error("StudyBudgetExceeded"),
                }
                if cohort < s.min_cohort {
                    return Error("CohortBelowMinimum");
                }
                if cohort > s.enrolled {
                    return Error("CohortLargerThanEnrolled");
                }
                let n = s.releases.len() as u32;
                let head = next_head(&s.head, n, now, epsilon, cohort, facts);
                s.releases.push(ReleaseState {
                    at: now,
                    epsilon,
                    cohort,
                    head,
                });
                s.spent += epsilon;
                s.head = head;
                Ok
            }
            Op::Release { .. } => unreachable!("a release is resolved before it is applied"),
            Op::Suspend(p) => {
                if self.suspended[p] {
                    return Error("InvalidStatusTransition");
                }
                self.suspended[p] = true;
                Ok
            }
            Op::Reinstate(p) => {
                if !self.suspended[p] {
                    return Error("InvalidStatusTransition");
                }
                self.suspended[p] = false;
                Ok
            }
            Op::SetPaused(p) => {
                self.paused = p;
                Ok
            }
            Op::Advance(s) => {
                self.now += s;
                Ok
            }
        }
    }
}
