//! Research studies, read and checked: a study with its release log (one
//! account per release, each holding the log's head after it), folded and
//! compared with the head the study keeps, and a study's cohort (its
//! enrolments, active and in time, at one slot).

use anchor_lang::prelude::Pubkey;
use health_data_exchange::state::{Enrollment, Study, StudyRelease};

use crate::accounts::{decode, offsets};
use crate::client::{ClientError, HdxClient};
use crate::pda;
use crate::transport::Memcmp;

/// A study's release log that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogBroken {
    #[error("the study counts {expected} releases; release {index} is not there")]
    Missing { index: u32, expected: u32 },
    #[error("release {index} names study {named}, not this one")]
    OtherStudy { index: u32, named: Pubkey },
    #[error("the account at release {index}'s address holds release {found}")]
    Misplaced { index: u32, found: u32 },
    #[error("release {index}'s head is not the fold of the log up to it")]
    HeadMismatch { index: u32 },
    #[error("the releases fold to a head other than the study's")]
    StudyHeadMismatch,
    #[error("the releases spend {folded} milli-epsilon; the study says {recorded}")]
    SpentMismatch { folded: u64, recorded: u64 },
}

/// Checks `releases` (in index order) against the study at `address`: each
/// is the study's, at its index, its head the fold of every release up to
/// it from the genesis; the last head is the study's, and the epsilons add
/// up to what the study has spent. Returns the head.
pub fn verify_log(
    address: &Pubkey,
    study: &Study,
    releases: &[StudyRelease],
) -> Result<[u8; 32], LogBroken> {
    let mut head = Study::genesis_head(address);
    let mut spent: u64 = 0;
    for index in 0..study.releases {
        let r = releases.get(index as usize).ok_or(LogBroken::Missing {
            index,
            expected: study.releases,
        })?;
        if r.study != *address {
            return Err(LogBroken::OtherStudy {
                index,
                named: r.study,
            });
        }
        if r.index != index {
            return Err(LogBroken::Misplaced {
                index,
                found: r.index,
            });
        }
        head = StudyRelease::next_head(&head, index, r.at, &r.facts);
        if r.head != head {
            return Err(LogBroken::HeadMismatch { index });
        }
        spent = spent.saturating_add(r.facts.epsilon_milli);
    }
    if head != study.log_head {
        return Err(LogBroken::StudyHeadMismatch);
    }
    if spent != study.epsilon_spent_milli {
        return Err(LogBroken::SpentMismatch {
            folded: spent,
            recorded: study.epsilon_spent_milli,
        });
    }
    Ok(head)
}

/// A study, its releases as read, and whether the log they make verifies
/// (`Ok`: the head).
#[derive(Debug)]
pub struct StudyLog {
    pub study: Study,
    pub releases: Vec<StudyRelease>,
    pub verdict: Result<[u8; 32], LogBroken>,
}

/// How many addresses one `getMultipleAccounts` asks for.
const READ_BATCH: usize = 100;

impl HdxClient {
    /// The study at `address`, if there is one.
    pub fn study(&self, address: &Pubkey) -> Result<Option<Study>, ClientError> {
        self.fetch::<Study>(address)
    }

    /// The study's releases `0..count`, in order (`None` where an account is
    /// missing or is not a release).
    pub fn study_releases(
        &self,
        address: &Pubkey,
        count: u32,
    ) -> Result<Vec<Option<StudyRelease>>, ClientError> {
        let addresses: Vec<Pubkey> = (0..count)
            .map(|i| pda::study_release(address, i).0)
            .collect();
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(READ_BATCH) {
            for account in self.transport.accounts(chunk)? {
                out.push(
                    account
                        .filter(|a| a.owner == crate::PROGRAM_ID)
                        .and_then(|a| decode::<StudyRelease>(&a.data).ok()),
                );
            }
        }
        Ok(out)
    }

    /// The study at `address` and its release log, verified.
    pub fn verified_study(&self, address: &Pubkey) -> Result<StudyLog, ClientError> {
        let study = self
            .study(address)?
            .ok_or_else(|| ClientError::NotFound(format!("study {address}")))?;
        let read = self.study_releases(address, study.releases)?;
        let mut releases = Vec::with_capacity(read.len());
        let mut missing = None;
        for (i, r) in read.into_iter().enumerate() {
            match r {
                Some(r) => releases.push(r),
                None => {
                    missing = Some(i as u32);
                    break;
                }
            }
        }
        let verdict = match missing {
            Some(index) => Err(LogBroken::Missing {
                index,
                expected: study.releases,
            }),
            None => verify_log(address, &study, &releases),
        };
        Ok(StudyLog {
            study,
            releases,
            verdict,
        })
    }

