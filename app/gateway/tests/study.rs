//! A study answered end to end: 60 synthetic patients with FHIR
//! Observations at the gateway, 40 enrolled, 5 of them withdrawn, a
//! researcher's queries over HTTP, each release recorded on-chain before
//! its answer. The gateway's exact (pre-noise) answer is recounted here
//! independently, from what the test generated; the answer's cohort is
//! the release's on-chain; a withdrawal between two queries changes both;
//! a query past the budget or over a cohort below k is refused on-chain
//! and answers nothing.

mod common;

use common::*;
use hdx_gateway::study::{cohort_hash, QueryKind, StudyQuery};
use hdx_gateway::{Config, Reason};
use hdx_sdk::codes::{Category, DuoTerm, ProviderKind, MIN_STUDY_COHORT};
use hdx_sdk::gateway::{self as protocol, GatewayError, StudyAnswer};
use hdx_sdk::program::state::StudyTerms;
use hdx_sdk::program::AddRecordArgs;
use hdx_sdk::transport::Faucet;
use hdx_sdk::{cid, ix, pda};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const DAY: i64 = 86_400;
const HEART_RATE: &str = "8867-4";
const BODY_TEMPERATURE: &str = "8310-5";
const LABS: u16 = Category::LabResults.bit();
const VITALS: u16 = Category::VitalSigns.bit();

/// The cluster's clock through the test: past every record's clinical day.
const NOW: i64 = T0 + 200 * DAY;

fn d0() -> u32 {
    (T0 / DAY) as u32
}

/// What the test gave a patient: each record's category, clinical day,
/// Observation code and value.
#[derive(Clone)]
struct Spec {
    category: Category,
    day: u32,
    code: &'static str,
    value: f64,
}

struct Synthetic {
    key: Keypair,
    records: Vec<Spec>,
    /// The categories the patient enrols with (`None`: never enrols).
    enrols: Option<u16>,
    withdrawn: bool,
}

fn observation(spec: &Spec) -> Vec<u8> {
    format!(
        r#"{{"resourceType":"Observation","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"{}"}}]}},"valueQuantity":{{"value":{},"unit":"1"}},"effectiveDateTime":"day-{}"}}"#,
        spec.code, spec.value, spec.day
    )
    .into_bytes()
}

/// Patient `i`'s records: one heart rate in range; every 4th a later one in
/// range (it is the one that counts); every 5th a later heart rate filed as
/// imaging (outside the study); every 6th a later one past the study's
/// days; every 7th a body temperature; patient 59 no heart rate at all.
fn records_of(i: usize) -> Vec<Spec> {
    let d = d0();
    let spec = |category, day, code, value| Spec {
        category,
        day,
        code,
        value,
    };
    let mut r = Vec::new();
    if i != 59 {
        r.push(spec(
            Category::LabResults,
            d - 10 + (i % 10) as u32,
            HEART_RATE,
            50.0 + ((i * 7) % 60) as f64 + 0.5,
        ));
    }
    if i.is_multiple_of(4) {
        r.push(spec(
            Category::LabResults,
            d + 20,
            HEART_RATE,
            115.0 + i as f64,
        ));
    }
    if i.is_multiple_of(5) {
        r.push(spec(Category::Imaging, d + 25, HEART_RATE, 200.0));
    }
    if i.is_multiple_of(6) {
        r.push(spec(Category::LabResults, d + 100, HEART_RATE, 300.0));
    }
    if i.is_multiple_of(7) {
        r.push(spec(Category::VitalSigns, d + 1, BODY_TEMPERATURE, 37.0));
    }
    r
}

fn terms(custodian: Pubkey, min_cohort: u32, epsilon_milli: u64) -> StudyTerms {
    StudyTerms {
        custodian,
        duo: DuoTerm::HealthMedicalBiomedical.bit(),
        disease: 0,
        categories: LABS | VITALS,
        from_day: d0() - 30,
        to_day: d0() + 60,
        min_cohort,
        irb_commitment: [0; 32],
        epsilon_milli,
        enrollment_closes_at: NOW + 30 * DAY,
        use_until: 0,
    }
}

struct Scene {
    w: World,
    custodian: Pubkey,
    researcher: Keypair,
    patients: Vec<Synthetic>,
}

