//! No panic, no overflow, on any input (docs/DESIGN.md, "No panic"): every
//! instruction that takes a number gets each numeric argument at its
//! extremes (0, 1, MAX, MAX-1, MIN and -1 for signed, the documented bounds
//! and one past them), one argument at a time, the others valid, against
//! live accounts (a registry, verified providers with the emergency role, a
//! patient with records and a renewable consent, a guardian set with open
//! proposals). Every case must end in success or a named program error
//! (one the IDL names), never a panic or an unnamed failure; a failure
//! changes no account; a success leaves accounts the rest of the system can
//! use: the consent is then accessed, renewed and exported (the export
//! writes every stored time), the window read, the proposal executed.
//! Every documented bound is accepted and one past it refused by name.
//! Enum tags past the last variant are refused by name too.

use std::collections::BTreeMap;

use hdx_sdk::codes::{
    GuardianMode, ALL_CATEGORIES, ALL_MODES, ALL_PURPOSES, ALL_ROLES, MAX_EMERGENCY_COOLDOWN_SECS,
    MAX_EMERGENCY_WINDOW_SECS, MODE_READ, ROLE_EMERGENCY,
};
use hdx_sdk::transport::{SendError, Transport};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::codes::{day_of, EmergencyReason, ProviderKind, MAX_DAY, MAX_TIME};
use health_data_exchange::state::MAX_CONSENT_DURATION_SECS;
use health_data_exchange::{
    AddRecordArgs, ConsentTerms, EmergencyPreferences, ProposalAction, WriteRecordArgs,
};
use solana_sdk::account::Account;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::transaction::TransactionError;

/// What a case must do: anything clean, or exactly this.
#[derive(Clone, Copy, Debug)]
enum Want {
    Clean,
    Ok,
    Err(&'static str),
}

struct World {
    f: Fixture,
    lab: Keypair,
    patient: Keypair,
    child: Keypair,
    guardians: [Keypair; 2],
    census: BTreeMap<String, u64>,
    cases: u64,
}

fn u32s(bounds: &[u32]) -> Vec<u32> {
    let mut v = vec![0, 1, u32::MAX, u32::MAX - 1];
    for b in bounds {
        v.extend([*b, b.saturating_add(1), b.saturating_sub(1)]);
    }
    v.sort();
    v.dedup();
    v
}

fn i64s(now: i64, bounds: &[i64]) -> Vec<i64> {
    let mut v = vec![
        0,
        1,
        -1,
        i64::MIN,
        i64::MIN + 1,
        i64::MAX,
        i64::MAX - 1,
        now,
    ];
    for b in bounds {
        v.extend([*b, b.saturating_add(1), b.saturating_sub(1)]);
    }
    v.sort();
    v.dedup();
    v
}

impl World {
    fn new() -> World {
        let f = Fixture::new();
        let lab = f.provider(ProviderKind::Laboratory, true);
        let patient = f.patient();
        let today = day_of(f.now()) as u32;
        f.record_on(&patient, Category::LabResults, today - 10);
        f.record_on(&patient, Category::Imaging, 0);
        f.grant(&patient, &lab, f.renewable(3));
        let child = f.patient();
        let guardians = [f.funded(), f.funded()];
        let c = child.pubkey();
        f.ok(
            &[ix::set_guardians(
                c,
                &c,
                guardians.iter().map(|g| g.pubkey()).collect(),
                1,
                GuardianMode::Alongside,
            )],
            &child,
            &[],
        );
        World {
            f,
            lab,
            patient,
            child,
            guardians,
            census: BTreeMap::new(),
            cases: 0,
        }
    }

    /// A fresh verified provider with the emergency role (so each case
    /// starts from its own window and tracker).
    fn er(&self) -> Keypair {
        let er = self.f.provider(ProviderKind::Hospital, true);
        self.f.ok(
            &[ix::set_provider_roles(
                self.f.authority.pubkey(),
                &er.pubkey(),
                ROLE_EMERGENCY,
            )],
            &self.f.authority,
            &[],
        );
        er
    }