    /// Every enrolment of the patient `patient` (by id), in any study
    /// (active or withdrawn), by study address.
    pub fn patient_enrollments(&self, patient: &Pubkey) -> Result<Vec<Enrollment>, ClientError> {
        let mut all: Vec<Enrollment> = self.program_accounts::<Enrollment>(vec![Memcmp::new(
            offsets::ENROLLMENT_PATIENT,
            patient.as_ref(),
        )])?;
        all.sort_by_key(|e| e.study);
        Ok(all)
    }

    /// Every enrolment in the study at `address` (active or withdrawn), by
    /// patient id.
    pub fn enrollments(&self, address: &Pubkey) -> Result<Vec<Enrollment>, ClientError> {
        let mut all: Vec<Enrollment> = self.program_accounts::<Enrollment>(vec![Memcmp::new(
            offsets::ENROLLMENT_STUDY,
            address.as_ref(),
        )])?;
        all.sort_by_key(|e| e.patient);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use health_data_exchange::state::{ReleaseFacts, StudyTerms};

    fn study_with(address: &Pubkey, facts: &[ReleaseFacts]) -> (Study, Vec<StudyRelease>) {
        let terms = StudyTerms {
            custodian: Pubkey::new_unique(),
            duo: 1,
            disease: 0,
            categories: 1,
            from_day: 0,
            to_day: 0,
            min_cohort: 5,
            irb_commitment: [0; 32],
            epsilon_milli: 10_000,
            enrollment_closes_at: 1_000,
            use_until: 0,
        };
        let mut study = Study::new(Pubkey::new_unique(), 0, 255, terms, 0);
        study.log_head = Study::genesis_head(address);
        let mut releases = Vec::new();
        for (i, f) in facts.iter().enumerate() {
            let head = StudyRelease::next_head(&study.log_head, i as u32, 10 + i as i64, f);
            releases.push(StudyRelease {
                study: *address,
                index: i as u32,
                version: 1,
                bump: 255,
                at: 10 + i as i64,
                facts: *f,
                head,
                reserved: [0; StudyRelease::RESERVED],
            });
            study.log_head = head;
            study.releases += 1;
            study.epsilon_spent_milli += f.epsilon_milli;
        }
        (study, releases)
    }

    fn facts(n: u8) -> ReleaseFacts {
        ReleaseFacts {
            query_hash: [n; 32],
            epsilon_milli: u64::from(n) * 10,
            cohort_size: 5,
            cohort_hash: [n + 1; 32],
            cohort_slot: u64::from(n),
        }
    }

    #[test]
    fn a_log_verifies_and_every_kind_of_tampering_is_named() {
        let address = Pubkey::new_unique();
        let (study, releases) = study_with(&address, &[facts(1), facts(2), facts(3)]);
        assert_eq!(verify_log(&address, &study, &releases), Ok(study.log_head));
        // The empty log: the genesis head.
        let (empty, none) = study_with(&address, &[]);
        assert_eq!(
            verify_log(&address, &empty, &none),
            Ok(Study::genesis_head(&address))
        );
        // A release dropped, one of another study, out of place, edited.
        assert_eq!(
            verify_log(&address, &study, &releases[..2]),
            Err(LogBroken::Missing {
                index: 2,
                expected: 3
            })
        );
        let mut other = releases.clone();
        other[1].study = Pubkey::new_unique();
        assert!(matches!(
            verify_log(&address, &study, &other),
            Err(LogBroken::OtherStudy { index: 1, .. })
        ));
        let mut swapped = releases.clone();
        swapped.swap(0, 1);
        assert_eq!(
            verify_log(&address, &study, &swapped),
            Err(LogBroken::Misplaced { index: 0, found: 1 })
        );
        let mut edited = releases.clone();
        edited[1].facts.cohort_size = 6;
        assert_eq!(
            verify_log(&address, &study, &edited),
            Err(LogBroken::HeadMismatch { index: 1 })
        );
        // The study's own head or spend moved.
        let mut moved = study.clone();
        moved.log_head[0] ^= 1;
        assert_eq!(
            verify_log(&address, &moved, &releases),
            Err(LogBroken::StudyHeadMismatch)
        );
        let mut overspent = study.clone();
        overspent.epsilon_spent_milli += 1;
        assert_eq!(
            verify_log(&address, &overspent, &releases),
            Err(LogBroken::SpentMismatch {
                folded: 60,
                recorded: 61
            })
        );
        // Another study's address: its genesis differs.
        assert!(verify_log(&Pubkey::new_unique(), &study, &releases).is_err());
    }
}
