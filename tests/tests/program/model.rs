//! Model-based random testing: random operation sequences (valid and
//! invalid, with key rotations, stale keys and clock moves) by several
//! patients, providers and the authority, run against the program and
//! against `hdx_tests::model`; after every step the result, every account's
//! decoded state, the log and its hash head must agree.
//!
//! Each sequence first sets a scene (providers registered and mostly
//! verified, patients with records, consents of varied terms), then runs a
//! body weighted towards accesses, so most sequences reach the consent
//! decision. The run counts each access outcome and fails unless every
//! outcome is at least 1% of access attempts (a generator that never reaches
//! the gate could not catch a wrong gate).
//!
//! `cargo test -p hdx-tests --test program model` runs 400 sequences (200 left an outcome under its 1% floor by chance once licence operations joined the mix);
//! `HDX_MODEL_CASES=10000 cargo test -p hdx-tests --test program model -- --nocapture`
//! runs 10,000. Each worker thread reuses one ledger for the whole run (the
//! node's memory is bounded); every sequence uses fresh keys (fresh keys are
//! fresh state) and starts unpaused.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use hdx_sdk::client::ClientError;
use hdx_sdk::credential::{attestation_account_data, attestation_data};
use hdx_sdk::transport::Transport;
use hdx_sdk::{audit, ix, pda};
use hdx_tests::model::{
    Edge, Expect, Key, Model, Op, TermsSpec, EMERGENCY_OUTCOMES, GUARDIAN_POOL, OUTCOMES,
};
use hdx_tests::*;
use health_data_exchange::codes::{
    EmergencyReason, GuardianMode, ProposalKind, ProviderKind, Verdict, ATTESTATION_PROGRAM_ID,
    ROLE_EMERGENCY,
};
use health_data_exchange::state::{
    Consent, EmergencyTracker, EmergencyWindow, GuardianSet, LogEntry, Patient, Proposal, Provider,
    Record, Registry,
};
use health_data_exchange::{
    AddRecordArgs, ConsentTerms, CredentialPolicy, EmergencyPreferences, ProposalAction,
    WriteRecordArgs,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRng, TestRunner};

const PROVIDERS: usize = 3;
const PATIENTS: usize = 2;

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![12 => Just(Key::Current), 1 => Just(Key::Stale)]
}

fn terms() -> impl Strategy<Value = TermsSpec> {
    let categories = prop_oneof![
        3 => Just(0x3fffu16),
        3 => 1u16..0x4000,
        1 => Just(1u16),
        1 => Just(0u16),
        1 => Just(1u16 << 14),
    ];
    let modes =
        prop_oneof![4 => Just(1u8), 2 => Just(3u8), 2 => Just(2u8), 1 => Just(0u8), 1 => Just(4u8)];
    let purposes = prop_oneof![
        3 => Just(0x7fu8),
        3 => 1u8..0x80,
        1 => Just(0u8),
        1 => Just(0x80u8),
    ];
    let start = prop_oneof![6 => Just(0i64), 2 => 1i64..3 * 86_400, 1 => -86_400i64..0];
    let length = prop_oneof![
        5 => Just(30 * 86_400i64),
        3 => 3_600i64..5 * 86_400,
        1 => -86_400i64..1,
        1 => Just(4_000 * 86_400i64),
    ];
    let cap = prop_oneof![6 => Just(0u32), 3 => 1u32..4];
    let range = prop_oneof![
        6 => Just(None),
        2 => (0i64..60, 0i64..400).prop_map(|(a, b)| Some((a.max(b), a.min(b)))),
        1 => (0i64..400, 0i64..400).prop_map(Some),
    ];
    let renewal = prop_oneof![
        6 => Just((0u32, 0u16)),
        3 => (3_600u32..20 * 86_400, 1u16..3),
        1 => (0u32..2, 0u16..2),
    ];
    (
        categories, modes, purposes, start, length, cap, range, renewal,
    )
        .prop_map(
            |(categories, modes, purposes, start, length, access_limit, range, renewal)| {
                TermsSpec {
                    categories,
                    modes,
                    purposes,
                    start,
                    length,
                    access_limit,
                    range,
                    renewal,
                }
            },
        )
}

/// Valid terms shaped to reach every part of the decision: mostly full
/// scope, sometimes a narrow one, a future start, a short window, a date
/// range or a small cap.
fn scene_terms() -> impl Strategy<Value = TermsSpec> {
    let categories = prop_oneof![3 => Just(0x3fffu16), 1 => 1u16..0x4000];
    let modes = prop_oneof![3 => Just(3u8), 1 => Just(1u8), 1 => Just(2u8)];
    let purposes = prop_oneof![3 => Just(0x7fu8), 1 => 1u8..0x80];
    let start = prop_oneof![5 => Just(0i64), 1 => 3_600i64..2 * 86_400];
    let length = prop_oneof![3 => Just(30 * 86_400i64), 1 => 600i64..3 * 86_400];
    let cap = prop_oneof![1 => Just(0u32), 1 => Just(1u32), 1 => Just(2u32)];
    let range = prop_oneof![
        3 => Just(None),
        1 => (0i64..12, 0i64..12).prop_map(|(a, b)| Some((a.max(b), a.min(b)))),
    ];
    let renewal = prop_oneof![3 => Just((0u32, 0u16)), 1 => (3_600u32..5 * 86_400, 1u16..3)];
    (
        categories, modes, purposes, start, length, cap, range, renewal,
    )
        .prop_map(
            |(categories, modes, purposes, start, length, access_limit, range, renewal)| {
                TermsSpec {
                    categories,
                    modes,
                    purposes,
                    start,
                    length,
                    access_limit,
                    range,
                    renewal,
                }
            },
        )
}

/// A clinical day: unknown, within the last 12 days (so records meet the
/// edges of date ranges often), or (rarely) in the future.
fn day() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![3 => Just(None), 6 => (0i64..12).prop_map(Some), 1 => Just(Some(-3))]
}

/// An attestation's expiry from now: never, soon (within the sequence's
/// clock moves), later, just past, or at the clock's extremes.
fn expires_in() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        2 => Just(None),
        4 => (1i64..3_600).prop_map(Some),
        3 => (86_400i64..20 * 86_400).prop_map(Some),
        1 => Just(Some(0)),
        1 => Just(Some(-1)),
        1 => Just(Some(i64::from(u32::MAX))),
    ]
}