    fn snapshot(&self, ixs: &[Instruction]) -> Vec<(Pubkey, Option<Account>)> {
        let mut keys: Vec<Pubkey> = ixs
            .iter()
            .flat_map(|i| i.accounts.iter().map(|m| m.pubkey))
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                (
                    k,
                    self.f
                        .account(&k)
                        .filter(|a| a.owner == hdx_sdk::PROGRAM_ID),
                )
            })
            .collect()
    }

    /// Runs one case; returns whether it succeeded.
    fn case(
        &mut self,
        label: &str,
        ixs: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
        want: Want,
    ) -> bool {
        self.cases += 1;
        let before = self.snapshot(ixs);
        let signers: Vec<&dyn Signer> = signers.iter().map(|k| *k as &dyn Signer).collect();
        let tx = self.f.client.transaction(ixs, payer, &signers).unwrap();
        let got = match self.f.ledger().send(&tx) {
            Ok(_) => Ok(()),
            Err(SendError::Failed { error, logs }) => {
                let name = match &error {
                    TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
                        hdx_sdk::errors::lookup(*code).map(|e| e.name.clone())
                    }
                    _ => None,
                };
                let Some(name) = name else {
                    panic!(
                        "{label}: not a named program error: {error:?}\n{}",
                        logs.join("\n")
                    );
                };
                assert_eq!(
                    self.snapshot(ixs),
                    before,
                    "{label}: a failed transaction changed an account"
                );
                assert_checks_before_effects(&logs);
                Err(name)
            }
            Err(SendError::Cluster(e)) => panic!("{label}: the runtime broke (a panic?): {e}"),
        };
        match (want, &got) {
            (Want::Clean, _) | (Want::Ok, Ok(())) => {}
            (Want::Err(w), Err(e)) if w == e.as_str() => {}
            _ => panic!("{label}: wanted {want:?}, got {got:?}"),
        }
        *self
            .census
            .entry(match &got {
                Ok(()) => "ok".to_string(),
                Err(e) => e.clone(),
            })
            .or_default() += 1;
        got.is_ok()
    }

    /// After a consent was granted or updated with extreme terms: an
    /// access, a renewal and the FHIR export of its version end cleanly.
    fn use_consent(&mut self, label: &str, provider: &Keypair) {
        let (pt, p) = (self.patient.pubkey(), provider.pubkey());
        let page = self.f.client.writable_log_page(provider, &pt).unwrap();
        let access = ix::access_record(p, &p, &pt, 0, page, Purpose::Treatment);
        self.case(
            &format!("{label}, then access"),
            &[access],
            provider,
            &[],
            Want::Clean,
        );
        let renew = ix::renew_consent(&pt, &p);
        self.case(
            &format!("{label}, then renew"),
            &[renew],
            provider,
            &[],
            Want::Clean,
        );
        if let Some(c) = self.f.client.consent(&pt, &p).unwrap() {
            let v = hdx_sdk::history::ConsentVersion {
                patient: pt,
                provider: p,
                revision: c.revision,
                terms: c.terms,
                origin: hdx_sdk::history::Origin::Granted,
                since: c.updated_at,
                ended: None,
                signature: Default::default(),
                actor: hdx_sdk::codes::Actor::Patient,
                signer: pt,
                proposal: None,
                approvers: Vec::new(),
            };
            let r = hdx_sdk::export::consent_resource(&v, self.f.now());
            assert_eq!(r["resourceType"], "Consent", "{label}");
        }
    }
}