impl Scene {
    /// `n` synthetic patients (of the 60 below), none enrolled yet.
    fn new(n: usize) -> Scene {
        let custodian = Keypair::new();
        let custodian_id = custodian.pubkey();
        let w = World::with_custodian(Config::default(), Some(custodian));
        w.set_time(NOW);
        w.node.fund(&custodian_id, 10_000_000_000).unwrap();
        let researcher = Keypair::new();
        w.node.fund(&researcher.pubkey(), 10_000_000_000).unwrap();
        w.c.send(
            &[ix::register_provider(
                researcher.pubkey(),
                ProviderKind::Researcher,
                [4; 32],
            )],
            &researcher,
            &[],
        )
        .unwrap();
        w.c.send(
            &[ix::verify_provider(w.auth.pubkey(), &researcher.pubkey())],
            &w.auth,
            &[],
        )
        .unwrap();
        let mut patients = Vec::new();
        for i in 0..n {
            let key = Keypair::new();
            w.node.fund(&key.pubkey(), 1_000_000_000).unwrap();
            w.c.send(&[ix::register_patient(key.pubkey())], &key, &[])
                .unwrap();
            let records = records_of(i);
            for (index, spec) in records.iter().enumerate() {
                let data = observation(spec);
                let h = hash(&data);
                w.gateway_client()
                    .upload(&key, &key.pubkey(), index as u32, spec.category, &data, NOW)
                    .unwrap();
                w.c.add_record(
                    &key,
                    &key.pubkey(),
                    AddRecordArgs {
                        category: spec.category,
                        clinical_day: spec.day,
                        locator: cid::locator(&h).into_bytes(),
                        content_hash: h,
                    },
                )
                .unwrap();
            }
            // 40 enrol (30..33 for vital signs only); 35..40 withdraw.
            let enrols = match i {
                30..=32 => Some(VITALS),
                0..40 => Some(LABS | VITALS),
                _ => None,
            };
            patients.push(Synthetic {
                key,
                records,
                enrols,
                withdrawn: false,
            });
        }
        Scene {
            w,
            custodian: custodian_id,
            researcher,
            patients,
        }
    }

    /// The researcher's study `number`, approved.
    fn study(&self, number: u32, terms: StudyTerms) -> Pubkey {
        let r = &self.researcher;
        self.w
            .c
            .send(
                &[ix::create_study(r.pubkey(), &r.pubkey(), number, terms)],
                r,
                &[],
            )
            .unwrap();
        let study = pda::study(&r.pubkey(), number).0;
        self.w
            .c
            .send(
                &[ix::approve_study(self.w.auth.pubkey(), study)],
                &self.w.auth,
                &[],
            )
            .unwrap();
        study
    }

    fn enrol(&self, study: Pubkey, who: &Synthetic, categories: u16) {
        let k = &who.key;
        self.w
            .c
            .send(
                &[ix::enroll_in_study(
                    k.pubkey(),
                    &k.pubkey(),
                    study,
                    categories,
                    NOW + 365 * DAY,
                )],
                k,
                &[],
            )
            .unwrap();
    }

    fn withdraw(&mut self, study: Pubkey, i: usize) {
        let k = &self.patients[i].key;
        self.w
            .c
            .send(
                &[ix::withdraw_from_study(k.pubkey(), &k.pubkey(), study)],
                k,
                &[],
            )
            .unwrap();
        self.patients[i].withdrawn = true;
    }

    fn ask(
        &self,
        signer: &Keypair,
        study: &Pubkey,
        q: &StudyQuery,
    ) -> Result<StudyAnswer, GatewayError> {
        self.w
            .gateway_client()
            .query_study(signer, study, q, self.w.now())
    }