/// Any operation, weighted towards accesses.
fn op() -> impl Strategy<Value = Op> {
    let p = 0..PROVIDERS;
    let pt = 0..PATIENTS;
    prop_oneof![
        1 => p.clone().prop_map(Op::RegisterProvider),
        1 => p.clone().prop_map(Op::Verify),
        1 => p.clone().prop_map(Op::Suspend),
        1 => p.clone().prop_map(Op::Reinstate),
        1 => p.clone().prop_map(Op::VerifyByStranger),
        2 => (p.clone(), expires_in()).prop_map(|(provider, expires_in)| Op::Attest { provider, expires_in }),
        1 => p.clone().prop_map(Op::CloseAttestation),
        2 => p.clone().prop_map(Op::VerifyByAttestation),
        2 => p.clone().prop_map(Op::Lapse),
        1 => (p.clone(), key()).prop_map(|(provider, key)| Op::RotateProviderKey { provider, key }),
        1 => pt.clone().prop_map(Op::RegisterPatient),
        1 => (pt.clone(), key()).prop_map(|(patient, key)| Op::RotatePatientAuthority { patient, key }),
        2 => (pt.clone(), 0u8..14, prop_oneof![Just(16usize), Just(0usize), Just(129usize), 1usize..=128], day(), key())
            .prop_map(|(patient, category, locator_len, day, key)| Op::AddRecord { patient, category, locator_len, day, key }),
        3 => (pt.clone(), p.clone(), terms(), key()).prop_map(|(patient, provider, terms, key)| Op::Grant { patient, provider, terms, key }),
        2 => (pt.clone(), p.clone(), terms(), key()).prop_map(|(patient, provider, terms, key)| Op::Update { patient, provider, terms, key }),
        1 => (pt.clone(), p.clone(), key()).prop_map(|(patient, provider, key)| Op::Revoke { patient, provider, key }),
        2 => (pt.clone(), p.clone()).prop_map(|(patient, provider)| Op::Renew { patient, provider }),
        16 => (p.clone(), pt.clone(), prop_oneof![6 => 0u32..2, 1 => 0u32..5], 0u8..7, key())
            .prop_map(|(provider, patient, record, purpose, key)| Op::Access { provider, patient, record, purpose, key }),
        3 => (p.clone(), pt.clone(), 0u8..14, 0u8..7, day(), key())
            .prop_map(|(provider, patient, category, purpose, day, key)| Op::Write { provider, patient, category, purpose, day, key }),
        1 => prop_oneof![3 => Just(false), 1 => Just(true)].prop_map(Op::SetPaused),
        3 => prop_oneof![1i64..3_600, 86_400i64..20 * 86_400].prop_map(Op::Advance),
        3 => (pt.clone(), p.clone(), prop_oneof![Just(Edge::NotBefore), Just(Edge::Expiry), Just(Edge::RenewalOpens)], -1i64..=1)
            .prop_map(|(patient, provider, edge, delta)| Op::AdvanceTo { patient, provider, edge, delta }),
        8 => emergency_op(),
        8 => guardian_op(),
    ]
}

/// A proposal carried through: proposed, approved by two guardians, executed
/// (each by a pool key that may or may not be in the set).
fn guardian_chain() -> impl Strategy<Value = Vec<Op>> {
    (
        0..PATIENTS,
        (
            0..GUARDIAN_POOL,
            0..GUARDIAN_POOL,
            0..GUARDIAN_POOL,
            0..GUARDIAN_POOL,
        ),
        prop_oneof![3 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 2 => Just(3u8), 2 => Just(4u8)],
        0..PROVIDERS,
        scene_terms(),
        any::<bool>(),
        preferences(),
    )
        .prop_map(
            |(patient, (a, b, c, d), kind, provider, terms, keep, (opt_out, excluded))| {
                use hdx_tests::model::LATEST;
                vec![
                    Op::Propose {
                        patient,
                        guardian: a,
                        kind,
                        provider,
                        terms,
                        keep,
                        opt_out,
                        excluded,
                    },
                    Op::Approve {
                        patient,
                        guardian: b,
                        proposal: LATEST,
                    },
                    Op::Approve {
                        patient,
                        guardian: c,
                        proposal: LATEST,
                    },
                    Op::Execute {
                        patient,
                        guardian: d,
                        proposal: LATEST,
                    },
                ]
            },
        )
}

/// Emergency preferences a guardian proposes: opt out or not, excluded
/// categories (none, one, or a bit that names no category).
fn preferences() -> impl Strategy<Value = (bool, u16)> {
    (
        prop_oneof![3 => Just(false), 1 => Just(true)],
        prop_oneof![3 => Just(0u16), 3 => (0u16..14).prop_map(|c| 1 << c), 1 => Just(1u16 << 14)],
    )
}

/// Guardian operations: sets, proposals, approvals, executions, revocations.
fn guardian_op() -> impl Strategy<Value = Op> {
    let pt = 0..PATIENTS;
    let g = prop_oneof![6 => 0..GUARDIAN_POOL, 1 => Just(GUARDIAN_POOL)];
    prop_oneof![
        1 => (pt.clone(), 0u8..16, prop_oneof![6 => Just(false), 1 => Just(true)], 0u8..5, 0u8..4, key())
            .prop_map(|(patient, members, with_self, threshold, mode, key)| Op::SetGuardians { patient, members, with_self, threshold, mode, key }),
        4 => (pt.clone(), g.clone(), prop_oneof![3 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8), 2 => Just(4u8)], 0..PROVIDERS, terms(), any::<bool>(), preferences())
            .prop_map(|(patient, guardian, kind, provider, terms, keep, (opt_out, excluded))| Op::Propose { patient, guardian, kind, provider, terms, keep, opt_out, excluded }),
        6 => (pt.clone(), g.clone(), 0usize..4).prop_map(|(patient, guardian, proposal)| Op::Approve { patient, guardian, proposal }),
        4 => (pt.clone(), g.clone(), 0usize..4).prop_map(|(patient, guardian, proposal)| Op::Execute { patient, guardian, proposal }),
        1 => (pt, g, 0..PROVIDERS).prop_map(|(patient, guardian, provider)| Op::GuardianRevoke { patient, guardian, provider }),
    ]
}

/// Two operations on one (patient, provider) pair at an emergency edge: the
/// clock moved to the end of its latest window (give or take a second) then
/// a read in it, or to the end of the cooldown after it then an opening.
/// A licence's last second and the next: the clock moved to a provider's
/// stored attestation expiry (one second either side), then its access and a lapse.
fn attestation_edge() -> impl Strategy<Value = Vec<Op>> {
    (0..PATIENTS, 0..PROVIDERS, -1i64..=1, 0u32..2).prop_map(
        |(patient, provider, delta, record)| {
            vec![
                Op::AdvanceTo {
                    patient,
                    provider,
                    edge: Edge::AttestationExpiry,
                    delta,
                },
                Op::Access {
                    provider,
                    patient,
                    record,
                    purpose: 0,
                    key: Key::Current,
                },
                Op::Lapse(provider),
            ]
        },
    )
}

fn edge_pair() -> impl Strategy<Value = Vec<Op>> {
    (0..PATIENTS, 0..PROVIDERS, any::<bool>(), -1i64..=1, 0u32..2).prop_map(
        |(patient, provider, cooldown, delta, record)| {
            let then = if cooldown {
                Op::OpenEmergency {
                    provider,
                    patient,
                    reason: 0,
                    duration: 600,
                    key: Key::Current,
                }
            } else {
                Op::EmergencyRead {
                    provider,
                    patient,
                    record,
                    window: None,
                    key: Key::Current,
                }
            };
            vec![
                Op::AdvanceToWindow {
                    patient,
                    provider,
                    cooldown,
                    delta,
                },
                then,
            ]
        },
    )
}

