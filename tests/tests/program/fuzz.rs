//! Fuzzed instruction input through the program's entrypoint: mutated and
//! random instruction data (wrong lengths, truncated borsh, huge vector
//! lengths, bad enum tags, wrong or other instructions' discriminators) and
//! account lists (dropped, repeated, swapped, substituted, flags flipped).
//! For every input: no panic, a clean instruction error or success, and on
//! failure no account changed (but the fee payer's fee).
//!
//! CI runs a bounded number; a longer run:
//! `HDX_FUZZ_INPUTS=200000 HDX_FUZZ_SEED=7 cargo test -p hdx-tests --test program fuzz -- --nocapture`

use std::collections::BTreeMap;

use hdx_sdk::codes::{ALL_CATEGORIES, ALL_PURPOSES, MODE_READ, MODE_WRITE};
use hdx_sdk::transport::{SendError, Transport};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::{AddRecordArgs, ConsentTerms};
use solana_sdk::account::Account;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::transaction::{Transaction, TransactionError};

/// xorshift64*: reproducible from a seed, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn coin(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct World {
    f: Fixture,
    signers: Vec<Keypair>,
    corpus: Vec<Instruction>,
    keys: Vec<Pubkey>,
}

fn world() -> World {
    let f = Fixture::new();
    let p = f.verified_provider();
    let pending = f.provider(ProviderKind::Researcher, false);
    let alice = f.patient();
    let bob = f.patient();
    f.record(&alice, Category::LabResults);
    let renewable = ConsentTerms {
        renewal_period_secs: 86_400,
        renewals_allowed: 2,
        access_limit: 50,
        ..f.terms(ALL_CATEGORIES, MODE_READ | MODE_WRITE, ALL_PURPOSES, 1)
    };
    f.grant(&alice, &p, renewable);
    // Emergency: the provider holds the role and has window 0 open on alice.
    f.ok(
        &[ix::set_provider_roles(
            f.authority.pubkey(),
            &p.pubkey(),
            hdx_sdk::codes::ROLE_EMERGENCY,
        )],
        &f.authority,
        &[],
    );
    f.open_emergency(&p, &alice.pubkey(), 1_800);
    // Guardians: bob has two (alongside, threshold 1) and an open grant proposal.
    let (g1, g2) = (f.funded(), f.funded());
    let bk = bob.pubkey();
    f.ok(
        &[ix::set_guardians(
            bk,
            &bk,
            vec![g1.pubkey(), g2.pubkey()],
            1,
            hdx_sdk::codes::GuardianMode::Alongside,
        )],
        &bob,
        &[],
    );
    let bob_terms = f.terms(3, MODE_READ, 1, 30);
    f.ok(
        &[ix::propose_guardian_action(
            g1.pubkey(),
            &bk,
            0,
            health_data_exchange::ProposalAction::Grant {
                provider: p.pubkey(),
                terms: bob_terms,
            },
        )],
        &g1,
        &[],
    );
    let newcomer = f.funded();
    let next_key = f.funded();
    let (a, pk, b, n) = (alice.pubkey(), p.pubkey(), bob.pubkey(), newcomer.pubkey());
    let terms = f.terms(3, MODE_READ, 1, 30);
    let corpus = vec![
        f.access_ix(f.access_accounts(&p, &alice, 0), Purpose::Treatment),
        f.write_ix(f.write_accounts(&p, &alice), f.write_args()),
        ix::grant_consent(b, &b, &pk, terms),
        ix::update_consent(a, &a, &pk, terms),
        ix::revoke_consent(a, &a, &pk),
        ix::renew_consent(&a, &pk),
        ix::add_record(
            a,
            &a,
            1,
            AddRecordArgs {
                category: Category::Medications,
                clinical_day: 20_000,
                locator: b"loc".to_vec(),
                content_hash: [6; 32],
            },
        ),
        ix::register_patient(n),
        ix::register_provider(n, ProviderKind::Hospital, [8; 32]),
        ix::rotate_provider_key(pk, next_key.pubkey(), &pk),
        ix::rotate_patient_authority(a, next_key.pubkey(), &a),
        ix::verify_provider(f.authority.pubkey(), &pending.pubkey()),
        ix::suspend_provider(f.authority.pubkey(), &pk),
        ix::set_paused(f.authority.pubkey(), true),
        ix::propose_registry_authority(f.authority.pubkey(), n),
        ix::accept_registry_authority(n),
        ix::open_log_page(pk, &a, 0),
        ix::set_emergency_policy(f.authority.pubkey(), 3_600, 86_400),
        ix::set_provider_roles(f.authority.pubkey(), &pk, hdx_sdk::codes::ROLE_EMERGENCY),
        ix::set_emergency_preferences(a, &a, false, Category::MentalHealth.bit()),
        ix::open_emergency(
            pk,
            &pk,
            &b,
            0,
            0,
            hdx_sdk::codes::EmergencyReason::LifeThreatening,
            600,
        ),
        ix::emergency_access(pk, &pk, &a, 0, 0, 0),
        ix::close_emergency(pk, &pk, &a, 0),
        ix::end_emergency(a, &a, &pk, 0),
        ix::review_emergency(
            f.authority.pubkey(),
            &a,
            0,
            hdx_sdk::codes::Verdict::Justified,
        ),
        ix::acknowledge_emergency(a, &a, 0),
        ix::set_guardians(
            b,
            &b,
            vec![g1.pubkey()],
            1,
            hdx_sdk::codes::GuardianMode::Alone,
        ),
        ix::propose_guardian_action(
            g2.pubkey(),
            &b,
            1,
            health_data_exchange::ProposalAction::Recover {
                new_authority: next_key.pubkey(),
            },
        ),
        ix::propose_guardian_action(
            g2.pubkey(),
            &b,
            1,
            health_data_exchange::ProposalAction::EmergencyPreferences {
                preferences: health_data_exchange::EmergencyPreferences {
                    opt_out: true,
                    excluded: 1,
                },
            },
        ),
        ix::approve_guardian_action(g2.pubkey(), &b, 0),
        ix::execute_guardian_grant(g1.pubkey(), &b, 0, &pk),
        ix::execute_guardian_update(g1.pubkey(), &b, 0, &pk),
        ix::execute_guardian_recovery(g1.pubkey(), &b, 0, next_key.pubkey()),
        ix::execute_guardian_preferences(g1.pubkey(), &b, 0),
        ix::guardian_revoke_consent(g1.pubkey(), &b, &pk, b),
        ix::initialize_registry(
            f.upgrade_authority.pubkey(),
            f.upgrade_authority.pubkey(),
            pk,
        ),
    ];
    let mut keys: Vec<Pubkey> = corpus
        .iter()
        .flat_map(|i| i.accounts.iter().map(|m| m.pubkey))
        .collect();
    keys.extend([
        pda::consent(&a, &pk).0,
        pda::record(&a, 0).0,
        pda::log_page(&b, 0).0,
        Pubkey::new_unique(),
    ]);
    keys.sort();
    keys.dedup();
    let signers = vec![
        g1,
        g2,
        p,
        pending,
        alice,
        bob,
        newcomer,
        next_key,
        f.authority.insecure_clone(),
        f.upgrade_authority.insecure_clone(),
    ];
    World {
        f,
        signers,
        corpus,
        keys,
    }
}

