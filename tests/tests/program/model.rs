//! Model-based random testing: random operation sequences (valid and invalid,
//! with clock moves) by several patients, providers and the authority, run
//! against the program and against `hdx_tests::model`; after every step the
//! result, every account's decoded state, the log and its hash head must agree.
//!
//! `cargo test -p hdx-tests --test program model` runs 200 sequences;
//! `HDX_MODEL_CASES=10000 cargo test -p hdx-tests --test program model -- --nocapture`
//! runs 10,000. Each worker thread reuses one ledger for up to
//! `SEQUENCES_PER_LEDGER` sequences; every sequence uses fresh keys (fresh
//! keys are fresh state) and starts unpaused.

use std::cell::RefCell;

use hdx::client::ClientError;
use hdx::transport::Transport;
use hdx::{audit, ix, pda};
use hdx_tests::model::{Expect, Model, Op, TermsSpec};
use hdx_tests::*;
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::instructions::WriteRecordArgs;
use health_data_exchange::state::{Consent, Patient, Provider, Record, Registry};
use health_data_exchange::ConsentTerms;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

const PROVIDERS: usize = 3;
const PATIENTS: usize = 2;

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PROVIDERS;
    let pt = 0..PATIENTS;
    let mask16 = prop_oneof![
        Just(0u16),
        Just(1u16),
        Just(3u16),
        Just(0x3fffu16),
        Just(1u16 << 14),
        0u16..0x4000
    ];
    let mask8 = prop_oneof![
        Just(0u8),
        Just(1u8),
        Just(3u8),
        Just(0x3fu8),
        Just(0x40u8),
        0u8..0x40
    ];
    let modes = prop_oneof![Just(1u8), Just(2u8), Just(3u8), Just(0u8), Just(4u8)];
    let start = prop_oneof![Just(0i64), -86_400i64..0, 1i64..5 * 86_400];
    let length = prop_oneof![Just(30 * 86_400i64), 1i64..10 * 86_400, -86_400i64..1];
    let spec = (mask16, modes, mask8, start, length).prop_map(
        |(categories, modes, purposes, start, length)| TermsSpec {
            categories,
            modes,
            purposes,
            start,
            length,
        },
    );
    let terms = (pt.clone(), p.clone(), spec);
    prop_oneof![
        3 => p.clone().prop_map(Op::RegisterProvider),
        3 => p.clone().prop_map(Op::Verify),
        1 => p.clone().prop_map(Op::Suspend),
        1 => p.clone().prop_map(Op::Reinstate),
        1 => p.clone().prop_map(Op::VerifyByStranger),
        3 => pt.clone().prop_map(Op::RegisterPatient),
        3 => (pt.clone(), prop_oneof![0u8..14, Just(14u8), Just(200u8)], prop_oneof![Just(16usize), Just(0usize), Just(129usize), 1usize..=128])
            .prop_map(|(patient, category, locator_len)| Op::AddRecord { patient, category, locator_len }),
        4 => terms.clone().prop_map(|(patient, provider, terms)| Op::Grant { patient, provider, terms }),
        2 => terms.prop_map(|(patient, provider, terms)| Op::Update { patient, provider, terms }),
        1 => (pt.clone(), p.clone()).prop_map(|(patient, provider)| Op::Revoke { patient, provider }),
        8 => (p.clone(), pt.clone(), 0u32..4, prop_oneof![0u8..6, Just(6u8)])
            .prop_map(|(provider, patient, record, purpose)| Op::Access { provider, patient, record, purpose }),
        2 => (p, pt, prop_oneof![0u8..14, Just(14u8)], prop_oneof![0u8..6, Just(7u8)])
            .prop_map(|(provider, patient, category, purpose)| Op::Write { provider, patient, category, purpose }),
        1 => any::<bool>().prop_map(Op::SetPaused),
        2 => prop_oneof![1i64..3_600, 86_400i64..20 * 86_400].prop_map(Op::Advance),
    ]
}

/// Sequences run on one ledger before it is replaced: the harness keeps every
/// slot's bank, so a ledger that lives for thousands of sequences grows by
/// gigabytes. A fresh one every so often bounds memory at no cost to coverage.
const SEQUENCES_PER_LEDGER: u32 = 200;

thread_local! {
    static FIXTURE: RefCell<Option<(Fixture, u32)>> = const { RefCell::new(None) };
}

struct Run<'a> {
    f: &'a Fixture,
    providers: Vec<Keypair>,
    patients: Vec<Keypair>,
    stranger: Keypair,
}