/// Emergency operations: roles, policy, preferences, windows, reads, ends, reviews.
fn emergency_op() -> impl Strategy<Value = Op> {
    let p = 0..PROVIDERS;
    let pt = 0..PATIENTS;
    prop_oneof![
        2 => (p.clone(), prop_oneof![4 => Just(true), 1 => Just(false)]).prop_map(|(provider, on)| Op::SetEmergencyRole { provider, on }),
        1 => (prop_oneof![4 => Just(3_600u32), 1 => Just(0u32), 1 => Just(7 * 86_400 + 1), 2 => 60u32..7_200],
              prop_oneof![3 => Just(86_400u32), 2 => Just(0u32), 1 => Just(30 * 86_400 + 1), 2 => 1u32..7_200])
            .prop_map(|(max_secs, cooldown_secs)| Op::SetEmergencyPolicy { max_secs, cooldown_secs }),
        2 => (pt.clone(), prop_oneof![2 => Just(false), 1 => Just(true)],
              prop_oneof![3 => Just(0u16), 3 => (0u16..14).prop_map(|c| 1 << c), 1 => Just(1u16 << 14)], key())
            .prop_map(|(patient, opt_out, excluded, key)| Op::SetEmergencyPreferences { patient, opt_out, excluded, key }),
        4 => (p.clone(), pt.clone(), 0u8..=2, prop_oneof![6 => 60u32..3_600, 1 => Just(0u32), 1 => Just(3_601u32)], key())
            .prop_map(|(provider, patient, reason, duration, key)| Op::OpenEmergency { provider, patient, reason, duration, key }),
        10 => (p.clone(), pt.clone(), prop_oneof![6 => 0u32..2, 1 => 0u32..5], prop_oneof![5 => Just(None), 1 => (0usize..4).prop_map(Some)], key())
            .prop_map(|(provider, patient, record, window, key)| Op::EmergencyRead { provider, patient, record, window, key }),
        1 => (p.clone(), pt.clone(), key()).prop_map(|(provider, patient, key)| Op::CloseEmergency { provider, patient, key }),
        1 => (pt.clone(), p.clone(), key()).prop_map(|(patient, provider, key)| Op::EndEmergency { patient, provider, key }),
        2 => (pt.clone(), 0usize..4, prop_oneof![4 => 1u8..=2, 1 => Just(0u8)]).prop_map(|(patient, window, verdict)| Op::ReviewEmergency { patient, window, verdict }),
        1 => (pt.clone(), 0usize..4, key()).prop_map(|(patient, window, key)| Op::AcknowledgeEmergency { patient, window, key }),
        3 => (pt, p, any::<bool>(), -1i64..=1).prop_map(|(patient, provider, cooldown, delta)| Op::AdvanceToWindow { patient, provider, cooldown, delta }),
    ]
}

/// The scene: every provider registered (most verified), every patient
/// registered with records, and consents; then the body.
fn sequence() -> impl Strategy<Value = Vec<Op>> {
    // Verified by the authority, through an attestation (expiring within the sequence or not), or not at all.
    let verify = proptest::collection::vec(
        prop_oneof![3 => Just(Some(None)), 2 => expires_in().prop_map(|e| Some(Some(e))), 1 => Just(None)],
        PROVIDERS,
    );
    let records =
        proptest::collection::vec(proptest::collection::vec((0u8..14, day()), 2..4), PATIENTS);
    let grants = proptest::collection::vec(
        prop_oneof![1 => Just(None), 5 => scene_terms().prop_map(Some)],
        PATIENTS * PROVIDERS,
    );
    let body = proptest::collection::vec(
        prop_oneof![12 => op().prop_map(|o| vec![o]), 1 => edge_pair(), 2 => guardian_chain(), 1 => attestation_edge()],
        1..40,
    );
    // Emergency: most providers hold the role; some windows are open from the start.
    let roles =
        proptest::collection::vec(prop_oneof![6 => Just(true), 1 => Just(false)], PROVIDERS);
    let windows = proptest::collection::vec(
        prop_oneof![1 => Just(None), 6 => (0u8..=2, 300u32..3_600).prop_map(Some)],
        PATIENTS * PROVIDERS,
    );
    let guardian_sets = proptest::collection::vec(
        prop_oneof![1 => Just(None), 2 => (prop_oneof![1 => 1u8..16, 1 => Just(15u8)], 1u8..4).prop_map(Some)],
        PATIENTS,
    );
    let preferences = proptest::collection::vec(
        (
            prop_oneof![1 => Just(0u16), 1 => 0u16..0x4000],
            prop_oneof![4 => Just(false), 1 => Just(true)],
        ),
        PATIENTS,
    );
    (
        verify,
        records,
        grants,
        body,
        (roles, windows, preferences, guardian_sets),
    )
        .prop_map(
            |(verify, records, grants, body, (roles, windows, preferences, guardian_sets))| {
                let mut ops = Vec::new();
                let can_open: Vec<bool> = verify
                    .iter()
                    .zip(&roles)
                    .map(|(v, r)| v.is_some() && *r)
                    .collect();
                for (p, v) in verify.into_iter().enumerate() {
                    ops.push(Op::RegisterProvider(p));
                    match v {
                        Some(None) => ops.push(Op::Verify(p)),
                        Some(Some(expires_in)) => {
                            ops.push(Op::Attest {
                                provider: p,
                                expires_in,
                            });
                            ops.push(Op::VerifyByAttestation(p));
                        }
                        None => {}
                    }
                }
                for (patient, recs) in records.into_iter().enumerate() {
                    ops.push(Op::RegisterPatient(patient));
                    for (category, day) in recs {
                        ops.push(Op::AddRecord {
                            patient,
                            category,
                            locator_len: 16,
                            day: day.filter(|d| *d >= 0),
                            key: Key::Current,
                        });
                    }
                }
                for (pair, terms) in grants.into_iter().enumerate() {
                    if let Some(terms) = terms {
                        ops.push(Op::Grant {
                            patient: pair / PROVIDERS,
                            provider: pair % PROVIDERS,
                            terms,
                            key: Key::Current,
                        });
                    }
                }
                for (provider, on) in roles.into_iter().enumerate() {
                    if on {
                        ops.push(Op::SetEmergencyRole { provider, on });
                    }
                }
                for (patient, (excluded, _)) in preferences.iter().enumerate() {
                    if *excluded != 0 {
                        ops.push(Op::SetEmergencyPreferences {
                            patient,
                            opt_out: false,
                            excluded: *excluded,
                            key: Key::Current,
                        });
                    }
                }
                for (pair, window) in windows.into_iter().enumerate() {
                    if let (Some((reason, duration)), true) = (window, can_open[pair % PROVIDERS]) {
                        ops.push(Op::OpenEmergency {
                            provider: pair % PROVIDERS,
                            patient: pair / PROVIDERS,
                            reason,
                            duration,
                            key: Key::Current,
                        });
                    }
                }
                // Some patients opt out once windows are open: their reads in them are denied.
                for (patient, (excluded, late)) in preferences.into_iter().enumerate() {
                    if late {
                        ops.push(Op::SetEmergencyPreferences {
                            patient,
                            opt_out: true,
                            excluded,
                            key: Key::Current,
                        });
                    }
                }
                // Some patients have guardians (members from the pool, a threshold, a mode).
                for (patient, set) in guardian_sets.into_iter().enumerate() {
                    if let Some((members, mode)) = set {
                        let n = members.count_ones() as u8;
                        ops.push(Op::SetGuardians {
                            patient,
                            members,
                            with_self: false,
                            threshold: n.div_ceil(2),
                            mode,
                            key: Key::Current,
                        });
                    }
                }
                ops.extend(body.into_iter().flatten());
                ops
            },
        )
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

/// Access outcomes (and hard errors) seen, across the run.
static CENSUS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
/// Sequences run, and the number of the first that diverged (before shrinking).
static SEQUENCES: AtomicU64 = AtomicU64::new(0);
static FIRST_DIVERGENCE: OnceLock<u64> = OnceLock::new();

/// Guardian operations and their results, across the run.
static GUARDIAN_CENSUS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn count_guardian(what: String) {
    *GUARDIAN_CENSUS.lock().unwrap().entry(what).or_default() += 1;
}

/// Emergency read outcomes (and hard errors) seen, across the run.
static EMERGENCY_CENSUS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn count_emergency(what: String) {
    *EMERGENCY_CENSUS.lock().unwrap().entry(what).or_default() += 1;
}

fn count(what: String) {
    *CENSUS.lock().unwrap().entry(what).or_default() += 1;
}

struct Run<'a> {
    f: &'a Fixture,
    /// Each provider's key chain: `[0]` is its id.
    providers: RefCell<Vec<Vec<Keypair>>>,
    /// Each patient's key chain: `[0]` is its id.
    patients: RefCell<Vec<Vec<Keypair>>>,
    stranger: Keypair,
    /// Each patient's pool of guardian keys (the last is a stranger to the set).
    guardians: Vec<Vec<Keypair>>,
    /// The new key each recovery or hand-over proposal names, by (patient, proposal).
    recovery_keys: RefCell<BTreeMap<(usize, usize), Keypair>>,
}

