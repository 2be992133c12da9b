//! Guardians (M of N), every rule pinned with exact errors and exact account
//! contents: who may set them; proposals, approvals, execution at the
//! threshold, expiry, staleness after a change of the set, no double
//! approval; any single guardian revoking at once; recovery of a lost key;
//! hand-over when a minor comes of age; the patient's own key locked while
//! guardians act alone.

use hdx_sdk::codes::{GuardianMode, ProposalKind, MODE_READ, PROPOSAL_LIFETIME_SECS};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::{Consent, GuardianSet, Patient, Proposal};
use health_data_exchange::ConsentTerms;
use health_data_exchange::ProposalAction;

struct Family {
    f: Fixture,
    patient: Keypair,
    g: Vec<Keypair>,
    lab: Keypair,
}

impl Family {
    fn new(mode: GuardianMode, n: usize, m: u8) -> Family {
        let f = Fixture::new();
        let patient = f.patient();
        f.record(&patient, Category::LabResults);
        let g: Vec<Keypair> = (0..n).map(|_| f.funded()).collect();
        let lab = f.verified_provider();
        let p = patient.pubkey();
        f.ok(
            &[ix::set_guardians(
                p,
                &p,
                g.iter().map(|k| k.pubkey()).collect(),
                m,
                mode,
            )],
            &patient,
            &[],
        );
        Family { f, patient, g, lab }
    }

    fn p(&self) -> Pubkey {
        self.patient.pubkey()
    }

    fn terms(&self) -> ConsentTerms {
        self.f.terms(
            Category::LabResults.bit(),
            MODE_READ,
            Purpose::Treatment.bit(),
            30,
        )
    }

    fn set(&self) -> GuardianSet {
        self.f.decode(&pda::guardian_set(&self.p()).0)
    }

    /// Guardian `who` proposes; returns the proposal's index.
    fn propose(&self, who: usize, args: ProposalAction) -> u32 {
        let index = self.set().proposals;
        self.f.ok(
            &[ix::propose_guardian_action(
                self.g[who].pubkey(),
                &self.p(),
                index,
                args,
            )],
            &self.g[who],
            &[],
        );
        index
    }

    fn propose_grant(&self, who: usize) -> u32 {
        self.propose(
            who,
            ProposalAction::Grant {
                provider: self.lab.pubkey(),
                terms: self.terms(),
            },
        )
    }

    fn approve(&self, who: usize, index: u32) {
        self.f.ok(
            &[ix::approve_guardian_action(
                self.g[who].pubkey(),
                &self.p(),
                index,
            )],
            &self.g[who],
            &[],
        );
    }

    fn proposal(&self, index: u32) -> Proposal {
        self.f.decode(&pda::proposal(&self.p(), index).0)
    }
}

#[test]
fn the_patient_sets_guardians_within_the_bounds_and_the_set_is_exact() {
    let f = Fixture::new();
    let patient = f.patient();
    let p = patient.pubkey();
    let keys: Vec<Pubkey> = (0..6).map(|_| Pubkey::new_unique()).collect();
    for (guardians, m) in [
        (vec![], 1),                           // none
        (keys[..6].to_vec(), 2),               // six
        (keys[..2].to_vec(), 0),               // threshold 0
        (keys[..2].to_vec(), 3),               // threshold over N
        (vec![keys[0], keys[0]], 1),           // twice the same
        (vec![keys[0], Pubkey::default()], 1), // the default address
        (vec![keys[0], p], 1),                 // the patient's own key
    ] {
        f.fails_with(
            &[ix::set_guardians(
                p,
                &p,
                guardians,
                m,
                GuardianMode::Alongside,
            )],
            &patient,
            &[],
            hdx(HdxError::InvalidGuardianSet),
        );
    }
    let stranger = f.funded();
    f.fails_with(
        &[ix::set_guardians(
            stranger.pubkey(),
            &p,
            keys[..2].to_vec(),
            1,
            GuardianMode::Alongside,
        )],
        &stranger,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.ok(
        &[ix::set_guardians(
            p,
            &p,
            keys[..3].to_vec(),
            2,
            GuardianMode::Alongside,
        )],
        &patient,
        &[],
    );
    let (addr, bump) = pda::guardian_set(&p);
    let mut expected = GuardianSet {
        patient: p,
        version: health_data_exchange::state::LAYOUT_VERSION,
        mode: GuardianMode::Alongside,
        threshold: 2,
        count: 3,
        bump,
        generation: 1,
        proposals: 0,
        guardians: [Pubkey::default(); 5],
        reserved: [0; GuardianSet::RESERVED],
    };
    expected.guardians[..3].copy_from_slice(&keys[..3]);
    assert_eq!(f.decode::<GuardianSet>(&addr), expected);
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&p).0).guardian_mode,
        GuardianMode::Alongside
    );
    // Removing them: mode none, no keys; the generation keeps counting.
    f.ok(
        &[ix::set_guardians(p, &p, vec![], 0, GuardianMode::None)],
        &patient,
        &[],
    );
    let set: GuardianSet = f.decode(&addr);
    assert_eq!(
        (set.mode, set.count, set.generation),
        (GuardianMode::None, 0, 2)
    );
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&p).0).guardian_mode,
        GuardianMode::None
    );
}