fn mutate(rng: &mut Rng, w: &World) -> Instruction {
    let mut i = w.corpus[rng.below(w.corpus.len())].clone();
    for _ in 0..1 + rng.below(3) {
        let d = &mut i.data;
        match rng.below(12) {
            0 if !d.is_empty() => {
                let k = rng.below(d.len());
                d[k] ^= 1 << rng.below(8);
            }
            1 => d.truncate(rng.below(d.len() + 1)),
            2 => d.extend((0..rng.below(64)).map(|_| rng.next() as u8)),
            3 if d.len() > 12 => {
                // A huge length prefix where a vector or enum would be read.
                let at = 8 + rng.below(d.len() - 11);
                d[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            }
            4 if d.len() > 8 => d[8] = rng.next() as u8, // bad enum tag / bool / code
            5 if d.len() >= 8 => {
                let other = &w.corpus[rng.below(w.corpus.len())].data;
                d[..8].copy_from_slice(&other[..8]); // another instruction's discriminator
            }
            6 if d.len() >= 8 => d[..8].copy_from_slice(&rng.next().to_le_bytes()),
            7 if !i.accounts.is_empty() => {
                i.accounts.remove(rng.below(i.accounts.len()));
            }
            8 if !i.accounts.is_empty() => {
                let m = i.accounts[rng.below(i.accounts.len())].clone();
                let at = rng.below(i.accounts.len() + 1);
                i.accounts.insert(at, m);
            }
            9 if i.accounts.len() > 1 => {
                let (x, y) = (rng.below(i.accounts.len()), rng.below(i.accounts.len()));
                i.accounts.swap(x, y);
            }
            10 if !i.accounts.is_empty() => {
                let at = rng.below(i.accounts.len());
                i.accounts[at].pubkey = w.keys[rng.below(w.keys.len())];
            }
            _ if !i.accounts.is_empty() => {
                let at = rng.below(i.accounts.len());
                if rng.coin(2) {
                    i.accounts[at].is_writable ^= true;
                } else {
                    i.accounts[at].is_signer = false;
                }
            }
            _ => {}
        }
    }
    i.data.truncate(800);
    // Only keys we hold may be signers.
    for m in &mut i.accounts {
        if m.is_signer && !w.signers.iter().any(|s| s.pubkey() == m.pubkey) {
            m.is_signer = false;
        }
    }
    i
}

fn snapshot(w: &World, keys: &[Pubkey]) -> BTreeMap<Pubkey, Option<Account>> {
    keys.iter().map(|k| (*k, w.f.account(k))).collect()
}

/// Inputs sent to one world before a fresh one is built: random inputs use
/// a world up (each registration succeeds once), so a long run on one world
/// reaches fewer success paths: 100,000 inputs (seed 7) on one world
/// succeeded 260 times and met 35 distinct errors; on a fresh world every
/// 5,000, 766 times and 37.
const INPUTS_PER_WORLD: u64 = 5_000;

#[test]
fn fuzz_no_panic_no_partial_state_clean_errors() {
    let inputs = env("HDX_FUZZ_INPUTS", 3_000);
    let seed = env("HDX_FUZZ_SEED", 0x5eed_1234_abcd_0001);
    let mut rng = Rng(seed | 1);
    let mut w = world();
    let mut payer = w.f.funded();
    let (mut ok, mut failed) = (0u64, 0u64);
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for n in 0..inputs {
        if n > 0 && n % INPUTS_PER_WORLD == 0 {
            w = world();
            payer = w.f.funded();
        }
        let i = mutate(&mut rng, &w);
        let mut keys: Vec<Pubkey> = i
            .accounts
            .iter()
            .map(|m| m.pubkey)
            .filter(|k| *k != payer.pubkey())
            .collect();
        keys.extend(w.keys.iter().copied().filter(|k| *k != payer.pubkey()));
        let before = snapshot(&w, &keys);
        let signers: Vec<&Keypair> = w
            .signers
            .iter()
            .filter(|s| {
                i.accounts
                    .iter()
                    .any(|m| m.is_signer && m.pubkey == s.pubkey())
            })
            .collect();
        let mut all: Vec<&Keypair> = vec![&payer];
        all.extend(signers);
        let tx = Transaction::new_signed_with_payer(
            std::slice::from_ref(&i),
            Some(&payer.pubkey()),
            &all,
            w.f.ledger().latest_blockhash().unwrap(),
        );
        match w.f.ledger().send(&tx) {
            Ok(_) => ok += 1,
            Err(SendError::Failed { error, logs }) => {
                failed += 1;
                match &error {
                    TransactionError::InstructionError(
                        _,
                        InstructionError::ProgramFailedToComplete,
                    )
                    | TransactionError::InstructionError(
                        _,
                        InstructionError::ProgramFailedToCompile,
                    ) => {
                        panic!(
                            "input {n}: unclean failure {error:?}\n{i:?}\n{}",
                            logs.join("\n")
                        )
                    }
                    _ => {}
                }
                // Nothing emitted or created before a refusal (a failure
                // inside the system program itself is the system program's).
                if !matches!(
                    &error,
                    TransactionError::InstructionError(_, InstructionError::Custom(c)) if *c < 100
                ) {
                    assert_checks_before_effects(&logs);
                }
                *errors.entry(format!("{error:?}")).or_default() += 1;
                let after = snapshot(&w, &keys);
                assert_eq!(
                    before, after,
                    "input {n}: a failed transaction changed state\n{i:?}"
                );
            }
            Err(SendError::Cluster(e)) => {
                panic!("input {n}: the runtime broke (a panic?): {e}\n{i:?}")
            }
        }
        if (n + 1) % 500 == 0 {
            // Keep the world useful: undo pause and re-grant if a mutation landed them.
            let f = &w.f;
            let _ = f.client.send(
                &[ix::set_paused(f.authority.pubkey(), false)],
                &f.authority,
                &[],
            );
        }
    }
    println!(
        "fuzz: seed {seed:#x}, {inputs} inputs: {ok} succeeded, {failed} failed cleanly, \
         0 panics, 0 partial state changes"
    );
    println!("fuzz: {} distinct errors:", errors.len());
    for (error, count) in &errors {
        println!("  {count:>7}  {error}");
    }
    assert_eq!(ok + failed, inputs);
}
