//! A patient's consent history, read from the program's events: every
//! version each consent has had (granted, updated, renewed), with its terms
//! and the time it was in force, and how it ended (replaced, revoked, or
//! expired). Revoked consents and replaced terms are gone from the accounts;
//! their history is in the transactions that changed them.
//!
//! Every consent change carries the patient's consent-history address
//! ([`crate::pda::consent_history`]), so `getSignaturesForAddress` on it
//! lists exactly those transactions; `getTransaction` gives their logs.
//! Only events this program wrote in its own frame count (see
//! [`crate::events::parse_logs`]), and the newest version of each live
//! consent must equal the consent account, or the history is refused.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use serde::Serialize;
use solana_sdk::signature::Signature;

use crate::client::ClientError;
use crate::codes::Actor;
use crate::events::{parse_logs, HdxEvent};
use crate::program::state::{Consent, ConsentTerms, Enrollment};
use crate::transport::{ClusterError, Transport};

/// How a consent version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Granted,
    Updated,
    Renewed,
}

/// How a consent version stopped being the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// Replaced by an update.
    Updated,
    /// Replaced by a renewal (same terms, a later expiry).
    Renewed,
    Revoked,
}

/// One version of one consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentVersion {
    pub patient: Pubkey,
    pub provider: Pubkey,
    /// The patient's consent revision: what log entries name.
    pub revision: u32,
    pub terms: ConsentTerms,
    pub origin: Origin,
    /// When it took over (the transaction's clock time).
    pub since: i64,
    /// When and how it was replaced or revoked; `None` while it is the current one.
    pub ended: Option<(i64, Ending)>,
    /// The transaction that made it.
    pub signature: Signature,
    /// Who set these terms: the patient's authority, or the guardians
    /// through a proposal (a renewal keeps the terms, and so who set them).
    pub actor: Actor,
    /// The key that signed for it: the patient's authority, or the guardian
    /// who executed the proposal.
    pub signer: Pubkey,
    /// The guardians' proposal it executed, if it was theirs.
    pub proposal: Option<u32>,
    /// The guardians who approved that proposal (the executor among them
    /// when it approved); empty when the patient acted.
    pub approvers: Vec<Pubkey>,
}

impl ConsentVersion {
    /// The current version and not expired at `now` (it may not have
    /// started yet): FHIR's `active`; replaced, revoked or expired is `inactive`.
    pub fn is_active(&self, now: i64) -> bool {
        self.ended.is_none() && now < self.terms.expires_at
    }