#[test]
fn a_grant_executes_once_m_guardians_approved_and_not_before() {
    let fam = Family::new(GuardianMode::Alongside, 3, 2);
    let (f, p, lab) = (&fam.f, fam.p(), fam.lab.pubkey());
    let i = fam.propose_grant(0);
    let prop = fam.proposal(i);
    assert_eq!(
        (
            prop.action.kind(),
            prop.approvals,
            prop.proposer,
            prop.generation
        ),
        (ProposalKind::Grant, 0b001, fam.g[0].pubkey(), 1)
    );
    assert_eq!(
        (prop.action, prop.expires_at),
        (
            ProposalAction::Grant {
                provider: lab,
                terms: fam.terms()
            },
            prop.created_at + PROPOSAL_LIFETIME_SECS
        )
    );
    // One approval of two: not enough.
    f.fails_with(
        &[ix::execute_guardian_grant(fam.g[0].pubkey(), &p, i, &lab)],
        &fam.g[0],
        &[],
        hdx(HdxError::NotEnoughApprovals),
    );
    // The proposer approving again, a stranger approving: refused.
    f.fails_with(
        &[ix::approve_guardian_action(fam.g[0].pubkey(), &p, i)],
        &fam.g[0],
        &[],
        hdx(HdxError::AlreadyApproved),
    );
    let stranger = f.funded();
    f.fails_with(
        &[ix::approve_guardian_action(stranger.pubkey(), &p, i)],
        &stranger,
        &[],
        hdx(HdxError::NotAGuardian),
    );
    fam.approve(2, i);
    assert_eq!(fam.proposal(i).approvals, 0b101);
    // A stranger cannot execute even an approved proposal.
    f.fails_with(
        &[ix::execute_guardian_grant(stranger.pubkey(), &p, i, &lab)],
        &stranger,
        &[],
        hdx(HdxError::NotAGuardian),
    );
    f.ok(
        &[ix::execute_guardian_grant(fam.g[1].pubkey(), &p, i, &lab)],
        &fam.g[1],
        &[],
    );
    let c: Consent = f.decode(&pda::consent(&p, &lab).0);
    assert_eq!(
        (c.patient, c.provider, c.terms, c.revision),
        (p, lab, fam.terms(), 1)
    );
    assert!(fam.proposal(i).executed);
    f.fails_with(
        &[ix::execute_guardian_grant(fam.g[1].pubkey(), &p, i, &lab)],
        &fam.g[1],
        &[],
        hdx(HdxError::ProposalExecuted),
    );
    // The lab reads under it.
    f.access(&fam.lab, &fam.patient, 0, Purpose::Treatment)
        .unwrap();
    // An update the same way; executed against the wrong provider: refused.
    let narrower = ConsentTerms {
        purposes: Purpose::Research.bit(),
        ..fam.terms()
    };
    let u = fam.propose(
        1,
        ProposalAction::Update {
            provider: lab,
            terms: narrower,
        },
    );
    fam.approve(0, u);
    let other = f.verified_provider();
    f.fails_with(
        &[ix::execute_guardian_update(
            fam.g[0].pubkey(),
            &p,
            u,
            &other.pubkey(),
        )],
        &fam.g[0],
        &[],
        anchor(anchor_lang::error::ErrorCode::AccountNotInitialized),
    );
    // Executing an update proposal as a grant: refused by kind.
    f.fails_with(
        &[ix::execute_guardian_grant(fam.g[0].pubkey(), &p, u, &lab)],
        &fam.g[0],
        &[],
        hdx(HdxError::ProposalMismatch),
    );
    f.ok(
        &[ix::execute_guardian_update(fam.g[0].pubkey(), &p, u, &lab)],
        &fam.g[0],
        &[],
    );
    assert_eq!(
        f.decode::<Consent>(&pda::consent(&p, &lab).0)
            .terms
            .purposes,
        Purpose::Research.bit()
    );
    f.expect_denied(
        &fam.lab,
        &fam.patient,
        0,
        Purpose::Treatment,
        Outcome::PurposeNotPermitted,
    );
}