/// A key chain's signer for `key`: the current key (model's index), or a
/// stale one (the previous key, else the stranger).
fn pick<'k>(chain: &'k [Keypair], current: usize, key: Key, stranger: &'k Keypair) -> &'k Keypair {
    match key {
        Key::Current => &chain[current.min(chain.len() - 1)],
        Key::Stale if current > 0 => &chain[current - 1],
        Key::Stale => stranger,
    }
}

impl Run<'_> {
    fn fund(&self, k: &Keypair) {
        let faucet = self.f.ledger().faucet();
        self.f
            .client
            .send(
                &[anchor_lang::solana_program::system_instruction::transfer(
                    &faucet.pubkey(),
                    &k.pubkey(),
                    10_000_000_000,
                )],
                &faucet,
                &[],
            )
            .expect("funding");
    }

    /// Sends through the SDK; maps the answer to the model's vocabulary.
    /// `m` is the model *before* the operation (for key indices).
    fn exec(&self, op: Op, m: &Model) -> Expect {
        let f = self.f;
        let a = &f.authority;
        let c = &f.client;
        let providers = self.providers.borrow();
        let patients = self.patients.borrow();
        let pid = |p: usize| providers[p][0].pubkey();
        let tid = |t: usize| patients[t][0].pubkey();
        let pkey = |p: usize, key: Key| {
            let current = m.providers.get(&p).map_or(0, |s| s.key);
            pick(&providers[p], current, key, &self.stranger)
        };
        let tkey = |t: usize, key: Key| {
            let current = m.patients.get(&t).map_or(0, |s| s.authority);
            pick(&patients[t], current, key, &self.stranger)
        };
        let send = |ixs: &[anchor_lang::solana_program::instruction::Instruction],
                    payer: &Keypair,
                    others: &[&Keypair]| {
            let others: Vec<&dyn Signer> = others.iter().map(|k| *k as &dyn Signer).collect();
            c.send(ixs, payer, &others)
                .map(|_| None)
                .inspect_err(|e| assert_checks_before_effects(e.logs()))
        };
        // The chain's terms from the same spec the model uses, at the ledger's clock.
        let terms = |spec: TermsSpec| {
            let t = spec.at(f.now());
            ConsentTerms {
                categories: t.categories,
                modes: t.modes,
                purposes: t.purposes,
                not_before: t.not_before,
                expires_at: t.expires_at,
                access_limit: t.access_limit,
                from_day: t.from_day,
                to_day: t.to_day,
                renewal_period_secs: t.renewal_period,
                renewals_allowed: t.renewals_allowed,
            }
        };
        let page = |t: usize, payer: &Keypair| c.writable_log_page(payer, &tid(t)).unwrap_or(0);
        let result: Result<Option<u8>, ClientError> = match op {
            Op::RegisterProvider(p) => send(
                &[ix::register_provider(
                    pid(p),
                    ProviderKind::Clinic,
                    [p as u8 + 1; 32],
                )],
                &providers[p][0],
                &[],
            ),
            Op::Verify(p) => send(&[ix::verify_provider(a.pubkey(), &pid(p))], a, &[]),
            Op::Suspend(p) => send(&[ix::suspend_provider(a.pubkey(), &pid(p))], a, &[]),
            Op::Reinstate(p) => send(&[ix::reinstate_provider(a.pubkey(), &pid(p))], a, &[]),
            Op::VerifyByStranger(p) => send(
                &[ix::verify_provider(self.stranger.pubkey(), &pid(p))],
                &self.stranger,
                &[],
            ),
            Op::Attest {
                provider,
                expires_in,
            } => {
                let data = attestation_account_data(
                    &POLICY,
                    &pid(provider),
                    &attestation_data(&[provider as u8 + 1; 32], ProviderKind::Clinic),
                    &self.stranger.pubkey(),
                    expires_in.map_or(0, |s| m.now + s),
                    &Pubkey::default(),
                );
                f.ledger().set_account(
                    &attestation_address(&pid(provider)),
                    solana_sdk::account::Account {
                        lamports: f.ledger().minimum_balance(data.len()),
                        data,
                        owner: ATTESTATION_PROGRAM_ID,
                        executable: false,
                        rent_epoch: 0,
                    },
                );
                Ok(None)
            }
            Op::CloseAttestation(provider) => {
                f.ledger().set_account(
                    &attestation_address(&pid(provider)),
                    solana_sdk::account::Account::default(),
                );
                Ok(None)
            }
            Op::VerifyByAttestation(p) => send(
                &[ix::verify_provider_by_attestation(
                    self.stranger.pubkey(),
                    &pid(p),
                    &POLICY,
                )],
                &self.stranger,
                &[],
            ),
            // As `hdx provider lapse-due` cranks it: through the attestation the provider stored.
            Op::Lapse(p) => {
                let stored = c
                    .fetch::<Provider>(&pda::provider(&pid(p)).0)
                    .unwrap()
                    .map_or(Pubkey::default(), |a| a.attestation);
                send(&[ix::lapse_provider(&pid(p), stored)], &self.stranger, &[])
            }
            Op::RotateProviderKey { provider, key } => {
                let new = Keypair::new();
                self.fund(&new);
                let signer = pkey(provider, key);
                let r = send(
                    &[ix::rotate_provider_key(
                        signer.pubkey(),
                        new.pubkey(),
                        &pid(provider),
                    )],
                    signer,
                    &[&new],
                );
                if r.is_ok() {
                    drop(providers);
                    self.providers.borrow_mut()[provider].push(new);
                    return Expect::Ok;
                }
                r
            }
            Op::RegisterPatient(t) => send(&[ix::register_patient(tid(t))], &patients[t][0], &[]),
            Op::RotatePatientAuthority { patient, key } => {
                let new = Keypair::new();
                self.fund(&new);
                let signer = tkey(patient, key);
                let r = send(
                    &[ix::rotate_patient_authority(
                        signer.pubkey(),
                        new.pubkey(),
                        &tid(patient),
                    )],
                    signer,
                    &[&new],
                );
                if r.is_ok() {
                    drop(patients);
                    self.patients.borrow_mut()[patient].push(new);
                    return Expect::Ok;
                }
                r
            }
            Op::AddRecord {
                patient,
                category,
                locator_len,
                day,
                key,
            } => {
                let index = c
                    .patient(&tid(patient))
                    .map(|p| p.record_count)
                    .unwrap_or(0);
                let signer = tkey(patient, key);
                let args = AddRecordArgs {
                    category: Category::from_code(category).unwrap(),
                    clinical_day: m.day(day),
                    locator: vec![0x61; locator_len],
                    content_hash: [9; 32],
                };
                send(
                    &[ix::add_record(signer.pubkey(), &tid(patient), index, args)],
                    signer,
                    &[],
                )
            }
            Op::Grant {
                patient,
                provider,
                terms: spec,
                key,
            } => {
                let signer = tkey(patient, key);
                send(
                    &[ix::grant_consent(
                        signer.pubkey(),
                        &tid(patient),
                        &pid(provider),
                        terms(spec),
                    )],
                    signer,
                    &[],
                )
            }
            Op::Update {
                patient,
                provider,
                terms: spec,
                key,
            } => {
                let signer = tkey(patient, key);
                send(
                    &[ix::update_consent(
                        signer.pubkey(),
                        &tid(patient),
                        &pid(provider),
                        terms(spec),
                    )],
                    signer,
                    &[],
                )
            }
            Op::Revoke {
                patient,
                provider,
                key,
            } => {
                let signer = tkey(patient, key);
                send(
                    &[ix::revoke_consent(
                        signer.pubkey(),
                        &tid(patient),
                        &pid(provider),
                    )],
                    signer,
                    &[],
                )
            }
            Op::Renew { patient, provider } => send(
                &[ix::renew_consent(&tid(patient), &pid(provider))],
                &self.stranger,
                &[],
            ),
            Op::Access {
                provider,
                patient,
                record,
                purpose,
                key,
            } => {
                let signer = pkey(provider, key);
                let page = page(patient, signer);
                c.send(
                    &[ix::access_record(
                        signer.pubkey(),
                        &pid(provider),
                        &tid(patient),
                        record,
                        page,
                        Purpose::from_code(purpose).unwrap(),
                    )],
                    signer,
                    &[],
                )
                .map(|r| Some(outcome_of(&r)))
            }
            Op::Write {
                provider,
                patient,
                category,
                purpose,
                day,
                key,
            } => {
                let signer = pkey(provider, key);
                let next = c
                    .patient(&tid(patient))
                    .map(|p| p.record_count)
                    .unwrap_or(0);
                let page = page(patient, signer);
                let args = WriteRecordArgs {
                    category: Category::from_code(category).unwrap(),
                    clinical_day: m.day(day),
                    locator: b"w".to_vec(),
                    content_hash: [5; 32],
                    purpose: Purpose::from_code(purpose).unwrap(),
                };
                c.send(
                    &[ix::write_record(
                        signer.pubkey(),
                        &pid(provider),
                        &tid(patient),
                        next,
                        page,
                        args,
                    )],
                    signer,
                    &[],
                )
                .map(|r| Some(outcome_of(&r)))
            }
            Op::SetPaused(b) => send(&[ix::set_paused(a.pubkey(), b)], a, &[]),
            Op::Advance(secs) => {
                f.advance(secs);
                Ok(None)
            }
            Op::AdvanceTo {
                patient,
                provider,
                edge,
                delta,
            } => {
                f.advance(m.advance_to(patient, provider, edge, delta));
                Ok(None)
            }
            Op::AdvanceToWindow {
                patient,
                provider,
                cooldown,
                delta,
            } => {
                f.advance(m.advance_to_window(patient, provider, cooldown, delta));
                Ok(None)
            }
            Op::SetGuardians {
                patient,
                members,
                with_self,
                threshold,
                mode,
                key,
            } => {
                let signer = tkey(patient, key);
                let mut list: Vec<Pubkey> = (0..GUARDIAN_POOL)
                    .filter(|i| members & (1 << i) != 0)
                    .map(|i| self.guardians[patient][i].pubkey())
                    .collect();
                if with_self {
                    list.push(tkey(patient, Key::Current).pubkey());
                }
                send(
                    &[ix::set_guardians(
                        signer.pubkey(),
                        &tid(patient),
                        list,
                        threshold,
                        GuardianMode::from_code(mode).unwrap(),
                    )],
                    signer,
                    &[],
                )
            }
            Op::Propose {
                patient,
                guardian,
                kind,
                provider,
                terms: spec,
                keep,
                opt_out,
                excluded,
            } => {
                let g = &self.guardians[patient][guardian];
                let index = c
                    .fetch::<GuardianSet>(&pda::guardian_set(&tid(patient)).0)
                    .unwrap()
                    .map_or(0, |s| s.proposals);
                let new = Keypair::new();
                let (provider, terms) = (pid(provider), terms(spec));
                let action = match kind {
                    hdx_tests::model::P_GRANT => ProposalAction::Grant { provider, terms },
                    hdx_tests::model::P_UPDATE => ProposalAction::Update { provider, terms },
                    hdx_tests::model::P_RECOVER => ProposalAction::Recover {
                        new_authority: new.pubkey(),
                    },
                    hdx_tests::model::P_HAND_OVER => ProposalAction::HandOver {
                        new_authority: new.pubkey(),
                        keep_for_recovery: keep,
                    },
                    _ => ProposalAction::EmergencyPreferences {
                        preferences: EmergencyPreferences { opt_out, excluded },
                    },
                };
                let r = send(
                    &[ix::propose_guardian_action(
                        g.pubkey(),
                        &tid(patient),
                        index,
                        action,
                    )],
                    g,
                    &[],
                );
                if r.is_ok() {
                    self.fund(&new);
                    self.recovery_keys
                        .borrow_mut()
                        .insert((patient, index as usize), new);
                }
                r
            }
            Op::Approve {
                patient,
                guardian,
                proposal,
            } => {
                let g = &self.guardians[patient][guardian];
                let i = m.pick_proposal(patient, proposal).unwrap_or(64) as u32;
                send(
                    &[ix::approve_guardian_action(g.pubkey(), &tid(patient), i)],
                    g,
                    &[],
                )
            }
            Op::Execute {
                patient,
                guardian,
                proposal,
            } => {
                let g = &self.guardians[patient][guardian];
                let i = m.pick_proposal(patient, proposal);
                let prop = i.and_then(|i| {
                    m.patients[&patient]
                        .guardians
                        .as_ref()
                        .map(|s| s.proposals[i])
                });
                let index = i.unwrap_or(64) as u32;
                match prop.map(|p| p.kind) {
                    Some(hdx_tests::model::P_PREFERENCES) => send(
                        &[ix::execute_guardian_preferences(
                            g.pubkey(),
                            &tid(patient),
                            index,
                        )],
                        g,
                        &[],
                    ),
                    Some(hdx_tests::model::P_UPDATE) => send(
                        &[ix::execute_guardian_update(
                            g.pubkey(),
                            &tid(patient),
                            index,
                            &pid(prop.unwrap().provider),
                        )],
                        g,
                        &[],
                    ),
                    Some(hdx_tests::model::P_RECOVER | hdx_tests::model::P_HAND_OVER) => {
                        let keys = self.recovery_keys.borrow();
                        let new = &keys[&(patient, index as usize)];
                        let r = send(
                            &[ix::execute_guardian_recovery(
                                g.pubkey(),
                                &tid(patient),
                                index,
                                new.pubkey(),
                            )],
                            g,
                            &[new],
                        );
                        if r.is_ok() {
                            drop(patients);
                            self.patients.borrow_mut()[patient].push(new.insecure_clone());
                            return Expect::Ok;
                        }
                        r
                    }
                    other => send(
                        &[ix::execute_guardian_grant(
                            g.pubkey(),
                            &tid(patient),
                            index,
                            &pid(prop.map_or(0, |p| p.provider)),
                        )],
                        g,
                        &[],
                    )
                    .inspect(|_| assert!(other.is_some())),
                }
            }
            Op::GuardianRevoke {
                patient,
                guardian,
                provider,
            } => {
                let g = &self.guardians[patient][guardian];
                let refund = tkey(patient, Key::Current).pubkey();
                send(
                    &[ix::guardian_revoke_consent(
                        g.pubkey(),
                        &tid(patient),
                        &pid(provider),
                        refund,
                    )],
                    g,
                    &[],
                )
            }
            Op::SetEmergencyRole { provider, on } => send(
                &[ix::set_provider_roles(
                    a.pubkey(),
                    &pid(provider),
                    if on { ROLE_EMERGENCY } else { 0 },
                )],
                a,
                &[],
            ),
            Op::SetEmergencyPolicy {
                max_secs,
                cooldown_secs,
            } => send(
                &[ix::set_emergency_policy(
                    a.pubkey(),
                    max_secs,
                    cooldown_secs,
                )],
                a,
                &[],
            ),
            Op::SetEmergencyPreferences {
                patient,
                opt_out,
                excluded,
                key,
            } => {
                let signer = tkey(patient, key);
                send(
                    &[ix::set_emergency_preferences(
                        signer.pubkey(),
                        &tid(patient),
                        opt_out,
                        excluded,
                    )],
                    signer,
                    &[],
                )
            }
            Op::OpenEmergency {
                provider,
                patient,
                reason,
                duration,
                key,
            } => {
                let signer = pkey(provider, key);
                let index = c
                    .patient(&tid(patient))
                    .map(|p| p.emergency_windows)
                    .unwrap_or(0);
                let page = page(patient, signer);
                send(
                    &[ix::open_emergency(
                        signer.pubkey(),
                        &pid(provider),
                        &tid(patient),
                        index,
                        page,
                        EmergencyReason::from_code(reason).unwrap(),
                        duration,
                    )],
                    signer,
                    &[],
                )
            }
            Op::EmergencyRead {
                provider,
                patient,
                record,
                window,
                key,
            } => {
                let signer = pkey(provider, key);
                // The window the model names; a missing one is the next index (no account there).
                let w = m
                    .pick_window(patient, provider, window)
                    .unwrap_or_else(|| m.patients.get(&patient).map_or(0, |p| p.windows.len()))
                    as u32;
                let page = page(patient, signer);
                c.send(
                    &[ix::emergency_access(
                        signer.pubkey(),
                        &pid(provider),
                        &tid(patient),
                        record,
                        w,
                        page,
                    )],
                    signer,
                    &[],
                )
                .map(|r| Some(outcome_of(&r)))
            }
            Op::CloseEmergency {
                provider,
                patient,
                key,
            } => {
                let signer = pkey(provider, key);
                let w = m
                    .patients
                    .get(&patient)
                    .and_then(|p| p.latest_window(provider))
                    .unwrap_or(64) as u32;
                send(
                    &[ix::close_emergency(
                        signer.pubkey(),
                        &pid(provider),
                        &tid(patient),
                        w,
                    )],
                    signer,
                    &[],
                )
            }
            Op::EndEmergency {
                patient,
                provider,
                key,
            } => {
                let signer = tkey(patient, key);
                let w = m
                    .patients
                    .get(&patient)
                    .and_then(|p| p.latest_window(provider))
                    .unwrap_or(64) as u32;
                send(
                    &[ix::end_emergency(
                        signer.pubkey(),
                        &tid(patient),
                        &pid(provider),
                        w,
                    )],
                    signer,
                    &[],
                )
            }
            Op::ReviewEmergency {
                patient,
                window,
                verdict,
            } => {
                let w = m.pick_window(patient, 0, Some(window)).unwrap_or(64) as u32;
                send(
                    &[ix::review_emergency(
                        a.pubkey(),
                        &tid(patient),
                        w,
                        Verdict::from_code(verdict).unwrap(),
                    )],
                    a,
                    &[],
                )
            }
            Op::AcknowledgeEmergency {
                patient,
                window,
                key,
            } => {
                let signer = tkey(patient, key);
                let w = m.pick_window(patient, 0, Some(window)).unwrap_or(64) as u32;
                send(
                    &[ix::acknowledge_emergency(signer.pubkey(), &tid(patient), w)],
                    signer,
                    &[],
                )
            }
        };
        Expect::of(result)
    }

    /// Every account's decoded state against the model.
    fn compare(&self, m: &Model) -> Result<(), String> {
        let c = &self.f.client;
        let providers = self.providers.borrow();
        let patients = self.patients.borrow();
        let reg: Registry = c.registry().map_err(|e| e.to_string())?;
        check(reg.paused == m.paused, "paused flag")?;
        check(
            (reg.emergency.max_secs, reg.emergency.cooldown_secs)
                == (m.emergency_max, m.emergency_cooldown),
            "emergency policy",
        )?;
        for (i, chain) in providers.iter().enumerate() {
            let id = chain[0].pubkey();
            let acc: Option<Provider> = c.fetch(&pda::provider(&id).0).unwrap();
            match (acc, m.providers.get(&i)) {
                (None, None) => {}
                (Some(a), Some(s)) => check(
                    a.status.code() == s.status
                        && a.id == id
                        && a.signer == chain[s.key].pubkey()
                        && a.number == s.number
                        && a.has_role(ROLE_EMERGENCY) == s.emergency
                        && a.basis.code() == s.basis
                        && a.attestation_expiry == s.attestation_expiry
                        && a.attestation
                            == if s.attested {
                                attestation_address(&id)
                            } else {
                                Pubkey::default()
                            },
                    &format!("provider {i}: chain {a:?}, model {s:?}"),
                )?,
                (a, s) => return Err(format!("provider {i}: chain {a:?}, model {s:?}")),
            }
        }
        for (i, chain) in patients.iter().enumerate() {
            let id = chain[0].pubkey();
            let acc: Option<Patient> = c.fetch(&pda::patient(&id).0).unwrap();
            let Some(state) = m.patients.get(&i) else {
                check(acc.is_none(), &format!("patient {i} should not exist"))?;
                continue;
            };
            let acc = acc.ok_or(format!("patient {i} missing"))?;
            check(
                acc.record_count as usize == state.records.len()
                    && acc.id == id
                    && acc.authority == chain[state.authority].pubkey()
                    && acc.consent_revisions == state.consent_revisions
                    && acc.emergency.opt_out == state.opt_out
                    && acc.emergency.excluded == state.excluded
                    && acc.emergency_windows as usize == state.windows.len(),
                &format!("patient {i}: chain {acc:?}, model {state:?}"),
            )?;
            for (k, r) in state.records.iter().enumerate() {
                let rec: Record = c.record(&id, k as u32).map_err(|e| e.to_string())?;
                let author = r.author.map(|p| providers[p][0].pubkey()).unwrap_or(id);
                check(
                    rec.category.code() == r.category
                        && rec.clinical_day == r.day
                        && rec.author == author
                        && rec.index == k as u32,
                    &format!("patient {i} record {k}: chain {rec:?}, model {r:?}"),
                )?;
            }
            check(
                c.fetch::<Record>(&pda::record(&id, state.records.len() as u32).0)
                    .unwrap()
                    .is_none(),
                "no extra record",
            )?;
            let log = c.log(&id).map_err(|e| e.to_string())?;
            let entries: Vec<audit::Entry> = log.entries();
            let expected: Vec<audit::Entry> = state
                .log
                .iter()
                .enumerate()
                .map(|(n, e)| audit::Entry {
                    sequence: n as u64,
                    entry: LogEntry {
                        provider: e.provider,
                        time: e.time as u32,
                        record_index: e.record,
                        basis: e.basis,
                        category: e.category,
                        action: e.action,
                        purpose: e.purpose,
                        outcome: e.outcome,
                    },
                })
                .collect();
            check(
                entries == expected,
                &format!("patient {i} log: chain {entries:?}\nmodel {expected:?}"),
            )?;
            check(
                log.head() == audit::fold(&id, &expected),
                &format!("patient {i} hash head"),
            )?;
            log.verify().map_err(|e| e.to_string())?;
            check(
                acc.guardian_mode.code() == state.guardian_mode,
                &format!("patient {i} guardian mode"),
            )?;
            let set: Option<GuardianSet> = c.fetch(&pda::guardian_set(&id).0).unwrap();
            match (set, &state.guardians) {
                (None, None) => {}
                (Some(a), Some(s)) => {
                    let members: Vec<Pubkey> = s
                        .members
                        .iter()
                        .map(|g| self.guardians[i][*g].pubkey())
                        .collect();
                    check(
                        (
                            a.mode.code(),
                            a.threshold,
                            a.count as usize,
                            a.generation,
                            a.proposals as usize,
                        ) == (
                            s.mode,
                            s.threshold,
                            s.members.len(),
                            s.generation,
                            s.proposals.len(),
                        ) && a.guardians[..a.count as usize] == members[..],
                        &format!("patient {i} guardians: chain {a:?}, model {s:?}"),
                    )?;
                    for (k, mp) in s.proposals.iter().enumerate() {
                        let ap: Proposal = c
                            .fetch(&pda::proposal(&id, k as u32).0)
                            .unwrap()
                            .ok_or(format!("proposal {k} missing"))?;
                        let (keep, preferences) = match ap.action {
                            ProposalAction::HandOver {
                                keep_for_recovery, ..
                            } => (keep_for_recovery, (false, 0)),
                            ProposalAction::EmergencyPreferences { preferences } => {
                                (false, (preferences.opt_out, preferences.excluded))
                            }
                            _ => (false, (false, 0)),
                        };
                        check(
                            (
                                ap.action.kind().code(),
                                ap.approvals,
                                ap.executed,
                                ap.generation,
                                ap.created_at,
                                keep,
                                preferences,
                            ) == (
                                mp.kind,
                                mp.approvals,
                                mp.executed,
                                mp.generation,
                                mp.created_at,
                                mp.keep,
                                (mp.opt_out, mp.excluded),
                            ) && ap.proposer == self.guardians[i][mp.proposer].pubkey(),
                            &format!("patient {i} proposal {k}: chain {ap:?}, model {mp:?}"),
                        )?;
                    }
                }
                (a, s) => return Err(format!("patient {i} guardians: chain {a:?}, model {s:?}")),
            }
            for (k, w) in state.windows.iter().enumerate() {
                let a: EmergencyWindow = c
                    .emergency_window(&id, k as u32)
                    .map_err(|e| e.to_string())?;
                check(
                    (a.patient, a.provider, a.index)
                        == (id, providers[w.provider][0].pubkey(), k as u32)
                        && (
                            a.reason.code(),
                            a.opened_at,
                            a.expires_at,
                            a.ended_at,
                            a.ended_by.code(),
                            a.reads,
                        ) == (
                            w.reason,
                            w.opened_at,
                            w.expires_at,
                            w.ended_at,
                            w.ended_by,
                            w.reads,
                        )
                        && (a.verdict.code(), a.reviewed_at, a.acknowledged_at)
                            == (w.verdict, w.reviewed_at, w.acknowledged_at),
                    &format!("patient {i} window {k}: chain {a:?}, model {w:?}"),
                )?;
            }
            for (j, pchain) in providers.iter().enumerate() {
                let tracker: Option<EmergencyTracker> = c
                    .fetch(&pda::emergency_tracker(&id, &pchain[0].pubkey()).0)
                    .unwrap();
                check(
                    tracker.map(|t| (t.last_window as usize, t.last_ends_at))
                        == m.trackers.get(&(i, j)).copied(),
                    &format!("tracker ({i},{j})"),
                )?;
            }
            for (j, pchain) in providers.iter().enumerate() {
                let consent: Option<Consent> = c.consent(&id, &pchain[0].pubkey()).unwrap();
                match (consent, m.consents.get(&(i, j))) {
                    (None, None) => {}
                    (Some(a), Some(s)) => {
                        let t = &s.terms;
                        check(
                            (
                                a.terms.categories,
                                a.terms.modes,
                                a.terms.purposes,
                                a.terms.not_before,
                                a.terms.expires_at,
                                a.terms.access_limit,
                                a.terms.from_day,
                                a.terms.to_day,
                                a.terms.renewal_period_secs,
                                a.terms.renewals_allowed,
                            ) == (
                                t.categories,
                                t.modes,
                                t.purposes,
                                t.not_before,
                                t.expires_at,
                                t.access_limit,
                                t.from_day,
                                t.to_day,
                                t.renewal_period,
                                t.renewals_allowed,
                            ) && (a.revision, a.accesses_used, a.renewals_used)
                                == (s.revision, s.accesses_used, s.renewals_used)
                                && (a.patient, a.provider) == (id, pchain[0].pubkey()),
                            &format!("consent ({i},{j}): chain {a:?}, model {s:?}"),
                        )?
                    }
                    (a, s) => return Err(format!("consent ({i},{j}): chain {a:?}, model {s:?}")),
                }
            }
        }
        Ok(())
    }
}

