//! The attack classes against research studies: pre-funded study, enrolment
//! and release addresses; a study forged by another program (owner check);
//! an enrolment passed as a study (type cosplay); a custodian that does not
//! sign (missing signer); a release recorded by anyone but the custodian;
//! enrolling another patient; a sponsor that is not a verified researcher;
//! a release for a closed study; a release at another index (PDA sharing).
//! `studies.rs` pins the rules themselves.

use super::*;
use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::{DuoTerm, ProviderKind, StudyStatus, MIN_STUDY_COHORT};
use hdx_sdk::{ix, pda};
use health_data_exchange::accounts::RecordRelease;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{ReleaseFacts, Study, StudyTerms};
use solana_sdk::account::Account;

struct Scene {
    f: Fixture,
    researcher: Keypair,
    custodian: Keypair,
    study: Pubkey,
    patients: Vec<Keypair>,
}

fn terms(f: &Fixture, custodian: Pubkey) -> StudyTerms {
    StudyTerms {
        custodian,
        duo: DuoTerm::GeneralResearchUse.bit(),
        disease: 0,
        categories: 1,
        from_day: 0,
        to_day: 0,
        min_cohort: MIN_STUDY_COHORT,
        irb_commitment: [0; 32],
        epsilon_milli: 1_000,
        enrollment_closes_at: f.now() + 30 * DAY,
        use_until: 0,
    }
}

/// An approved study with five patients enrolled.
fn scene() -> Scene {
    let f = Fixture::new();
    let researcher = f.provider(ProviderKind::Researcher, true);
    let custodian = f.funded();
    let r = researcher.pubkey();
    f.ok(
        &[ix::create_study(r, &r, 0, terms(&f, custodian.pubkey()))],
        &researcher,
        &[],
    );
    let study = pda::study(&r, 0).0;
    f.ok(
        &[ix::approve_study(f.authority.pubkey(), study)],
        &f.authority,
        &[],
    );
    let patients: Vec<Keypair> = (0..MIN_STUDY_COHORT).map(|_| f.patient()).collect();
    for p in &patients {
        f.ok(
            &[ix::enroll_in_study(
                p.pubkey(),
                &p.pubkey(),
                study,
                1,
                f.now() + DAY,
            )],
            p,
            &[],
        );
    }
    Scene {
        f,
        researcher,
        custodian,
        study,
        patients,
    }
}

fn facts() -> ReleaseFacts {
    ReleaseFacts {
        query_hash: [1; 32],
        epsilon_milli: 100,
        cohort_size: MIN_STUDY_COHORT,
        cohort_hash: [2; 32],
        cohort_slot: 0,
    }
}

impl Scene {
    fn release_accounts(&self) -> RecordRelease {
        let index = self.f.decode::<Study>(&self.study).releases;
        ix::record_release_accounts(
            self.custodian.pubkey(),
            &self.researcher.pubkey(),
            self.study,
            index,
        )
    }

    fn release_with(&self, accounts: RecordRelease) -> Instruction {
        ix::build(
            accounts,
            health_data_exchange::instruction::RecordRelease { facts: facts() },
        )
    }
}