#[test]
fn a_proposal_expires_and_a_change_of_the_set_makes_it_stale() {
    let fam = Family::new(GuardianMode::Alongside, 3, 2);
    let (f, p, lab) = (&fam.f, fam.p(), fam.lab.pubkey());
    let i = fam.propose_grant(0);
    f.advance(PROPOSAL_LIFETIME_SECS);
    f.fails_with(
        &[ix::approve_guardian_action(fam.g[1].pubkey(), &p, i)],
        &fam.g[1],
        &[],
        hdx(HdxError::ProposalExpired),
    );
    let j = fam.propose_grant(0);
    fam.approve(1, j);
    // The patient changes the set: the approved proposal is stale.
    let keys: Vec<Pubkey> = fam.g.iter().map(|k| k.pubkey()).collect();
    f.ok(
        &[ix::set_guardians(p, &p, keys, 3, GuardianMode::Alongside)],
        &fam.patient,
        &[],
    );
    f.fails_with(
        &[ix::execute_guardian_grant(fam.g[0].pubkey(), &p, j, &lab)],
        &fam.g[0],
        &[],
        hdx(HdxError::ProposalStale),
    );
    f.fails_with(
        &[ix::approve_guardian_action(fam.g[2].pubkey(), &p, j)],
        &fam.g[2],
        &[],
        hdx(HdxError::ProposalStale),
    );
    assert!(f.account(&pda::consent(&p, &lab).0).is_none());
}