impl Run<'_> {
    /// Sends through the SDK; maps the answer to the model's vocabulary.
    fn exec(&self, op: Op) -> Expect {
        let f = self.f;
        let a = &f.authority;
        let c = &f.client;
        let send = |ixs: &[anchor_lang::solana_program::instruction::Instruction],
                    payer: &Keypair| { c.send(ixs, payer, &[]).map(|_| ()) };
        // The chain's terms from the same spec the model uses, at the ledger's clock.
        let terms = |spec: TermsSpec| {
            let t = spec.at(f.now());
            ConsentTerms {
                categories: t.categories,
                modes: t.modes,
                purposes: t.purposes,
                not_before: t.not_before,
                expires_at: t.expires_at,
            }
        };
        let result: Result<Option<u8>, ClientError> = match op {
            Op::RegisterProvider(p) => send(
                &[ix::register_provider(
                    self.providers[p].pubkey(),
                    ProviderKind::Clinic,
                    [p as u8 + 1; 32],
                )],
                &self.providers[p],
            )
            .map(|_| None),
            Op::Verify(p) => send(
                &[ix::verify_provider(a.pubkey(), &self.providers[p].pubkey())],
                a,
            )
            .map(|_| None),
            Op::Suspend(p) => send(
                &[ix::suspend_provider(
                    a.pubkey(),
                    &self.providers[p].pubkey(),
                )],
                a,
            )
            .map(|_| None),
            Op::Reinstate(p) => send(
                &[ix::reinstate_provider(
                    a.pubkey(),
                    &self.providers[p].pubkey(),
                )],
                a,
            )
            .map(|_| None),
            Op::VerifyByStranger(p) => send(
                &[ix::verify_provider(
                    self.stranger.pubkey(),
                    &self.providers[p].pubkey(),
                )],
                &self.stranger,
            )
            .map(|_| None),
            Op::RegisterPatient(pt) => send(
                &[ix::register_patient(self.patients[pt].pubkey())],
                &self.patients[pt],
            )
            .map(|_| None),
            Op::AddRecord {
                patient,
                category,
                locator_len,
            } => {
                let owner = &self.patients[patient];
                let index = c
                    .patient(&owner.pubkey())
                    .map(|p| p.record_count)
                    .unwrap_or(0);
                send(
                    &[ix::add_record(
                        owner.pubkey(),
                        index,
                        category,
                        vec![0x61; locator_len],
                        [9; 32],
                    )],
                    owner,
                )
                .map(|_| None)
            }
            Op::Grant {
                patient,
                provider,
                terms: spec,
            } => send(
                &[ix::grant_consent(
                    self.patients[patient].pubkey(),
                    &self.providers[provider].pubkey(),
                    terms(spec),
                )],
                &self.patients[patient],
            )
            .map(|_| None),
            Op::Update {
                patient,
                provider,
                terms: spec,
            } => send(
                &[ix::update_consent(
                    self.patients[patient].pubkey(),
                    &self.providers[provider].pubkey(),
                    terms(spec),
                )],
                &self.patients[patient],
            )
            .map(|_| None),
            Op::Revoke { patient, provider } => send(
                &[ix::revoke_consent(
                    self.patients[patient].pubkey(),
                    &self.providers[provider].pubkey(),
                )],
                &self.patients[patient],
            )
            .map(|_| None),
            Op::Access {
                provider,
                patient,
                record,
                purpose,
            } => {
                // Built directly (the page is current or absent for these short runs).
                let owner = self.patients[patient].pubkey();
                let page = c.patient(&owner).map(|p| p.current_log_page()).unwrap_or(0);
                let prov = &self.providers[provider];
                c.send(
                    &[ix::access_record(
                        prov.pubkey(),
                        &owner,
                        record,
                        page,
                        purpose,
                    )],
                    prov,
                    &[],
                )
                .map(|r| Some(outcome_of(&r)))
            }
            Op::Write {
                provider,
                patient,
                category,
                purpose,
            } => {
                let owner = self.patients[patient].pubkey();
                let (next, page) = c
                    .patient(&owner)
                    .map(|p| (p.record_count, p.current_log_page()))
                    .unwrap_or((0, 0));
                let prov = &self.providers[provider];
                let args = WriteRecordArgs {
                    category,
                    locator: b"w".to_vec(),
                    content_hash: [5; 32],
                    purpose,
                };
                c.send(
                    &[ix::write_record(prov.pubkey(), &owner, next, page, args)],
                    prov,
                    &[],
                )
                .map(|r| Some(outcome_of(&r)))
            }
            Op::SetPaused(b) => send(&[ix::set_paused(a.pubkey(), b)], a).map(|_| None),
            Op::Advance(secs) => {
                f.advance(secs);
                Ok(None)
            }
        };
        match result {
            Ok(None) => Expect::Ok,
            Ok(Some(o)) => Expect::Outcome(o),
            Err(e) => {
                let code = e
                    .program_code()
                    .unwrap_or_else(|| panic!("unexpected failure {e}"));
                let name = hdx::errors::lookup(code)
                    .map(|n| n.name.clone())
                    .unwrap_or_else(|| code.to_string());
                Expect::Error(Box::leak(name.into_boxed_str()))
            }
        }
    }

    /// Every account's decoded state against the model.
    fn compare(&self, m: &Model) -> Result<(), String> {
        let f = self.f;
        let c = &f.client;
        let reg: Registry = c.registry().map_err(|e| e.to_string())?;
        check(reg.paused == m.paused, "paused flag")?;
        for (i, p) in self.providers.iter().enumerate() {
            let acc: Option<Provider> = c.fetch(&pda::provider(&p.pubkey()).0).unwrap();
            match (acc, m.providers.get(&i)) {
                (None, None) => {}
                (Some(a), Some(s)) => check(
                    a.status as u8 == *s && a.signer == p.pubkey(),
                    &format!("provider {i} status"),
                )?,
                (a, s) => return Err(format!("provider {i}: chain {a:?}, model {s:?}")),
            }
        }
        for (i, pt) in self.patients.iter().enumerate() {
            let owner = pt.pubkey();
            let acc: Option<Patient> = c.fetch(&pda::patient(&owner).0).unwrap();
            let Some(state) = m.patients.get(&i) else {
                check(acc.is_none(), &format!("patient {i} should not exist"))?;
                continue;
            };
            let acc = acc.ok_or(format!("patient {i} missing"))?;
            check(
                acc.record_count as usize == state.records.len(),
                &format!("patient {i} record count"),
            )?;
            for (k, (category, author)) in state.records.iter().enumerate() {
                let r: Record = c.record(&owner, k as u32).map_err(|e| e.to_string())?;
                let author = author.map(|p| self.providers[p].pubkey()).unwrap_or(owner);
                check(
                    r.category == *category && r.author == author && r.index == k as u32,
                    &format!("patient {i} record {k}"),
                )?;
            }
            check(
                c.fetch::<Record>(&pda::record(&owner, state.records.len() as u32).0)
                    .unwrap()
                    .is_none(),
                "no extra record",
            )?;
            let log = c.log(&owner).map_err(|e| e.to_string())?;
            let entries = log.entries();
            let expected: Vec<_> = state
                .log
                .iter()
                .map(|e| health_data_exchange::state::LogEntry {
                    sequence: e.sequence,
                    provider: self.providers[e.provider].pubkey(),
                    time: e.time,
                    record_index: e.record,
                    category: e.category,
                    action: e.action,
                    purpose: e.purpose,
                    outcome: e.outcome,
                })
                .collect();
            check(
                entries == expected,
                &format!("patient {i} log: chain {entries:?}\nmodel {expected:?}"),
            )?;
            check(
                log.head() == audit::fold(&owner, &expected),
                &format!("patient {i} hash head"),
            )?;
            log.verify().map_err(|e| e.to_string())?;
            for (j, p) in self.providers.iter().enumerate() {
                let consent: Option<Consent> = c.consent(&owner, &p.pubkey()).unwrap();
                match (consent, m.consents.get(&(i, j))) {
                    (None, None) => {}
                    (Some(a), Some(t)) => check(
                        (
                            a.categories,
                            a.modes,
                            a.purposes,
                            a.not_before,
                            a.expires_at,
                            a.patient,
                            a.provider,
                        ) == (
                            t.categories,
                            t.modes,
                            t.purposes,
                            t.not_before,
                            t.expires_at,
                            owner,
                            p.pubkey(),
                        ),
                        &format!("consent ({i},{j})"),
                    )?,
                    (a, t) => return Err(format!("consent ({i},{j}): chain {a:?}, model {t:?}")),
                }
            }
        }
        Ok(())
    }
}