/// Each field of valid `base` terms at each of its extremes, one at a time.
fn terms_cases(base: ConsentTerms, now: i64) -> Vec<(String, ConsentTerms, Want)> {
    let mut out = Vec::new();
    let max = MAX_CONSENT_DURATION_SECS;
    for v in [
        0u16,
        1,
        u16::MAX,
        u16::MAX - 1,
        ALL_CATEGORIES,
        ALL_CATEGORIES + 1,
    ] {
        out.push((
            format!("categories {v}"),
            ConsentTerms {
                categories: v,
                ..base
            },
            Want::Clean,
        ));
    }
    for v in [0u8, 1, u8::MAX, u8::MAX - 1, ALL_MODES, ALL_MODES + 1] {
        out.push((
            format!("modes {v}"),
            ConsentTerms { modes: v, ..base },
            Want::Clean,
        ));
    }
    for v in [0u8, 1, u8::MAX, u8::MAX - 1, ALL_PURPOSES, ALL_PURPOSES + 1] {
        out.push((
            format!("purposes {v}"),
            ConsentTerms {
                purposes: v,
                ..base
            },
            Want::Clean,
        ));
    }
    for v in i64s(now, &[MAX_TIME, base.expires_at]) {
        let want = if !(0..=MAX_TIME).contains(&v) {
            Want::Err("TimeOutOfRange")
        } else {
            Want::Clean
        };
        out.push((
            format!("not_before {v}"),
            ConsentTerms {
                not_before: v,
                ..base
            },
            want,
        ));
    }
    for v in i64s(now, &[MAX_TIME, now + max, base.not_before]) {
        let want = if !(0..=MAX_TIME).contains(&v) {
            Want::Err("TimeOutOfRange")
        } else if v == now + max {
            Want::Ok
        } else if v == now + max + 1 {
            Want::Err("ExpiryTooFar")
        } else {
            Want::Clean
        };
        out.push((
            format!("expires_at {v}"),
            ConsentTerms {
                expires_at: v,
                ..base
            },
            want,
        ));
    }
    for v in u32s(&[]) {
        out.push((
            format!("access_limit {v}"),
            ConsentTerms {
                access_limit: v,
                ..base
            },
            Want::Ok,
        ));
    }
    for v in u32s(&[MAX_DAY]) {
        let want = if v == 0 {
            Want::Err("InvalidDateRange")
        } else if v <= MAX_DAY {
            Want::Ok
        } else {
            Want::Err("InvalidDateRange")
        };
        out.push((
            format!("to_day {v}"),
            ConsentTerms {
                from_day: 1,
                to_day: v,
                ..base
            },
            want,
        ));
        out.push((
            format!("from_day {v}"),
            ConsentTerms {
                from_day: v,
                to_day: MAX_DAY,
                ..base
            },
            want,
        ));
    }
    for v in u32s(&[max as u32]) {
        let want = if v == 0 || i64::from(v) > max {
            Want::Err("InvalidRenewalPolicy")
        } else {
            Want::Ok
        };
        out.push((
            format!("renewal_period_secs {v}"),
            ConsentTerms {
                renewal_period_secs: v,
                renewals_allowed: 1,
                ..base
            },
            want,
        ));
    }
    for v in [0u16, 1, u16::MAX, u16::MAX - 1] {
        let want = if v == 0 {
            Want::Err("InvalidRenewalPolicy")
        } else {
            Want::Ok
        };
        out.push((
            format!("renewals_allowed {v}"),
            ConsentTerms {
                renewal_period_secs: 60,
                renewals_allowed: v,
                ..base
            },
            want,
        ));
    }
    out
}

/// Patches byte `at` of an instruction's data (after the discriminator).
fn patched(mut i: Instruction, at: usize, value: u8) -> Instruction {
    i.data[8 + at] = value;
    i
}