fn outcome_of(r: &hdx_sdk::transport::Receipt) -> u8 {
    let data = r.return_data.as_ref().expect("access returns data");
    data[0]
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("divergence: {what}"))
    }
}

fn run_sequence(ops: &[Op]) -> Result<(), String> {
    FIXTURE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let f = &*slot.get_or_insert_with(Fixture::new);
        // Fresh keys are fresh state; the clock starts over too (sequences
        // move it by up to years, and one ledger serves the whole run).
        f.ledger().set_time(hdx_node::embedded::DEFAULT_START_TIME);
        let faucet = f.ledger().faucet();
        let run = Run {
            f,
            providers: RefCell::new((0..PROVIDERS).map(|_| vec![Keypair::new()]).collect()),
            patients: RefCell::new((0..PATIENTS).map(|_| vec![Keypair::new()]).collect()),
            stranger: Keypair::new(),
            guardians: (0..PATIENTS)
                .map(|_| (0..=GUARDIAN_POOL).map(|_| Keypair::new()).collect())
                .collect(),
            recovery_keys: RefCell::new(BTreeMap::new()),
        };
        let transfers: Vec<_> = run
            .providers
            .borrow()
            .iter()
            .chain(run.patients.borrow().iter())
            .map(|chain| chain[0].pubkey())
            .chain([run.stranger.pubkey()])
            .chain(run.guardians.iter().flatten().map(|k| k.pubkey()))
            .map(|k| {
                anchor_lang::solana_program::system_instruction::transfer(
                    &faucet.pubkey(),
                    &k,
                    10_000_000_000,
                )
            })
            .collect();
        f.client
            .send(&transfers, &faucet, &[])
            .map_err(|e| e.to_string())?;
        f.client
            .send(
                &[
                    ix::set_paused(f.authority.pubkey(), false),
                    ix::set_credential_policy(f.authority.pubkey(), POLICY),
                    ix::set_emergency_policy(
                        f.authority.pubkey(),
                        hdx_tests::model::DEFAULT_EMERGENCY_MAX,
                        hdx_tests::model::DEFAULT_EMERGENCY_COOLDOWN,
                    ),
                ],
                &f.authority,
                &[],
            )
            .map_err(|e| e.to_string())?;
        // Provider numbers continue from earlier sequences on this ledger.
        let mut model = Model::new(f.ledger().unix_time().unwrap());
        model.provider_count = f
            .client
            .registry()
            .map_err(|e| e.to_string())?
            .provider_count;
        for (step, op) in ops.iter().enumerate() {
            let before = model.clone();
            let want = model.apply(*op);
            let got = run.exec(*op, &before);
            if let Op::Access { .. } = op {
                count(match &got {
                    Expect::Outcome(o) => OUTCOMES[*o as usize].1.to_string(),
                    Expect::Error(e) => format!("error: {e}"),
                    Expect::Ok => "ok?".into(),
                });
            }
            let credential_op = match op {
                Op::VerifyByAttestation(_) => Some("verify-by-attestation"),
                Op::Lapse(_) => Some("lapse"),
                _ => None,
            };
            if let Some(name) = credential_op {
                let what = match &got {
                    Expect::Error(e) => format!("{name}: {e}"),
                    _ => format!("{name}: ok"),
                };
                *CREDENTIAL_CENSUS.lock().unwrap().entry(what).or_default() += 1;
            }
            let guardian_op = match op {
                Op::Propose { .. } => Some("propose".to_string()),
                Op::Approve { .. } => Some("approve".to_string()),
                Op::GuardianRevoke { .. } => Some("revoke".to_string()),
                Op::SetGuardians { .. } => Some("set".to_string()),
                // The patient's own preferences: refused while guardians act alone.
                Op::SetEmergencyPreferences { .. } => Some("patient preferences".to_string()),
                Op::Execute {
                    patient, proposal, ..
                } => Some(
                    before
                        .pick_proposal(*patient, *proposal)
                        .and_then(|i| {
                            before.patients[patient]
                                .guardians
                                .as_ref()
                                .map(|s| s.proposals[i].kind)
                        })
                        .map_or("execute (none)".to_string(), |k| {
                            format!("execute {}", ProposalKind::from_code(k).unwrap().name())
                        }),
                ),
                _ => None,
            };
            if let Some(what) = guardian_op {
                count_guardian(format!(
                    "{what}: {}",
                    match &got {
                        Expect::Ok => "ok".to_string(),
                        Expect::Error(e) => e.to_string(),
                        Expect::Outcome(o) => format!("outcome {o}"),
                    }
                ));
            }
            if let Op::EmergencyRead { .. } = op {
                count_emergency(match &got {
                    Expect::Outcome(o) => EMERGENCY_OUTCOMES
                        .iter()
                        .find(|(c, _)| c == o)
                        .map_or(format!("outcome {o}"), |(_, n)| n.to_string()),
                    Expect::Error(e) => format!("error: {e}"),
                    Expect::Ok => "ok?".into(),
                });
            }
            if want != got {
                return Err(format!(
                    "step {step} {op:?}: program answered {got:?}, model expects {want:?}"
                ));
            }
            run.compare(&model)
                .map_err(|e| format!("after step {step} {op:?}: {e}"))?;
        }
        Ok(())
    })
}