fn outcome_of(r: &hdx::transport::Receipt) -> u8 {
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
        if slot
            .as_ref()
            .is_some_and(|(_, used)| *used >= SEQUENCES_PER_LEDGER)
        {
            *slot = None;
        }
        let (f, used) = slot.get_or_insert_with(|| (Fixture::new(), 0));
        *used += 1;
        let f = &*f;
        let faucet = f.ledger().faucet();
        let run = Run {
            f,
            providers: (0..PROVIDERS).map(|_| Keypair::new()).collect(),
            patients: (0..PATIENTS).map(|_| Keypair::new()).collect(),
            stranger: Keypair::new(),
        };
        let transfers: Vec<_> = run
            .providers
            .iter()
            .chain(&run.patients)
            .chain([&run.stranger])
            .map(|k| {
                anchor_lang::solana_program::system_instruction::transfer(
                    &faucet.pubkey(),
                    &k.pubkey(),
                    10_000_000_000,
                )
            })
            .collect();
        f.client
            .send(&transfers, &faucet, &[])
            .map_err(|e| e.to_string())?;
        f.client
            .send(
                &[ix::set_paused(f.authority.pubkey(), false)],
                &f.authority,
                &[],
            )
            .map_err(|e| e.to_string())?;
        let mut model = Model::new(f.ledger().unix_time().unwrap());
        for (step, op) in ops.iter().enumerate() {
            let want = model.apply(*op);
            let got = run.exec(*op);
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

fn cases() -> u32 {
    std::env::var("HDX_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    #[test]
    fn model_program_and_reference_model_agree(ops in proptest::collection::vec(op(), 1..40)) {
        if let Err(divergence) = run_sequence(&ops) {
            prop_assert!(false, "{}", divergence);
        }
    }
}

#[test]
fn model_reports_case_count() {
    // Visible with --nocapture: what the property test above ran.
    println!(
        "model-based test: {} sequences of up to 39 operations",
        cases()
    );
}