#[test]
fn pre_funded_study_enrolment_and_release_addresses_do_not_block_creation() {
    let f = Fixture::new();
    let griefer = f.funded();
    let least = f.ledger().minimum_balance(0);
    let researcher = f.provider(ProviderKind::Researcher, true);
    let custodian = f.funded();
    let patient = f.patient();
    let r = researcher.pubkey();
    let study = pda::study(&r, 0).0;
    for addr in [
        study,
        pda::enrollment(&study, &patient.pubkey()).0,
        pda::study_release(&study, 0).0,
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
    let mut t = terms(&f, custodian.pubkey());
    t.min_cohort = MIN_STUDY_COHORT;
    f.ok(&[ix::create_study(r, &r, 0, t)], &researcher, &[]);
    f.ok(
        &[ix::approve_study(f.authority.pubkey(), study)],
        &f.authority,
        &[],
    );
    let id = patient.pubkey();
    f.ok(
        &[ix::enroll_in_study(id, &id, study, 1, f.now() + DAY)],
        &patient,
        &[],
    );
    for _ in 1..MIN_STUDY_COHORT {
        let p = f.patient();
        f.ok(
            &[ix::enroll_in_study(
                p.pubkey(),
                &p.pubkey(),
                study,
                1,
                f.now() + DAY,
            )],
            &p,
            &[],
        );
    }
    f.ok(
        &[ix::record_release(
            custodian.pubkey(),
            &r,
            study,
            0,
            facts(),
        )],
        &custodian,
        &[],
    );
    assert_eq!(f.decode::<Study>(&study).releases, 1);
}

#[test]
fn a_forged_study_a_cosplaying_enrolment_and_an_unsigned_custodian_are_refused() {
    let s = scene();
    let f = &s.f;
    // Owner check: the study's bytes, owned by another program.
    let real = f.account(&s.study).unwrap();
    let forged = Pubkey::new_unique();
    f.ledger().set_account(
        &forged,
        Account {
            owner: Pubkey::new_unique(),
            ..real
        },
    );
    let base = s.release_accounts();
    f.fails_with(
        &[s.release_with(RecordRelease {
            study: forged,
            ..base
        })],
        &s.custodian,
        &[],
        anchor(Anchor::AccountOwnedByWrongProgram),
    );
    // Type cosplay: an enrolment (the program's own account) as the study.
    let enrolment = pda::enrollment(&s.study, &s.patients[0].pubkey()).0;
    f.fails_with(
        &[s.release_with(RecordRelease {
            study: enrolment,
            ..base
        })],
        &s.custodian,
        &[],
        anchor(Anchor::AccountDiscriminatorMismatch),
    );
    // A provider other than the sponsor, as the sponsor.
    let other = f.provider(ProviderKind::Researcher, true);
    f.fails_with(
        &[s.release_with(RecordRelease {
            provider: pda::provider(&other.pubkey()).0,
            ..base
        })],
        &s.custodian,
        &[],
        hdx(HdxError::NotStudySponsor),
    );
    // PDA sharing: the release at an index that is not the study's next.
    f.fails_with(
        &[s.release_with(RecordRelease {
            release: pda::study_release(&s.study, 1).0,
            ..base
        })],
        &s.custodian,
        &[],
        anchor(Anchor::ConstraintSeeds),
    );
    // Missing signer: the custodian named, but another key pays and signs.
    let payer = f.funded();
    let unsigned = set_flags(s.release_with(base), &s.custodian.pubkey(), false, true);
    let tx = f
        .client
        .transaction(&[unsigned], &payer, &[])
        .expect("tx builds");
    match f.client.transport.send(&tx) {
        Err(hdx_sdk::transport::SendError::Failed { error, .. }) => assert_eq!(
            error,
            custom(0, anchor(Anchor::AccountNotSigner)),
            "an unsigned custodian"
        ),
        other => panic!("expected AccountNotSigner, got {other:?}"),
    }
    assert_eq!(f.decode::<Study>(&s.study).releases, 0, "nothing recorded");
}

#[test]
fn only_the_custodian_records_only_a_patient_enrols_itself_and_only_a_verified_researcher_sponsors()
{
    let s = scene();
    let f = &s.f;
    // A release by the sponsor, the authority, a patient: refused.
    for signer in [&s.researcher, &f.authority, &s.patients[0]] {
        let accounts = RecordRelease {
            custodian: signer.pubkey(),
            ..s.release_accounts()
        };
        f.fails_with(
            &[s.release_with(accounts)],
            signer,
            &[],
            hdx(HdxError::NotStudyCustodian),
        );
    }
    // Enrolling another patient: the enrolment's patient is the signer's only.
    let victim = f.patient();
    let mallory = &s.patients[1];
    f.fails_with(
        &[ix::enroll_in_study(
            mallory.pubkey(),
            &victim.pubkey(),
            s.study,
            1,
            f.now() + DAY,
        )],
        mallory,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    // ... nor withdraw one.
    f.fails_with(
        &[ix::withdraw_from_study(
            mallory.pubkey(),
            &s.patients[2].pubkey(),
            s.study,
        )],
        mallory,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    // A sponsor suspended after approval: no release.
    f.ok(
        &[ix::suspend_provider(
            f.authority.pubkey(),
            &s.researcher.pubkey(),
        )],
        &f.authority,
        &[],
    );
    f.fails_with(
        &[s.release_with(s.release_accounts())],
        &s.custodian,
        &[],
        hdx(HdxError::ProviderSuspended),
    );
    // A pharmacy is not a researcher, a pending researcher is not verified.
    let pharmacy = f.provider(ProviderKind::Pharmacy, true);
    let pending = f.provider(ProviderKind::Researcher, false);
    for (p, e) in [
        (&pharmacy, HdxError::NotResearcher),
        (&pending, HdxError::ProviderNotVerified),
    ] {
        f.fails_with(
            &[ix::create_study(
                p.pubkey(),
                &p.pubkey(),
                0,
                terms(f, s.custodian.pubkey()),
            )],
            p,
            &[],
            hdx(e),
        );
    }
}

#[test]
fn a_closed_study_records_no_release_and_takes_no_enrolment() {
    let s = scene();
    let f = &s.f;
    f.ok(
        &[ix::close_study(
            s.researcher.pubkey(),
            &s.researcher.pubkey(),
            s.study,
        )],
        &s.researcher,
        &[],
    );
    assert_eq!(f.decode::<Study>(&s.study).status, StudyStatus::Closed);
    f.fails_with(
        &[s.release_with(s.release_accounts())],
        &s.custodian,
        &[],
        hdx(HdxError::StudyNotApproved),
    );
    let late = f.patient();
    f.fails_with(
        &[ix::enroll_in_study(
            late.pubkey(),
            &late.pubkey(),
            s.study,
            1,
            f.now() + DAY,
        )],
        &late,
        &[],
        hdx(HdxError::StudyNotApproved),
    );
    // Reopening is no instruction: approval needs a proposed study.
    f.fails_with(
        &[ix::approve_study(f.authority.pubkey(), s.study)],
        &f.authority,
        &[],
        hdx(HdxError::StudyNotProposed),
    );
}