/// The registry's credential policy in every sequence: a fixed issuer's credential and schema.
const POLICY: CredentialPolicy = CredentialPolicy {
    credential: Pubkey::new_from_array([0xc1; 32]),
    schema: Pubkey::new_from_array([0x5c; 32]),
};

/// The attestation service's address for the provider `id` under [`POLICY`].
fn attestation_address(id: &Pubkey) -> Pubkey {
    pda::attestation(&POLICY.credential, &POLICY.schema, id).0
}

/// Licence operations and their results, across the run.
static CREDENTIAL_CENSUS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn cases() -> u32 {
    std::env::var("HDX_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// The generator's seed: fixed unless `HDX_MODEL_SEED` names another, as the
/// fuzzer's is (`HDX_FUZZ_SEED`). A fresh random seed every run let the suite's
/// 200 sequences miss a 1% census floor now and then (an outcome 3 times in
/// 316 emergency reads) and fail CI by chance; long runs and exploration pass
/// their own seed.
fn seed() -> u64 {
    std::env::var("HDX_MODEL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_0000_0de1_0001)
}

#[test]
fn model_program_and_reference_model_agree_and_every_outcome_is_reached() {
    let (cases, seed) = (cases(), seed());
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    };
    let rng = TestRng::from_seed(config.rng_algorithm, &seed.to_le_bytes().repeat(4));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&sequence(), |ops| {
        let n = SEQUENCES.fetch_add(1, Ordering::Relaxed) + 1;
        run_sequence(&ops).map_err(|e| {
            FIRST_DIVERGENCE.get_or_init(|| n);
            proptest::test_runner::TestCaseError::fail(e)
        })
    });
    if let Err(e) = result {
        panic!(
            "the program and the model diverged, first at sequence {} (then shrunk): {e}",
            FIRST_DIVERGENCE.get().copied().unwrap_or_default()
        );
    }
    let census = CENSUS.lock().unwrap().clone();
    let attempts: u64 = census.values().sum();
    println!("model-based test: {cases} sequences (seed {seed}), {attempts} access attempts:");
    for (what, n) in &census {
        println!(
            "  {what:<28} {n:>7}  {:>5.1}%",
            100.0 * *n as f64 / attempts as f64
        );
    }
    for (_, name) in OUTCOMES {
        let n = census.get(name).copied().unwrap_or(0);
        assert!(
            n * 100 >= attempts,
            "outcome {name} is {n} of {attempts} access attempts (< 1%): the generator does not reach it"
        );
    }
    let guardians = GUARDIAN_CENSUS.lock().unwrap().clone();
    println!("  guardian operations:");
    for (what, n) in &guardians {
        println!("  {what:<40} {n:>7}");
    }
    for done in [
        "execute grant: ok",
        "execute update: ok",
        "execute recover: ok",
        "execute hand-over: ok",
        "execute emergency-preferences: ok",
        "revoke: ok",
        "approve: ok",
        "patient preferences: ok",
        "patient preferences: GuardiansActForPatient",
    ] {
        assert!(
            guardians.get(done).copied().unwrap_or(0) > 0,
            "no {done} in {cases} sequences: the generator does not reach it"
        );
    }
    let credentials = CREDENTIAL_CENSUS.lock().unwrap().clone();
    println!("  licence operations:");
    for (what, n) in &credentials {
        println!("  {what:<40} {n:>7}");
    }
    for done in [
        "verify-by-attestation: ok",
        "verify-by-attestation: AttestationExpired",
        "verify-by-attestation: AttestationOwnerMismatch",
        "verify-by-attestation: ProviderSuspended",
        "lapse: ok",
        "lapse: NotAttested",
        "lapse: AttestationStillHolds",
    ] {
        assert!(
            credentials.get(done).copied().unwrap_or(0) > 0,
            "no {done} in {cases} sequences: the generator does not reach it"
        );
    }
    assert!(
        census
            .get("error: ProviderAttestationExpired")
            .copied()
            .unwrap_or(0)
            > 0,
        "no access by a provider whose attestation expired: the generator does not reach it"
    );
    let emergency = EMERGENCY_CENSUS.lock().unwrap().clone();
    let reads: u64 = emergency.values().sum();
    println!("  emergency reads: {reads}");
    for (what, n) in &emergency {
        println!(
            "  {what:<28} {n:>7}  {:>5.1}%",
            100.0 * *n as f64 / reads as f64
        );
    }
    for (_, name) in EMERGENCY_OUTCOMES {
        let n = emergency.get(name).copied().unwrap_or(0);
        assert!(
            n * 100 >= reads,
            "emergency outcome {name} is {n} of {reads} emergency reads (< 1%): the generator does not reach it"
        );
    }
}