#[test]
fn every_numeric_argument_at_its_extremes_is_a_success_or_a_named_error_never_a_panic() {
    let mut w = World::new();
    let f_now = w.f.now();
    let (pt, lab) = (w.patient.pubkey(), w.lab.pubkey());
    let base = w.f.terms(
        Category::LabResults.bit(),
        MODE_READ,
        Purpose::Treatment.bit(),
        30,
    );

    // Consent terms: a grant (a fresh provider each time), an update of the
    // live consent, and the guardians' proposals of both.
    for (name, terms, want) in terms_cases(base, f_now) {
        let fresh = w.f.verified_provider();
        let grant = ix::grant_consent(pt, &pt, &fresh.pubkey(), terms);
        if w.case(
            &format!("grant_consent {name}"),
            &[grant],
            &w.patient.insecure_clone(),
            &[],
            want,
        ) {
            w.use_consent(&format!("grant_consent {name}"), &fresh);
        }
        let update = ix::update_consent(pt, &pt, &lab, terms);
        let (patient, lab_key) = (w.patient.insecure_clone(), w.lab.insecure_clone());
        if w.case(
            &format!("update_consent {name}"),
            &[update],
            &patient,
            &[],
            want,
        ) {
            w.use_consent(&format!("update_consent {name}"), &lab_key);
        }
        let c = w.child.pubkey();
        let index =
            w.f.client
                .fetch::<health_data_exchange::state::GuardianSet>(&pda::guardian_set(&c).0)
                .unwrap()
                .unwrap()
                .proposals;
        let g = w.guardians[0].insecure_clone();
        let propose = ix::propose_guardian_action(
            g.pubkey(),
            &c,
            index,
            ProposalAction::Grant {
                provider: fresh.pubkey(),
                terms,
            },
        );
        if w.case(&format!("propose grant {name}"), &[propose], &g, &[], want) {
            // Threshold 1: the proposer's approval executes it.
            let exec = ix::execute_guardian_grant(g.pubkey(), &c, index, &fresh.pubkey());
            w.case(
                &format!("execute grant {name}"),
                &[exec],
                &g,
                &[],
                Want::Clean,
            );
        }
    }
    // The live consent back to renewable terms for what follows.
    let (patient, lab_key) = (w.patient.insecure_clone(), w.lab.insecure_clone());
    w.f.update(&patient, &lab_key, w.f.renewable(3));

    // Records: the clinical day and the locator's length.
    let today = day_of(w.f.now()) as u32;
    for day in u32s(&[today + 1, MAX_DAY]) {
        let want = if day <= today + 1 {
            Want::Ok
        } else {
            Want::Err("ClinicalDayInFuture")
        };
        let index = w.f.client.patient(&pt).unwrap().record_count;
        let add = ix::add_record(
            pt,
            &pt,
            index,
            AddRecordArgs {
                category: Category::Allergies,
                clinical_day: day,
                locator: b"vault://x".to_vec(),
                content_hash: [9; 32],
            },
        );
        w.case(
            &format!("add_record clinical_day {day}"),
            &[add],
            &patient,
            &[],
            want,
        );
        let write = WriteRecordArgs {
            clinical_day: day,
            ..w.f.write_args()
        };
        let write = w.f.write_ix(w.f.write_accounts(&lab_key, &patient), write);
        w.case(
            &format!("write_record clinical_day {day}"),
            &[write],
            &lab_key,
            &[],
            if day <= today + 1 {
                Want::Clean
            } else {
                Want::Err("ClinicalDayInFuture")
            },
        );
    }
    for len in [0usize, 1, 127, 128, 129] {
        let want = match len {
            0 => Want::Err("EmptyLocator"),
            129 => Want::Err("LocatorTooLong"),
            _ => Want::Ok,
        };
        let index = w.f.client.patient(&pt).unwrap().record_count;
        let add = ix::add_record(
            pt,
            &pt,
            index,
            AddRecordArgs {
                category: Category::Allergies,
                clinical_day: 0,
                locator: vec![b'x'; len],
                content_hash: [9; 32],
            },
        );
        w.case(
            &format!("add_record locator of {len} bytes"),
            &[add],
            &patient,
            &[],
            want,
        );
    }
    // A record index at the extremes: no such record.
    for index in [u32::MAX, u32::MAX - 1] {
        let page = w.f.client.writable_log_page(&lab_key, &pt).unwrap();
        let access = ix::access_record(lab, &lab, &pt, index, page, Purpose::Treatment);
        w.case(
            &format!("access_record record {index}"),
            &[access],
            &lab_key,
            &[],
            Want::Err("AccountNotInitialized"),
        );
    }

    // Registry and roles.
    let auth = w.f.authority.insecure_clone();
    for max_secs in u32s(&[MAX_EMERGENCY_WINDOW_SECS]) {
        let want = if (1..=MAX_EMERGENCY_WINDOW_SECS).contains(&max_secs) {
            Want::Ok
        } else {
            Want::Err("InvalidEmergencyPolicy")
        };
        let i = ix::set_emergency_policy(auth.pubkey(), max_secs, 0);
        w.case(
            &format!("set_emergency_policy max_secs {max_secs}"),
            &[i],
            &auth,
            &[],
            want,
        );
    }
    for cooldown in u32s(&[MAX_EMERGENCY_COOLDOWN_SECS]) {
        let want = if cooldown <= MAX_EMERGENCY_COOLDOWN_SECS {
            Want::Ok
        } else {
            Want::Err("InvalidEmergencyPolicy")
        };
        let i = ix::set_emergency_policy(auth.pubkey(), 3_600, cooldown);
        w.case(
            &format!("set_emergency_policy cooldown {cooldown}"),
            &[i],
            &auth,
            &[],
            want,
        );
    }
    let i = ix::set_emergency_policy(auth.pubkey(), 3_600, 0);
    w.case("policy back", &[i], &auth, &[], Want::Ok);
    for roles in [0u8, 1, u8::MAX, u8::MAX - 1, ALL_ROLES, ALL_ROLES + 1] {
        let want = if roles & !ALL_ROLES == 0 {
            Want::Ok
        } else {
            Want::Err("InvalidRoles")
        };
        let i = ix::set_provider_roles(auth.pubkey(), &lab, roles);
        w.case(
            &format!("set_provider_roles {roles}"),
            &[i],
            &auth,
            &[],
            want,
        );
    }
    for excluded in [
        0u16,
        1,
        u16::MAX,
        u16::MAX - 1,
        ALL_CATEGORIES,
        ALL_CATEGORIES + 1,
    ] {
        let want = if excluded & !ALL_CATEGORIES == 0 {
            Want::Ok
        } else {
            Want::Err("UnknownCategoryBits")
        };
        let i = ix::set_emergency_preferences(pt, &pt, false, excluded);
        w.case(
            &format!("set_emergency_preferences excluded {excluded}"),
            &[i],
            &patient,
            &[],
            want,
        );
        let c = w.child.pubkey();
        let g = w.guardians[1].insecure_clone();
        let index =
            w.f.client
                .fetch::<health_data_exchange::state::GuardianSet>(&pda::guardian_set(&c).0)
                .unwrap()
                .unwrap()
                .proposals;
        let propose = ix::propose_guardian_action(
            g.pubkey(),
            &c,
            index,
            ProposalAction::EmergencyPreferences {
                preferences: EmergencyPreferences {
                    opt_out: true,
                    excluded,
                },
            },
        );
        if w.case(
            &format!("propose preferences excluded {excluded}"),
            &[propose],
            &g,
            &[],
            want,
        ) {
            let exec = ix::execute_guardian_preferences(g.pubkey(), &c, index);
            w.case(
                &format!("execute preferences {excluded}"),
                &[exec],
                &g,
                &[],
                Want::Ok,
            );
        }
    }
    let i = ix::set_emergency_preferences(pt, &pt, false, 0);
    w.case("preferences back", &[i], &patient, &[], Want::Ok);

    // Emergency windows: the duration, then a read and a close in it.
    for duration in u32s(&[3_600]) {
        let er = w.er();
        let want = if (1..=3_600).contains(&duration) {
            Want::Ok
        } else {
            Want::Err("EmergencyDurationInvalid")
        };
        let index = w.f.client.patient(&pt).unwrap().emergency_windows;
        let page = w.f.client.writable_log_page(&er, &pt).unwrap();
        let open = ix::open_emergency(
            er.pubkey(),
            &er.pubkey(),
            &pt,
            index,
            page,
            EmergencyReason::LifeThreatening,
            duration,
        );
        if w.case(
            &format!("open_emergency duration {duration}"),
            &[open],
            &er,
            &[],
            want,
        ) {
            let page = w.f.client.writable_log_page(&er, &pt).unwrap();
            let read = ix::emergency_access(er.pubkey(), &er.pubkey(), &pt, 0, index, page);
            w.case(
                &format!("emergency_access in a {duration} s window"),
                &[read],
                &er,
                &[],
                Want::Ok,
            );
            let close = ix::close_emergency(er.pubkey(), &er.pubkey(), &pt, index);
            w.case(
                &format!("close_emergency of a {duration} s window"),
                &[close],
                &er,
                &[],
                Want::Ok,
            );
        }
    }
    for window in [u32::MAX, u32::MAX - 1] {
        let i = ix::review_emergency(
            auth.pubkey(),
            &pt,
            window,
            hdx_sdk::codes::Verdict::Justified,
        );
        w.case(
            &format!("review_emergency window {window}"),
            &[i],
            &auth,
            &[],
            Want::Err("AccountNotInitialized"),
        );
    }

    // Guardian sets: the threshold and the number of keys.
    let c = w.child.pubkey();
    let child = w.child.insecure_clone();
    for n in [0usize, 1, 5, 6] {
        for threshold in [0u8, 1, n as u8, n as u8 + 1, u8::MAX, u8::MAX - 1] {
            let keys: Vec<Pubkey> = (0..n).map(|_| Pubkey::new_unique()).collect();
            let want = if (1..=5).contains(&n) && (1..=n).contains(&(threshold as usize)) {
                Want::Ok
            } else {
                Want::Err("InvalidGuardianSet")
            };
            let i = ix::set_guardians(c, &c, keys, threshold, GuardianMode::Alongside);
            w.case(
                &format!("set_guardians {n} keys, threshold {threshold}"),
                &[i],
                &child,
                &[],
                want,
            );
        }
    }

    // Enum tags past the last variant, in instruction data: refused by name.
    let er = w.er();
    let index = w.f.client.patient(&pt).unwrap().emergency_windows;
    let page = w.f.client.writable_log_page(&er, &pt).unwrap();
    let open = ix::open_emergency(
        er.pubkey(),
        &er.pubkey(),
        &pt,
        index,
        page,
        EmergencyReason::UrgentTreatment,
        60,
    );
    let access = ix::access_record(lab, &lab, &pt, 0, page, Purpose::Treatment);
    let review = ix::review_emergency(auth.pubkey(), &pt, 0, hdx_sdk::codes::Verdict::Justified);
    let kind = ix::register_provider(Pubkey::new_unique(), ProviderKind::Other, [1; 32]);
    for tag in [3u8, 7, 8, 14, u8::MAX] {
        w.case(
            &format!("open_emergency reason tag {tag}"),
            &[patched(open.clone(), 0, tag)],
            &er,
            &[],
            if tag < 3 {
                Want::Clean
            } else {
                Want::Err("InstructionDidNotDeserialize")
            },
        );
        w.case(
            &format!("access_record purpose tag {tag}"),
            &[patched(access.clone(), 0, tag)],
            &lab_key,
            &[],
            if tag < 7 {
                Want::Clean
            } else {
                Want::Err("InstructionDidNotDeserialize")
            },
        );
        w.case(
            &format!("review_emergency verdict tag {tag}"),
            &[patched(review.clone(), 0, tag)],
            &auth,
            &[],
            if tag < 3 {
                Want::Clean
            } else {
                Want::Err("InstructionDidNotDeserialize")
            },
        );
        let fresh = w.f.funded();
        let mut k = kind.clone();
        k.accounts[0].pubkey = fresh.pubkey();
        k.accounts[2].pubkey = pda::provider(&fresh.pubkey()).0;
        w.case(
            &format!("register_provider kind tag {tag}"),
            &[patched(k, 0, tag)],
            &fresh,
            &[],
            if tag < 8 {
                Want::Clean
            } else {
                Want::Err("InstructionDidNotDeserialize")
            },
        );
    }

    println!(
        "extremes: {} cases against live accounts, outcomes:",
        w.cases
    );
    for (outcome, n) in &w.census {
        println!("  {outcome:<32} {n:>5}");
    }
    assert!(
        w.census.get("ok").copied().unwrap_or(0) > 50,
        "{:?}",
        w.census
    );
}