    /// The independent recount: the cohort and each member's value, from
    /// what this test generated, never from the gateway's code.
    fn recount(&self, study: &Pubkey, q: &StudyQuery) -> (Vec<Pubkey>, Vec<i64>) {
        let t = terms(self.custodian, 0, 0);
        let mut members: Vec<(Pubkey, Option<f64>)> = self
            .patients
            .iter()
            .filter(|p| p.enrols.is_some() && !p.withdrawn)
            .map(|p| {
                let allowed = p.enrols.unwrap() & t.categories;
                let latest = p
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        allowed & r.category.bit() != 0
                            && (t.from_day..=t.to_day).contains(&r.day)
                            && r.code == q.code
                    })
                    .max_by_key(|(i, r)| (r.day, *i))
                    .map(|(_, r)| r.value);
                (p.key.pubkey(), latest)
            })
            .collect();
        members.sort_by_key(|(k, _)| *k);
        let mut counts = vec![0i64; q.bins()];
        for v in members.iter().filter_map(|(_, v)| *v) {
            match q.kind {
                QueryKind::Count => counts[0] += 1,
                QueryKind::Histogram => {
                    for (b, w) in q.edges.windows(2).enumerate() {
                        if w[0] <= v && v < w[1] {
                            counts[b] += 1;
                        }
                    }
                }
            }
        }
        let _ = study;
        (members.into_iter().map(|(k, _)| k).collect(), counts)
    }
}

fn histogram(epsilon_milli: u64) -> StudyQuery {
    StudyQuery {
        code: HEART_RATE.into(),
        kind: QueryKind::Histogram,
        edges: vec![40.0, 60.0, 80.0, 100.0, 120.0, 140.0, 160.0],
        epsilon_milli,
    }
}

fn refused_with(r: Result<StudyAnswer, GatewayError>, reason: Reason) -> String {
    match r {
        Err(GatewayError::Refused(refused)) => {
            assert_eq!(refused.error, reason.name(), "{refused:?}");
            assert_eq!(refused.status, reason.status());
            refused.message
        }
        other => panic!("expected {}: {other:?}", reason.name()),
    }
}

/// The noise at epsilon 2 (scale 0.5) is past 10 with probability below
/// e^-20 per bin: the answer is near the exact counts, never equal by design.
fn near(noisy: &[i64], exact: &[i64]) {
    assert_eq!(noisy.len(), exact.len());
    for (n, e) in noisy.iter().zip(exact) {
        assert!((n - e).abs() <= 10, "noisy {noisy:?} vs exact {exact:?}");
    }
}