#[test]
fn any_single_guardian_revokes_at_once_and_the_rent_goes_to_the_patients_authority() {
    let fam = Family::new(GuardianMode::Alongside, 3, 3);
    let (f, p, lab) = (&fam.f, fam.p(), fam.lab.pubkey());
    f.grant(&fam.patient, &fam.lab, fam.terms());
    let before = f.account(&p).unwrap().lamports;
    let rent = f.account(&pda::consent(&p, &lab).0).unwrap().lamports;
    // The refund must be the patient's authority.
    let mallory = f.funded();
    f.fails_with(
        &[ix::guardian_revoke_consent(
            fam.g[2].pubkey(),
            &p,
            &lab,
            mallory.pubkey(),
        )],
        &fam.g[2],
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.fails_with(
        &[ix::guardian_revoke_consent(mallory.pubkey(), &p, &lab, p)],
        &mallory,
        &[],
        hdx(HdxError::NotAGuardian),
    );
    f.ok(
        &[ix::guardian_revoke_consent(fam.g[2].pubkey(), &p, &lab, p)],
        &fam.g[2],
        &[],
    );
    assert!(f.account(&pda::consent(&p, &lab).0).is_none());
    assert_eq!(f.account(&p).unwrap().lamports, before + rent);
    f.expect_denied(
        &fam.lab,
        &fam.patient,
        0,
        Purpose::Treatment,
        Outcome::NoConsent,
    );
}

#[test]
fn recovery_only_guardians_recover_a_lost_key_and_do_nothing_else() {
    let fam = Family::new(GuardianMode::RecoveryOnly, 3, 2);
    let (f, p, lab) = (&fam.f, fam.p(), fam.lab.pubkey());
    f.grant(&fam.patient, &fam.lab, fam.terms());
    // No say in consents.
    let index = fam.set().proposals;
    f.fails_with(
        &[ix::propose_guardian_action(
            fam.g[0].pubkey(),
            &p,
            index,
            ProposalAction::Grant {
                provider: lab,
                terms: fam.terms(),
            },
        )],
        &fam.g[0],
        &[],
        hdx(HdxError::GuardianModeForbids),
    );
    f.fails_with(
        &[ix::guardian_revoke_consent(fam.g[0].pubkey(), &p, &lab, p)],
        &fam.g[0],
        &[],
        hdx(HdxError::GuardianModeForbids),
    );
    // The patient lost the phone: two guardians move control to a new key, which co-signs.
    let phone = f.funded();
    let r = fam.propose(
        0,
        ProposalAction::Recover {
            new_authority: phone.pubkey(),
        },
    );
    fam.approve(1, r);
    let other = f.funded();
    f.fails_with(
        &[ix::execute_guardian_recovery(
            fam.g[0].pubkey(),
            &p,
            r,
            other.pubkey(),
        )],
        &fam.g[0],
        &[&other],
        hdx(HdxError::ProposalMismatch),
    );
    f.ok(
        &[ix::execute_guardian_recovery(
            fam.g[0].pubkey(),
            &p,
            r,
            phone.pubkey(),
        )],
        &fam.g[0],
        &[&phone],
    );
    let patient: Patient = f.decode(&pda::patient(&p).0);
    assert_eq!(
        (patient.authority, patient.guardian_mode),
        (phone.pubkey(), GuardianMode::RecoveryOnly)
    );
    // The old key is powerless; the new key acts.
    f.fails_with(
        &[ix::revoke_consent(p, &p, &lab)],
        &fam.patient,
        &[],
        hdx(HdxError::NotPatientAuthority),
    );
    f.ok(&[ix::revoke_consent(phone.pubkey(), &p, &lab)], &phone, &[]);
}

#[test]
fn while_guardians_act_alone_the_patients_key_cannot_and_the_hand_over_gives_it_control() {
    let fam = Family::new(GuardianMode::Alone, 2, 2);
    let (f, p, lab) = (&fam.f, fam.p(), fam.lab.pubkey());
    // The minor's own key is locked out of every patient action.
    for i in [
        ix::grant_consent(p, &p, &lab, fam.terms()),
        ix::add_record(
            p,
            &p,
            1,
            health_data_exchange::AddRecordArgs {
                category: Category::Imaging,
                clinical_day: 0,
                locator: b"x".to_vec(),
                content_hash: [1; 32],
            },
        ),
        ix::set_guardians(
            p,
            &p,
            vec![Pubkey::new_unique()],
            1,
            GuardianMode::Alongside,
        ),
    ] {
        f.fails_with(
            &[i],
            &fam.patient,
            &[],
            hdx(HdxError::GuardiansActForPatient),
        );
    }
    let new_key = f.funded();
    f.fails_with(
        &[ix::rotate_patient_authority(p, new_key.pubkey(), &p)],
        &fam.patient,
        &[&new_key],
        hdx(HdxError::GuardiansActForPatient),
    );
    // Guardians grant (both must approve).
    let i = fam.propose_grant(0);
    fam.approve(1, i);
    f.ok(
        &[ix::execute_guardian_grant(fam.g[1].pubkey(), &p, i, &lab)],
        &fam.g[1],
        &[],
    );
    f.fails_with(
        &[ix::update_consent(p, &p, &lab, fam.terms())],
        &fam.patient,
        &[],
        hdx(HdxError::GuardiansActForPatient),
    );
    // Coming of age: both guardians hand control to the patient's own new key, kept for recovery.
    let adult = f.funded();
    let h = fam.propose(
        1,
        ProposalAction::HandOver {
            new_authority: adult.pubkey(),
            keep_for_recovery: true,
        },
    );
    let stale = fam.propose_grant(0);
    fam.approve(0, h);
    f.ok(
        &[ix::execute_guardian_recovery(
            fam.g[0].pubkey(),
            &p,
            h,
            adult.pubkey(),
        )],
        &fam.g[0],
        &[&adult],
    );
    let patient: Patient = f.decode(&pda::patient(&p).0);
    assert_eq!(
        (patient.authority, patient.guardian_mode),
        (adult.pubkey(), GuardianMode::RecoveryOnly)
    );
    let set = fam.set();
    assert_eq!(
        (set.mode, set.count, set.generation),
        (GuardianMode::RecoveryOnly, 2, 2)
    );
    // What was open for the minor is stale; a second hand-over is not allowed.
    fam.approve_fails(1, stale, HdxError::ProposalStale);
    let index = set.proposals;
    f.fails_with(
        &[ix::propose_guardian_action(
            fam.g[0].pubkey(),
            &p,
            index,
            ProposalAction::HandOver {
                new_authority: f.funded().pubkey(),
                keep_for_recovery: false,
            },
        )],
        &fam.g[0],
        &[],
        hdx(HdxError::GuardianModeForbids),
    );
    // The adult acts with their own key now.
    f.ok(&[ix::revoke_consent(adult.pubkey(), &p, &lab)], &adult, &[]);
    // Removing the guardians entirely at hand-over: another family.
    let fam2 = Family::new(GuardianMode::Alone, 1, 1);
    let adult2 = fam2.f.funded();
    let h2 = fam2.propose(
        0,
        ProposalAction::HandOver {
            new_authority: adult2.pubkey(),
            keep_for_recovery: false,
        },
    );
    fam2.f.ok(
        &[ix::execute_guardian_recovery(
            fam2.g[0].pubkey(),
            &fam2.p(),
            h2,
            adult2.pubkey(),
        )],
        &fam2.g[0],
        &[&adult2],
    );
    let set2 = fam2.set();
    assert_eq!((set2.mode, set2.count), (GuardianMode::None, 0));
    assert_eq!(
        fam2.f
            .decode::<Patient>(&pda::patient(&fam2.p()).0)
            .guardian_mode,
        GuardianMode::None
    );
}

impl Family {
    fn approve_fails(&self, who: usize, index: u32, e: HdxError) {
        self.f.fails_with(
            &[ix::approve_guardian_action(
                self.g[who].pubkey(),
                &self.p(),
                index,
            )],
            &self.g[who],
            &[],
            hdx(e),
        );
    }
}

/// Invariant 8 covers emergency preferences too: while guardians act alone
/// the patient's own key cannot change them; the guardians do, M of N,
/// through a proposal executed as exactly the patient's change would be.
#[test]
fn invariant_8_while_guardians_act_alone_only_they_change_emergency_preferences() {
    use health_data_exchange::codes::Actor;
    use health_data_exchange::events::EmergencyPreferencesSet;
    use health_data_exchange::EmergencyPreferences;
    let fam = Family::new(GuardianMode::Alone, 2, 2);
    let (f, p) = (&fam.f, fam.p());
    let before: Patient = f.decode(&pda::patient(&p).0);
    f.fails_with(
        &[ix::set_emergency_preferences(p, &p, true, 0)],
        &fam.patient,
        &[],
        hdx(HdxError::GuardiansActForPatient),
    );
    assert_eq!(f.decode::<Patient>(&pda::patient(&p).0), before);
    let wanted = EmergencyPreferences {
        opt_out: false,
        excluded: Category::MentalHealth.bit() | Category::Genomics.bit(),
    };
    let i = fam.propose(
        0,
        ProposalAction::EmergencyPreferences {
            preferences: wanted,
        },
    );
    // One approval of two; a stranger; then the second guardian's approval.
    f.fails_with(
        &[ix::execute_guardian_preferences(fam.g[0].pubkey(), &p, i)],
        &fam.g[0],
        &[],
        hdx(HdxError::NotEnoughApprovals),
    );
    let stranger = f.funded();
    f.fails_with(
        &[ix::execute_guardian_preferences(stranger.pubkey(), &p, i)],
        &stranger,
        &[],
        hdx(HdxError::NotAGuardian),
    );
    fam.approve(1, i);
    // A grant proposal is not executed as preferences, nor the other way round.
    let g = fam.propose_grant(0);
    fam.approve(1, g);
    f.fails_with(
        &[ix::execute_guardian_preferences(fam.g[0].pubkey(), &p, g)],
        &fam.g[0],
        &[],
        hdx(HdxError::ProposalMismatch),
    );
    f.fails_with(
        &[ix::execute_guardian_grant(
            fam.g[0].pubkey(),
            &p,
            i,
            &fam.lab.pubkey(),
        )],
        &fam.g[0],
        &[],
        hdx(HdxError::ProposalMismatch),
    );
    let r = f.ok(
        &[ix::execute_guardian_preferences(fam.g[1].pubkey(), &p, i)],
        &fam.g[1],
        &[],
    );
    assert_eq!(
        f.decode::<Patient>(&pda::patient(&p).0),
        Patient {
            emergency: wanted,
            ..before
        },
        "only the preferences changed"
    );
    let events = hdx_sdk::events::parse_logs(&r.logs);
    assert!(
        events.contains(&hdx_sdk::events::HdxEvent::EmergencyPreferencesSet(
            EmergencyPreferencesSet {
                patient: p,
                preferences: wanted,
                actor: Actor::Guardians,
                signer: fam.g[1].pubkey(),
                proposal: Some(i),
            }
        )),
        "{events:?}"
    );
    assert!(fam.proposal(i).executed);
    f.fails_with(
        &[ix::execute_guardian_preferences(fam.g[1].pubkey(), &p, i)],
        &fam.g[1],
        &[],
        hdx(HdxError::ProposalExecuted),
    );
    // Recovery-only guardians cannot propose preferences; alongside, the patient can set them.
    let fam2 = Family::new(GuardianMode::RecoveryOnly, 1, 1);
    let p2 = fam2.p();
    fam2.f.fails_with(
        &[ix::propose_guardian_action(
            fam2.g[0].pubkey(),
            &p2,
            0,
            ProposalAction::EmergencyPreferences {
                preferences: wanted,
            },
        )],
        &fam2.g[0],
        &[],
        hdx(HdxError::GuardianModeForbids),
    );
    fam2.f.ok(
        &[ix::set_emergency_preferences(p2, &p2, true, 0)],
        &fam2.patient,
        &[],
    );
    assert!(
        fam2.f
            .decode::<Patient>(&pda::patient(&p2).0)
            .emergency
            .opt_out
    );
}

/// An approved grant whose consent already exists is refused as the
/// patient's own grant would be, and refused before anything happens: the
/// proposal stays open, nothing is emitted (the fixture checks the logs).
#[test]
fn an_approved_grant_for_a_provider_already_consented_is_refused_and_stays_open() {
    let fam = Family::new(GuardianMode::Alongside, 2, 2);
    let (f, p, lab) = (&fam.f, fam.p(), fam.lab.pubkey());
    let first = fam.propose_grant(0);
    fam.approve(1, first);
    let second = fam.propose_grant(1);
    fam.approve(0, second);
    f.ok(
        &[ix::execute_guardian_grant(
            fam.g[0].pubkey(),
            &p,
            first,
            &lab,
        )],
        &fam.g[0],
        &[],
    );
    let before = fam.proposal(second);
    f.fails_with(
        &[ix::execute_guardian_grant(
            fam.g[1].pubkey(),
            &p,
            second,
            &lab,
        )],
        &fam.g[1],
        &[],
        hdx(HdxError::AccountAlreadyExists),
    );
    assert_eq!(
        fam.proposal(second),
        before,
        "still open, not marked executed"
    );
}