    /// When it stopped applying, if it has: replaced, revoked or expired.
    pub fn end(&self) -> i64 {
        match self.ended {
            Some((at, _)) => at.min(self.terms.expires_at),
            None => self.terms.expires_at,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HistoryError {
    #[error("the consent history of patient {patient} does not match the chain: {what}")]
    Mismatch { patient: Pubkey, what: String },
}

/// Every signature on `address`, oldest first (paged, 1,000 at a time).
pub fn all_signatures(
    transport: &dyn Transport,
    address: &Pubkey,
) -> Result<Vec<crate::transport::Signed>, ClusterError> {
    const PAGE: usize = 1_000;
    let mut all = Vec::new();
    let mut before: Option<Signature> = None;
    loop {
        let page = transport.signatures_for_address(address, before.as_ref(), PAGE)?;
        let done = page.len() < PAGE;
        before = page.last().map(|s| s.signature);
        all.extend(page);
        if done || before.is_none() {
            break;
        }
    }
    all.reverse();
    Ok(all)
}

/// The consent events of a patient's consent changes, oldest first, with
/// the signature of the transaction that emitted each.
fn consent_events(
    transport: &dyn Transport,
    patient: &Pubkey,
) -> Result<Vec<(Signature, HdxEvent)>, ClientError> {
    let address = crate::pda::consent_history(patient).0;
    let mut out = Vec::new();
    for signed in all_signatures(transport, &address)? {
        if !signed.succeeded {
            continue; // nothing a failed transaction did is kept
        }
        let landed = landed(transport, &signed.signature, &address)?;
        out.extend(
            parse_logs(&landed.logs)
                .into_iter()
                .filter(|e| event_patient(e) == Some(*patient))
                .map(|e| (signed.signature, e)),
        );
    }
    Ok(out)
}

/// A transaction the cluster listed for `address`: a cluster that lists a
/// signature and then does not return its transaction is not answering as a
/// cluster does.
fn landed(
    transport: &dyn Transport,
    signature: &Signature,
    address: &Pubkey,
) -> Result<crate::transport::Landed, ClientError> {
    transport.transaction(signature)?.ok_or_else(|| {
        ClientError::Unexpected(format!(
            "the cluster lists {signature} for {address} but does not return it"
        ))
    })
}

fn event_patient(e: &HdxEvent) -> Option<Pubkey> {
    match e {
        HdxEvent::ProposalExecuted(e) => Some(e.patient),
        HdxEvent::ConsentGranted(e) => Some(e.patient),
        HdxEvent::ConsentUpdated(e) => Some(e.patient),
        HdxEvent::ConsentRenewed(e) => Some(e.patient),
        HdxEvent::ConsentRevoked(e) => Some(e.patient),
        HdxEvent::StudyEnrolled(e) => Some(e.patient),
        HdxEvent::StudyWithdrawn(e) => Some(e.patient),
        _ => None,
    }
}

/// One version of a patient's research consent: an enrolment in a study
/// (what it lets the study use, until when) and, once withdrawn, its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    pub patient: Pubkey,
    /// The study's address.
    pub study: Pubkey,
    /// The patient's consent revision the enrolment was.
    pub revision: u32,
    pub categories: u16,
    /// When it ends on its own.
    pub until: i64,
    /// When it took effect.
    pub since: i64,
    /// The withdrawal: when, its own consent revision, and who signed it.
    pub withdrawn: Option<(i64, u32, Pubkey)>,
    pub signature: Signature,
    /// The patient, or the guardians through a proposal.
    pub actor: Actor,
    pub signer: Pubkey,
    pub proposal: Option<u32>,
    /// The guardians who approved that proposal; empty when the patient acted.
    pub approvers: Vec<Pubkey>,
}

impl Participation {
    /// Enrolled and not past its end at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.withdrawn.is_none() && now < self.until
    }

    /// When it stopped applying, if it has: withdrawn or ended.
    pub fn end(&self) -> i64 {
        match self.withdrawn {
            Some((at, _, _)) => at.min(self.until),
            None => self.until,
        }
    }
}

/// Folds study events (oldest first) into participations, per study in
/// order. An enrolment while one is in force, or a withdrawal with none, is
/// a mismatch.
pub fn participations_from_events(
    patient: &Pubkey,
    events: &[(Signature, HdxEvent)],
) -> Result<Vec<Participation>, HistoryError> {
    let mismatch = |what: String| HistoryError::Mismatch {
        patient: *patient,
        what,
    };
    let executed = executed_approvers(events);
    let mut by_study: BTreeMap<Pubkey, Vec<Participation>> = BTreeMap::new();
    for (signature, event) in events {
        match event {
            HdxEvent::StudyEnrolled(e) => {
                let versions = by_study.entry(e.study).or_default();
                if let Some(v) = versions.last().filter(|v| v.withdrawn.is_none()) {
                    return Err(mismatch(format!(
                        "revision {} enrols in study {} while revision {} is in force",
                        e.revision, e.study, v.revision
                    )));
                }
                let approvers = match e.proposal {
                    None => Vec::new(),
                    Some(n) => executed.get(&(*signature, n)).cloned().ok_or_else(|| {
                        mismatch(format!(
                            "transaction {signature} enrols by proposal {n}, which it does not execute"
                        ))
                    })?,
                };
                versions.push(Participation {
                    patient: *patient,
                    study: e.study,
                    revision: e.revision,
                    categories: e.categories,
                    until: e.until,
                    since: e.at,
                    withdrawn: None,
                    signature: *signature,
                    actor: e.actor,
                    signer: e.signer,
                    proposal: e.proposal,
                    approvers,
                });
            }
            HdxEvent::StudyWithdrawn(e) => {
                match by_study
                    .get_mut(&e.study)
                    .and_then(|v| v.last_mut())
                    .filter(|v| v.withdrawn.is_none())
                {
                    Some(v) => v.withdrawn = Some((e.at, e.revision, e.signer)),
                    None => {
                        return Err(mismatch(format!(
                            "a withdrawal from study {} with no enrolment in force ({signature})",
                            e.study
                        )))
                    }
                }
            }
            _ => {}
        }
    }
    let mut all: Vec<Participation> = by_study.into_values().flatten().collect();
    all.sort_by_key(|v| (v.revision, v.study));
    Ok(all)
}

/// Checks participations against the patient's enrolment accounts: each
/// account's state (active, categories, until, revision) is its study's
/// last participation; each study in the history has an account.
pub fn check_against_enrollments(
    patient: &Pubkey,
    participations: &[Participation],
    accounts: &[Enrollment],
) -> Result<(), HistoryError> {
    let mismatch = |what: String| HistoryError::Mismatch {
        patient: *patient,
        what,
    };
    let mut last: BTreeMap<Pubkey, &Participation> = BTreeMap::new();
    for p in participations {
        last.insert(p.study, p);
    }
    for e in accounts.iter().filter(|e| e.patient == *patient) {
        let Some(p) = last.remove(&e.study) else {
            return Err(mismatch(format!(
                "the enrolment in study {} (revision {}) has no history",
                e.study, e.revision
            )));
        };
        let revision = p.withdrawn.map_or(p.revision, |(_, r, _)| r);
        let agrees = e.active == p.withdrawn.is_none()
            && e.categories == p.categories
            && e.until == p.until
            && e.revision == revision;
        if !agrees {
            return Err(mismatch(format!(
                "the enrolment in study {} is at revision {} on the chain, the history ends at revision {revision} otherwise",
                e.study, e.revision
            )));
        }
    }
    if let Some(study) = last.keys().next() {
        return Err(mismatch(format!(
            "the history enrols the patient in study {study}, the chain has no such enrolment"
        )));
    }
    Ok(())
}

/// Every consent version and every research participation of `patient`
/// (by id), from one walk of the consent-history address, each checked
/// against its accounts: oldest revision first.
pub fn consent_and_study_history(
    transport: &dyn Transport,
    patient: &Pubkey,
    consents: &[Consent],
    enrollments: &[Enrollment],
) -> Result<(Vec<ConsentVersion>, Vec<Participation>), ClientError> {
    let events = consent_events(transport, patient)?;
    let versions = versions_from_events(patient, &events)?;
    check_against_accounts(patient, &versions, consents)?;
    let participations = participations_from_events(patient, &events)?;
    check_against_enrollments(patient, &participations, enrollments)?;
    Ok((versions, participations))
}

/// The approvers of each executed proposal, by the transaction that executed it.
fn executed_approvers(events: &[(Signature, HdxEvent)]) -> BTreeMap<(Signature, u32), Vec<Pubkey>> {
    events
        .iter()
        .filter_map(|(signature, e)| match e {
            HdxEvent::ProposalExecuted(x) => Some((
                (*signature, x.proposal),
                x.approvers
                    .iter()
                    .copied()
                    .filter(|k| *k != Pubkey::default())
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

/// Folds consent events (oldest first) into versions, per provider in
/// revision order. A change to a consent that has no version yet, or a
/// revocation naming another revision than the current one, is a mismatch.
pub fn versions_from_events(
    patient: &Pubkey,
    events: &[(Signature, HdxEvent)],
) -> Result<Vec<ConsentVersion>, HistoryError> {
    let mismatch = |what: String| HistoryError::Mismatch {
        patient: *patient,
        what,
    };
    let executed = executed_approvers(events);
    // Who set a version's terms: the event's actor, signer and proposal;
    // a guardians' proposal must have been executed in the same transaction.
    let set_by = |signature: &Signature,
                  actor: Actor,
                  signer: Pubkey,
                  proposal: Option<u32>|
     -> Result<(Actor, Pubkey, Option<u32>, Vec<Pubkey>), HistoryError> {
        let approvers = match proposal {
            None => Vec::new(),
            Some(n) => executed.get(&(*signature, n)).cloned().ok_or_else(|| {
                mismatch(format!(
                    "transaction {signature} sets consent terms by proposal {n}, which it does not execute"
                ))
            })?,
        };
        Ok((actor, signer, proposal, approvers))
    };
    // Per provider: its versions, oldest first.
    let mut by_provider: BTreeMap<Pubkey, Vec<ConsentVersion>> = BTreeMap::new();
    for (signature, event) in events {
        let (provider, at) = match event {
            HdxEvent::ConsentGranted(e) => (e.provider, e.at),
            HdxEvent::ConsentUpdated(e) => (e.provider, e.at),
            HdxEvent::ConsentRenewed(e) => (e.provider, e.at),
            HdxEvent::ConsentRevoked(e) => (e.provider, e.at),
            _ => continue,
        };
        let versions = by_provider.entry(provider).or_default();
        let current = versions.last_mut().filter(|v| v.ended.is_none());
        let next = match (event, current) {
            (HdxEvent::ConsentGranted(e), None) => Some((
                e.revision,
                e.terms,
                Origin::Granted,
                set_by(signature, e.actor, e.signer, e.proposal)?,
            )),
            (HdxEvent::ConsentGranted(e), Some(v)) => {
                return Err(mismatch(format!(
                    "revision {} grants a consent to {provider} while revision {} is in force",
                    e.revision, v.revision
                )))
            }
            (HdxEvent::ConsentUpdated(e), Some(v)) => {
                v.ended = Some((at, Ending::Updated));
                Some((
                    e.revision,
                    e.terms,
                    Origin::Updated,
                    set_by(signature, e.actor, e.signer, e.proposal)?,
                ))
            }
            (HdxEvent::ConsentRenewed(e), Some(v)) => {
                v.ended = Some((at, Ending::Renewed));
                let terms = ConsentTerms {
                    expires_at: e.expires_at,
                    ..v.terms
                };
                let by = (v.actor, v.signer, v.proposal, v.approvers.clone());
                Some((e.revision, terms, Origin::Renewed, by))
            }
            (HdxEvent::ConsentRevoked(e), Some(v)) if e.revision == v.revision => {
                v.ended = Some((at, Ending::Revoked));
                None
            }
            (HdxEvent::ConsentRevoked(e), Some(v)) => {
                return Err(mismatch(format!(
                "a revocation of {provider}'s consent names revision {}, revision {} is in force",
                e.revision, v.revision
            )))
            }
            (_, None) => {
                return Err(mismatch(format!(
                    "a change to {provider}'s consent with no grant before it ({signature})"
                )))
            }
            _ => None,
        };
        if let Some((revision, terms, origin, (actor, signer, proposal, approvers))) = next {
            versions.push(ConsentVersion {
                patient: *patient,
                provider,
                revision,
                terms,
                origin,
                since: at,
                ended: None,
                signature: *signature,
                actor,
                signer,
                proposal,
                approvers,
            });
        }
    }
    let mut all: Vec<ConsentVersion> = by_provider.into_values().flatten().collect();
    all.sort_by_key(|v| (v.revision, v.provider));
    Ok(all)
}

/// Checks versions against the consent accounts that exist now: each live
/// account's revision and terms are its provider's current version; a
/// provider whose current version is not revoked has an account.
pub fn check_against_accounts(
    patient: &Pubkey,
    versions: &[ConsentVersion],
    accounts: &[Consent],
) -> Result<(), HistoryError> {
    let mismatch = |what: String| HistoryError::Mismatch {
        patient: *patient,
        what,
    };
    let current: BTreeMap<Pubkey, &ConsentVersion> = versions
        .iter()
        .filter(|v| v.ended.is_none())
        .map(|v| (v.provider, v))
        .collect();
    for c in accounts.iter().filter(|c| c.patient == *patient) {
        match current.get(&c.provider) {
            Some(v) if v.revision == c.revision && v.terms == c.terms => {}
            Some(v) => {
                return Err(mismatch(format!(
                    "{}'s consent is at revision {} on the chain, the history ends at revision {} with other terms",
                    c.provider, c.revision, v.revision
                )))
            }
            None => {
                return Err(mismatch(format!(
                    "{}'s consent (revision {}) has no history",
                    c.provider, c.revision
                )))
            }
        }
    }
    for v in current.values() {
        if !accounts
            .iter()
            .any(|c| c.patient == *patient && c.provider == v.provider)
        {
            return Err(mismatch(format!(
                "the history says {}'s consent is at revision {}, the chain has no such consent",
                v.provider, v.revision
            )));
        }
    }
    Ok(())
}

/// Every consent version of `patient` (by id), checked against the consent
/// accounts: oldest revision first.
pub fn consent_history(
    transport: &dyn Transport,
    patient: &Pubkey,
    accounts: &[Consent],
) -> Result<Vec<ConsentVersion>, ClientError> {
    let events = consent_events(transport, patient)?;
    let versions = versions_from_events(patient, &events)?;
    check_against_accounts(patient, &versions, accounts)?;
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use health_data_exchange::codes::Actor;
    use health_data_exchange::events::{ConsentGranted, ConsentRevoked, ConsentUpdated};

    fn terms(expires_at: i64) -> ConsentTerms {
        ConsentTerms {
            categories: 1,
            modes: 1,
            purposes: 1,
            not_before: 0,
            expires_at,
            ..ConsentTerms::default()
        }
    }

    fn sig(n: u8) -> Signature {
        Signature::from([n; 64])
    }

    #[test]
    fn study_events_fold_into_participations_and_inconsistent_ones_are_refused() {
        use health_data_exchange::events::{StudyEnrolled, StudyWithdrawn};
        let (patient, study) = (Pubkey::new_unique(), Pubkey::new_unique());
        let enrol = |revision, at, proposal| {
            HdxEvent::StudyEnrolled(StudyEnrolled {
                patient,
                study,
                revision,
                categories: 0b11,
                until: 1_000,
                actor: Actor::Patient,
                signer: patient,
                proposal,
                at,
            })
        };
        let withdraw = |revision, at| {
            HdxEvent::StudyWithdrawn(StudyWithdrawn {
                patient,
                study,
                revision,
                actor: Actor::Patient,
                signer: patient,
                at,
            })
        };
        // Enrolled, withdrawn, enrolled again: two versions, the first withdrawn.
        let events = vec![
            (sig(1), enrol(1, 10, None)),
            (sig(2), withdraw(2, 20)),
            (sig(3), enrol(3, 30, None)),
        ];
        let got = participations_from_events(&patient, &events).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].withdrawn, Some((20, 2, patient)));
        assert_eq!((got[0].end(), got[0].is_active(15)), (20, false));
        assert_eq!((got[1].revision, got[1].withdrawn), (3, None));
        assert!(got[1].is_active(999) && !got[1].is_active(1_000));
        // Against the account: the last version, active, revision 3.
        let account = Enrollment {
            study,
            patient,
            active: true,
            version: 1,
            bump: 255,
            categories: 0b11,
            revision: 3,
            joined_at: 30,
            until: 1_000,
            withdrawn_at: 20,
            reserved: [0; 16],
        };
        check_against_enrollments(&patient, &got, std::slice::from_ref(&account)).unwrap();
        for edited in [
            Enrollment {
                active: false,
                ..account.clone()
            },
            Enrollment {
                categories: 0b1,
                ..account.clone()
            },
            Enrollment {
                until: 999,
                ..account.clone()
            },
            Enrollment {
                revision: 2,
                ..account.clone()
            },
            Enrollment {
                study: Pubkey::new_unique(),
                ..account.clone()
            },
        ] {
            assert!(
                check_against_enrollments(&patient, &got, std::slice::from_ref(&edited)).is_err(),
                "{edited:?}"
            );
        }
        assert!(
            check_against_enrollments(&patient, &got, &[]).is_err(),
            "no account"
        );
        // Refused: a withdrawal with nothing in force, an enrolment while one
        // is, a proposal the transaction does not execute.
        for events in [
            vec![(sig(1), withdraw(1, 10))],
            vec![(sig(1), enrol(1, 10, None)), (sig(2), enrol(2, 20, None))],
            vec![(sig(1), enrol(1, 10, Some(4)))],
        ] {
            assert!(participations_from_events(&patient, &events).is_err());
        }
    }

    #[test]
    fn events_fold_into_versions_and_inconsistent_ones_are_refused() {
        let (patient, provider) = (Pubkey::new_unique(), Pubkey::new_unique());
        let grant = |revision, at| {
            HdxEvent::ConsentGranted(ConsentGranted {
                patient,
                provider,
                revision,
                terms: terms(100),
                actor: Actor::Patient,
                signer: patient,
                proposal: None,
                at,
            })
        };
        let update = |revision, at| {
            HdxEvent::ConsentUpdated(ConsentUpdated {
                patient,
                provider,
                revision,
                terms: terms(200),
                actor: Actor::Patient,
                signer: patient,
                proposal: None,
                at,
            })
        };
        let revoke = |revision, at| {
            HdxEvent::ConsentRevoked(ConsentRevoked {
                patient,
                provider,
                revision,
                actor: Actor::Patient,
                signer: patient,
                at,
            })
        };
        let events = [
            (sig(1), grant(1, 10)),
            (sig(2), update(2, 20)),
            (sig(3), revoke(2, 30)),
        ];
        let v = versions_from_events(&patient, &events).unwrap();
        assert_eq!(
            v.iter()
                .map(|v| (v.revision, v.origin, v.since, v.ended, v.end()))
                .collect::<Vec<_>>(),
            [
                (1, Origin::Granted, 10, Some((20, Ending::Updated)), 20),
                (2, Origin::Updated, 20, Some((30, Ending::Revoked)), 30),
            ]
        );
        assert!(!v[1].is_active(25), "a revoked version is inactive");
        // Revoked: no account may exist, and none does.
        check_against_accounts(&patient, &v, &[]).unwrap();

        // A revocation of a revision that is not in force; a second grant
        // over a live consent; a change with no grant before it.
        for bad in [
            vec![(sig(1), grant(1, 10)), (sig(2), revoke(7, 20))],
            vec![(sig(1), grant(1, 10)), (sig(2), grant(2, 20))],
            vec![(sig(1), update(1, 10))],
        ] {
            assert!(matches!(
                versions_from_events(&patient, &bad),
                Err(HistoryError::Mismatch { .. })
            ));
        }

        // The chain has a consent the history ends elsewhere for, or none.
        let live = versions_from_events(&patient, &events[..2]).unwrap();
        let account = |revision: u32, expires_at: i64| Consent {
            patient,
            provider,
            version: 1,
            bump: 0,
            revision,
            terms: terms(expires_at),
            granted_at: 10,
            updated_at: 20,
            accesses_used: 0,
            renewals_used: 0,
            reserved: [0; 16],
        };
        check_against_accounts(&patient, &live, &[account(2, 200)]).unwrap();
        for accounts in [vec![account(3, 200)], vec![account(2, 999)], vec![]] {
            assert!(check_against_accounts(&patient, &live, &accounts).is_err());
        }
        assert!(check_against_accounts(&patient, &v, &[account(2, 200)]).is_err());
    }
}

/// One guardian event of a patient, with when its transaction landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianEvent {
    pub signature: Signature,
    pub block_time: Option<i64>,
    pub event: HdxEvent,
    /// The guardian who executed the proposal this event came from (a
    /// hand-over names none itself), from the same transaction.
    pub executor: Option<Pubkey>,
}

/// Every guardian event of a patient (sets, proposals, approvals,
/// executions, single-guardian revocations, hand-overs), oldest first:
/// every guardian instruction carries the patient's guardian-set address.
pub fn guardian_events(
    transport: &dyn Transport,
    patient: &Pubkey,
) -> Result<Vec<GuardianEvent>, ClientError> {
    let address = crate::pda::guardian_set(patient).0;
    let mut out = Vec::new();
    for signed in all_signatures(transport, &address)? {
        if !signed.succeeded {
            continue;
        }
        let landed = landed(transport, &signed.signature, &address)?;
        let events = parse_logs(&landed.logs);
        let executor = events.iter().find_map(|e| match e {
            HdxEvent::ProposalExecuted(x) if x.patient == *patient => Some(x.executor),
            _ => None,
        });
        for event in events {
            let ours = match &event {
                HdxEvent::GuardiansSet(e) => e.patient == *patient,
                HdxEvent::ProposalCreated(e) => e.patient == *patient,
                HdxEvent::ProposalApproved(e) => e.patient == *patient,
                HdxEvent::ProposalExecuted(e) => e.patient == *patient,
                HdxEvent::ConsentRevoked(e) => {
                    e.patient == *patient && e.actor == health_data_exchange::codes::Actor::Guardian
                }
                HdxEvent::HandedOver(e) => e.patient == *patient,
                _ => false,
            };
            if ours {
                out.push(GuardianEvent {
                    signature: signed.signature,
                    block_time: landed.block_time,
                    event,
                    executor,
                });
            }
        }
    }
    Ok(out)
}

/// Who reviewed each of these emergency windows, from the review's own
/// event (`EmergencyReviewed.reviewer`: the registry authority of that
/// moment, which may have been handed on since). Every review writes its
/// window, so the window's address lists the review's transaction. A
/// reviewed window whose review cannot be found is an error, never a guess.
pub fn emergency_reviewers(
    transport: &dyn Transport,
    windows: &[crate::program::state::EmergencyWindow],
) -> Result<BTreeMap<u32, Pubkey>, ClientError> {
    use crate::codes::Verdict;
    let mut out = BTreeMap::new();
    for w in windows.iter().filter(|w| w.verdict != Verdict::Unreviewed) {
        let address = crate::pda::emergency_window(&w.patient, w.index).0;
        let mut reviewer = None;
        for signed in all_signatures(transport, &address)? {
            if !signed.succeeded {
                continue;
            }
            let landed = landed(transport, &signed.signature, &address)?;
            for event in parse_logs(&landed.logs) {
                if let HdxEvent::EmergencyReviewed(e) = event {
                    if e.patient == w.patient && e.window == w.index {
                        reviewer = Some(e.reviewer);
                    }
                }
            }
        }
        let reviewer = reviewer.ok_or_else(|| {
            ClientError::Unexpected(format!(
                "emergency window {} of patient {} is reviewed ({}) but no review transaction names it",
                w.index,
                w.patient,
                w.verdict.name()
            ))
        })?;
        out.insert(w.index, reviewer);
    }
    Ok(out)
}