#[test]
fn a_study_is_answered_over_its_cohort_only_after_its_release_is_on_chain() {
    let mut s = Scene::new(60);
    let study = s.study(0, terms(s.custodian, MIN_STUDY_COHORT, 6_000));
    for p in &s.patients {
        if let Some(categories) = p.enrols {
            s.enrol(study, p, categories);
        }
    }
    for i in 35..40 {
        s.withdraw(study, i);
    }
    let on_chain = s.w.c.study(&study).unwrap().unwrap();
    assert_eq!(on_chain.enrolled, 35);

    // Query 1: the exact answer is the recount; the answer's cohort is the release's.
    let q = histogram(2_000);
    let (members, counts) = s.recount(&study, &q);
    assert_eq!(members.len(), 35);
    let exact = s.w.gateway.exact_answer(&study, &on_chain, &q).unwrap();
    assert_eq!(exact.members, members);
    assert_eq!(exact.counts, counts);
    assert_eq!(exact.cohort_hash, cohort_hash(&study, &members));
    // What reached the code under test: values in several bins, and members without one.
    assert!(counts.iter().filter(|c| **c > 0).count() >= 4, "{counts:?}");
    assert!(counts.iter().sum::<i64>() < 35, "{counts:?}");
    let first = s.ask(&s.researcher, &study, &q).unwrap();
    assert_eq!(first.release, 0);
    assert_eq!(first.cohort_size, 35);
    assert_eq!(first.cohort_hash, protocol::hex(&exact.cohort_hash));
    assert_eq!(first.epsilon_spent_milli, 2_000);
    near(&first.counts, &counts);
    let log = s.w.c.verified_study(&study).unwrap();
    log.verdict.clone().unwrap();
    let r0 = &log.releases[0];
    assert_eq!(r0.facts.cohort_size, 35);
    assert_eq!(r0.facts.cohort_hash, exact.cohort_hash);
    assert_eq!(r0.facts.epsilon_milli, 2_000);
    assert_eq!(protocol::hex(&r0.facts.query_hash), first.query_hash);
    assert_eq!(r0.facts.cohort_slot, first.cohort_slot);
    assert_eq!(log.study.epsilon_spent_milli, 2_000);

    // A withdrawal between two queries: another cohort, another hash, another answer.
    let leaving = (0..35)
        .find(|i| {
            s.patients[*i].enrols == Some(LABS | VITALS)
                && s.patients[*i]
                    .records
                    .iter()
                    .any(|r| r.code == HEART_RATE && r.category == Category::LabResults)
        })
        .unwrap();
    s.withdraw(study, leaving);
    let (members2, counts2) = s.recount(&study, &q);
    assert_eq!(members2.len(), 34);
    assert_ne!(counts2, counts, "the leaving patient's value is gone");
    let on_chain = s.w.c.study(&study).unwrap().unwrap();
    let exact2 = s.w.gateway.exact_answer(&study, &on_chain, &q).unwrap();
    assert_eq!(exact2.counts, counts2);
    assert_eq!(exact2.members, members2);
    let second = s.ask(&s.researcher, &study, &q).unwrap();
    assert_eq!(second.release, 1);
    assert_eq!(second.cohort_size, 34);
    assert_ne!(second.cohort_hash, first.cohort_hash);
    assert_eq!(
        second.cohort_hash,
        protocol::hex(&cohort_hash(&study, &members2))
    );
    near(&second.counts, &counts2);

    // A count: members with a heart rate in scope.
    let count = StudyQuery {
        code: HEART_RATE.into(),
        kind: QueryKind::Count,
        edges: vec![],
        epsilon_milli: 2_500,
    };
    // Past the budget (4,000 + 2,500 > 6,000): refused on-chain, nothing answered, nothing spent.
    let message = refused_with(
        s.ask(&s.researcher, &study, &count),
        Reason::StudyBudgetExceeded,
    );
    assert!(message.contains("StudyBudgetExceeded"), "{message}");
    let after = s.w.c.verified_study(&study).unwrap();
    assert_eq!(after.study.releases, 2);
    assert_eq!(after.study.epsilon_spent_milli, 4_000);
    assert!(s
        .w
        .c
        .transport
        .account(&pda::study_release(&study, 2).0)
        .unwrap()
        .is_none());
    // To the last milli-epsilon, and no further.
    let last = s
        .ask(
            &s.researcher,
            &study,
            &StudyQuery {
                epsilon_milli: 2_000,
                ..count.clone()
            },
        )
        .unwrap();
    assert_eq!(last.release, 2);
    assert_eq!(last.epsilon_spent_milli, 6_000);
    let (_, exact_count) = s.recount(&study, &count);
    near(&last.counts, &exact_count);
    refused_with(
        s.ask(
            &s.researcher,
            &study,
            &StudyQuery {
                epsilon_milli: 1,
                ..count.clone()
            },
        ),
        Reason::StudyBudgetExceeded,
    );
    let verified = s.w.c.verified_study(&study).unwrap();
    verified.verdict.clone().unwrap();
    assert_eq!(verified.releases.len(), 3);

    // The trail: three answers, each naming its release, and the refusals.
    let trail = s.w.trail();
    let answered: Vec<_> = trail
        .iter()
        .filter(|r| r.reason == "StudyAnswered")
        .collect();
    assert_eq!(answered.len(), 3);
    assert!(
        answered[1].message.starts_with("release 1 of study"),
        "{}",
        answered[1].message
    );
    assert_eq!(
        trail
            .iter()
            .filter(|r| r.reason == "StudyBudgetExceeded")
            .count(),
        2
    );
}

#[test]
fn a_cohort_below_k_and_every_bad_query_are_refused_and_answer_nothing() {
    let s = Scene::new(5);
    // Study 1: four enrolled, below its k of 5.
    let small = s.study(1, terms(s.custodian, MIN_STUDY_COHORT, 5_000));
    for p in &s.patients[..4] {
        s.enrol(small, p, LABS);
    }
    let q = histogram(1_000);
    let message = refused_with(s.ask(&s.researcher, &small, &q), Reason::CohortBelowMinimum);
    assert!(message.contains("CohortBelowMinimum"), "{message}");
    let study = s.w.c.study(&small).unwrap().unwrap();
    assert_eq!((study.releases, study.epsilon_spent_milli), (0, 0));
    assert!(s
        .w
        .c
        .transport
        .account(&pda::study_release(&small, 0).0)
        .unwrap()
        .is_none());
    // A fifth makes it k: answered.
    s.enrol(small, &s.patients[4], LABS);
    assert_eq!(s.ask(&s.researcher, &small, &q).unwrap().cohort_size, 5);

    // Not the sponsor: a patient, another verified provider.
    refused_with(s.ask(&s.w.lab, &small, &q), Reason::NotTheSponsor);
    refused_with(s.ask(&s.patients[0].key, &small, &q), Reason::NotTheSponsor);
    // Not a study: a patient's address, a study never created.
    refused_with(
        s.ask(
            &s.researcher,
            &pda::patient(&s.patients[0].key.pubkey()).0,
            &q,
        ),
        Reason::NotAStudy,
    );
    refused_with(
        s.ask(&s.researcher, &pda::study(&s.researcher.pubkey(), 99).0, &q),
        Reason::NotAStudy,
    );
    // A study naming another custodian.
    let elsewhere = s.study(2, terms(Pubkey::new_unique(), MIN_STUDY_COHORT, 5_000));
    refused_with(
        s.ask(&s.researcher, &elsewhere, &q),
        Reason::NotTheCustodian,
    );

    // Bodies the client would not send, signed correctly: named, answered nothing.
    let send_raw = |body: &[u8], time: i64| {
        let path = protocol::study_query_path(&small);
        let nonce = protocol::nonce().unwrap();
        let line = protocol::study_query_line(&path, &hash(body), time, &nonce);
        Raw {
            method: reqwest::Method::POST,
            headers: signed_headers(&s.researcher.pubkey(), &s.researcher, &line, time, &nonce),
            path,
            query: String::new(),
            body: body.to_vec(),
        }
    };
    let now = s.w.now();
    for (body, needle) in [
        (&b"not json"[..], "not a study query"),
        (
            br#"{"code":"8867-4","kind":"count","epsilon_milli":0}"#,
            "epsilon",
        ),
        (
            br#"{"code":"8867-4","kind":"count","epsilon_milli":10001}"#,
            "epsilon",
        ),
        (
            br#"{"code":"8867-4","kind":"count","epsilon_milli":18446744073709551615}"#,
            "epsilon",
        ),
        (
            br#"{"code":"8867-4","kind":"histogram","edges":[2,1],"epsilon_milli":5}"#,
            "edges",
        ),
        (br#"{"code":"","kind":"count","epsilon_milli":5}"#, "code"),
        (
            br#"{"code":"8867-4","kind":"rows","epsilon_milli":5}"#,
            "not a study query",
        ),
        (
            br#"{"code":"8867-4","kind":"count","epsilon_milli":5,"patient":"x"}"#,
            "not a study query",
        ),
    ] {
        let a = send_raw(body, now).send(&s.w.url);
        assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(a.error(), "BadRequest");
        let m = a.json()["message"].as_str().unwrap().to_string();
        assert!(
            m.contains(needle),
            "{m} for {}",
            String::from_utf8_lossy(body)
        );
    }
    // A body other than the one signed; a replay; a stale time; too large.
    let good = serde_json::to_vec(&q).unwrap();
    let mut other = send_raw(&good, now);
    other.body = serde_json::to_vec(&StudyQuery {
        epsilon_milli: 2,
        ..q.clone()
    })
    .unwrap();
    assert_eq!(other.send(&s.w.url).error(), "BadSignature");
    let once = send_raw(&good, now);
    assert_eq!(once.send(&s.w.url).status, 200);
    assert_eq!(once.send(&s.w.url).error(), "Replay");
    assert_eq!(
        send_raw(&good, now - 301).send(&s.w.url).error(),
        "StaleRequest"
    );
    assert_eq!(
        send_raw(&vec![b' '; 17 << 10], now).send(&s.w.url).error(),
        "TooLarge"
    );
    // Of all that, two answers were recorded on-chain, and only two.
    let study = s.w.c.verified_study(&small).unwrap();
    study.verdict.clone().unwrap();
    assert_eq!(study.study.releases, 2);
}

#[test]
fn a_gateway_without_a_custodian_key_answers_no_study() {
    let w = World::new(Config::default());
    let q = histogram(1_000);
    let r = w
        .gateway_client()
        .query_study(&w.lab, &Pubkey::new_unique(), &q, w.now());
    refused_with(r, Reason::NotTheCustodian);
}
