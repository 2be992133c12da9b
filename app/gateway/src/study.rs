//! A study's answers (docs/DESIGN.md, "Research studies"): the cohort read
//! at one slot, the exact counts over its members' FHIR Observations (one
//! value per patient, so adding or removing a patient moves one count by
//! one: L1 sensitivity 1), and OpenDP's discrete Laplace noise added to
//! them, at scale 1/epsilon. The noise is drawn only after the release is
//! recorded on-chain; the exact counts never leave this module's caller.

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use hdx_sdk::accounts::{decode, offsets};
use hdx_sdk::client::ClientError;
use hdx_sdk::codes::Category;
use hdx_sdk::gateway::{self as protocol, StudyAnswer};
use hdx_sdk::ix;
use hdx_sdk::program::state::{day_range_covers, Enrollment, Record, ReleaseFacts, Study};
use hdx_sdk::transport::Memcmp;
use solana_sdk::signature::Signer;

use crate::addresses::Seeds;
use crate::store::{Binding, TrailRow};
use crate::{
    binding_matches, db, now as now_unix, parse_study_path, read, refuse, Gateway, Reason, Refusal,
    Refused, Request,
};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::metrics::L1Distance;
use sha2::{Digest, Sha256};

pub use hdx_sdk::gateway::{QueryError, QueryKind, StudyQuery, MAX_BINS};

/// Domain tag of a cohort's hash.
pub const COHORT_TAG: &[u8] = b"hdx-cohort-v1";

/// The noise could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the noise could not be drawn: {0}")]
pub struct NoiseError(pub String);

/// A query's answer before the noise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    /// The slot the enrolments were read at.
    pub cohort_slot: u64,
    /// The cohort's patients, sorted.
    pub members: Vec<Pubkey>,
    pub cohort_hash: [u8; 32],
    pub counts: Vec<i64>,
}

/// The largest query body the gateway reads.
pub const MAX_QUERY_BYTES: usize = 16 << 10;

impl Gateway {
    /// `POST /v1/studies/{study}/query`: the sponsor's query, answered
    /// with noisy counts over the cohort's Observations, only after its
    /// release is recorded on-chain (which refuses it past the budget or
    /// below the minimum cohort, and then nothing is answered).
    pub fn query_study(&self, request: &Request, body: &[u8]) -> Result<StudyAnswer, Refused> {
        let mut row = TrailRow::default();
        self.query_study_checked(request, body, &mut row)
            .map_err(|refusal| Box::new((refusal, row)))
    }

    fn query_study_checked(
        &self,
        request: &Request,
        body: &[u8],
        row: &mut TrailRow,
    ) -> Result<StudyAnswer, Refusal> {
        let address = parse_study_path(&request.path)?;
        row.bytes = Some(body.len() as u64);
        if body.len() > MAX_QUERY_BYTES {
            return refuse(
                Reason::TooLarge,
                format!(
                    "the query is {} bytes, the limit is {MAX_QUERY_BYTES}",
                    body.len()
                ),
            );
        }
        let query_hash: [u8; 32] = Sha256::digest(body).into();
        let path = request.path.clone();
        let signer = self.check_signed(request, |time, nonce| {
            protocol::study_query_line(&path, &query_hash, time, nonce)
        })?;
        row.signer = Some(signer.to_string());
        let query: StudyQuery = serde_json::from_slice(body).map_err(|e| {
            Refusal::new(
                Reason::BadRequest,
                format!("the body is not a study query: {e}"),
            )
        })?;
        query
            .check()
            .map_err(|e| Refusal::new(Reason::BadRequest, e.to_string()))?;
        let Some(custodian) = self.custodian.as_ref() else {
            return refuse(
                Reason::NotTheCustodian,
                "this gateway answers no study: it was started without a custodian key",
            );
        };
        // One study answer at a time: each reads the release index the last left.
        let _one = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        let study = match self.chain.study(&address) {
            Ok(Some(study)) => study,
            Ok(None) | Err(ClientError::Decode(_)) => {
                return refuse(Reason::NotAStudy, format!("{address} is not a study"))
            }
            Err(e) => return Err(unavailable(e)),
        };
        if study.custodian != custodian.pubkey() {
            return refuse(
                Reason::NotTheCustodian,
                format!(
                    "study {address} names custodian {}, not this gateway's {}",
                    study.custodian,
                    custodian.pubkey()
                ),
            );
        }
        let sponsor = read(
            self.chain.provider(&study.sponsor),
            Reason::NotTheSponsor,
            || format!("the study's sponsor {} is not registered", study.sponsor),
        )?;
        if sponsor.signer != signer {
            return refuse(
                Reason::NotTheSponsor,
                format!(
                    "{signer} is not the current key of study {address}'s sponsor {}",
                    study.sponsor
                ),
            );
        }
        let exact = self.exact_answer(&address, &study, &query)?;
        let Exact {
            cohort_slot,
            members: ids,
            cohort_hash: hash,
            counts,
        } = exact;
        let facts = ReleaseFacts {
            query_hash,
            epsilon_milli: query.epsilon_milli,
            cohort_size: u32::try_from(ids.len()).unwrap_or(u32::MAX),
            cohort_hash: hash,
            cohort_slot,
        };
        let release = study.releases;
        // Recorded before anything is answered: a refusal answers nothing.
        let receipt = self
            .chain
            .send(
                &[ix::record_release(
                    custodian.pubkey(),
                    &study.sponsor,
                    address,
                    release,
                    facts,
                )],
                custodian,
                &[],
            )
            .map_err(|e| release_refused(&address, e))?;
        // The noise, only now. Should it fail, the budget is spent and
        // nothing is answered: the safe side.
        let counts = noisy(&counts, query.epsilon_milli)
            .map_err(|e| Refusal::new(Reason::Internal, e.to_string()))?;
        let spent = study
            .epsilon_spent_milli
            .saturating_add(query.epsilon_milli);
        let trail = TrailRow {
            at: now_unix(),
            reason: Reason::StudyAnswered.name().into(),
            method: request.method.clone(),
            path: request.path.clone(),
            message: format!(
                "release {release} of study {address}: {} bins over a cohort of {} at slot {cohort_slot}, epsilon {} milli (spent {spent} of {})",
                counts.len(),
                ids.len(),
                query.epsilon_milli,
                study.terms.epsilon_milli
            ),
            ..row.clone()
        };
        self.store.append(&trail).map_err(db)?;
        Ok(StudyAnswer {
            study: address.to_string(),
            release,
            signature: receipt.signature.to_string(),
            query_hash: protocol::hex(&query_hash),
            code: query.code,
            kind: query.kind,
            edges: query.edges,
            epsilon_milli: query.epsilon_milli,
            epsilon_spent_milli: spent,
            cohort_size: facts.cohort_size,
            cohort_hash: protocol::hex(&hash),
            cohort_slot,
            counts,
        })
    }

    /// The exact answer to `query` for the study at `address` now: the
    /// cohort (every enrolment read at one slot, the clock read after it),
    /// its hash, and the counts before any noise. Never served: what
    /// `query_study` records and adds noise to, and what its tests recount.
    pub fn exact_answer(
        &self,
        address: &Pubkey,
        study: &Study,
        query: &StudyQuery,
    ) -> Result<Exact, Refusal> {
        let (cohort_slot, accounts) = self
            .chain
            .transport
            .program_accounts_at(&[
                Memcmp::new(0, Enrollment::DISCRIMINATOR),
                Memcmp::new(offsets::ENROLLMENT_STUDY, address.as_ref()),
            ])
            .map_err(|e| unavailable(e.into()))?;
        let enrollments: Vec<Enrollment> = accounts
            .iter()
            .filter(|(_, a)| a.owner == hdx_sdk::PROGRAM_ID)
            .filter_map(|(_, a)| decode::<Enrollment>(&a.data).ok())
            .filter(|e| e.study == *address)
            .collect();
        let now = self.cluster_time()?;
        let members = cohort(study, &enrollments, now);
        let values = self.member_values(study, &members, &query.code)?;
        let ids: Vec<Pubkey> = members.iter().map(|(id, _)| *id).collect();
        Ok(Exact {
            cohort_slot,
            cohort_hash: cohort_hash(address, &ids),
            members: ids,
            counts: exact(query, &values),
        })
    }

    /// One value per member: of the member's records held here, bound to
    /// the record on-chain, in a category both the study and the member
    /// allow, in the study's clinical-day range, the latest (by clinical
    /// day, then index) that is an Observation with `code`.
    fn member_values(
        &self,
        study: &Study,
        members: &[(Pubkey, u16)],
        code: &str,
    ) -> Result<Vec<Option<f64>>, Refusal> {
        let mut candidates = Vec::new();
        for (patient, categories) in members {
            for b in self.store.bindings_of(&patient.to_string()).map_err(db)? {
                let allowed =
                    Category::from_code(b.category).is_some_and(|c| categories & c.bit() != 0);
                if allowed {
                    candidates.push((*patient, b));
                }
            }
        }
        let addresses: Vec<Pubkey> = candidates
            .iter()
            .map(|(patient, b)| self.addresses.of(Seeds::Record(*patient, b.record)))
            .collect();
        let accounts = self
            .chain
            .transport
            .accounts(&addresses)
            .map_err(|e| unavailable(e.into()))?;
        let mut held: Vec<(Pubkey, u32, u32, Binding, [u8; 32])> = Vec::new();
        for ((patient, binding), account) in candidates.into_iter().zip(accounts) {
            let Some(record) = account
                .filter(|a| a.owner == hdx_sdk::PROGRAM_ID)
                .and_then(|a| decode::<Record>(&a.data).ok())
            else {
                continue;
            };
            let in_scope = binding_matches(&binding, &record).is_ok()
                && study.terms.categories & record.category.bit() != 0
                && day_range_covers(
                    study.terms.from_day,
                    study.terms.to_day,
                    record.clinical_day,
                );
            if in_scope {
                held.push((
                    patient,
                    record.clinical_day,
                    record.index,
                    binding,
                    record.content_hash,
                ));
            }
        }
        // Latest first within each member.
        held.sort_by(|a, b| (a.0, b.1, b.2).cmp(&(b.0, a.1, a.2)));
        let mut values = Vec::with_capacity(members.len());
        for (patient, _) in members {
            let key = patient.to_string();
            let mut value = None;
            for (_, _, _, binding, content_hash) in held.iter().filter(|h| h.0 == *patient) {
                let Some(row) = self.store.blob(&key, &binding.cid).map_err(db)? else {
                    continue;
                };
                // A blob that does not open to its record is no value.
                let Ok(data) = self.open_blob(&key, &binding.cid, row, content_hash) else {
                    continue;
                };
                if let Some((v, _)) = observation_value(&data, code) {
                    value = Some(v);
                    break;
                }
            }
            values.push(value);
        }
        Ok(values)
    }
}

fn unavailable(e: ClientError) -> Refusal {
    Refusal::new(
        Reason::ClusterUnavailable,
        format!("cannot read the cluster: {e}"),
    )
}

/// The chain's refusal of a release, by the program error's name.
fn release_refused(study: &Pubkey, e: ClientError) -> Refusal {
    match &e {
        ClientError::Program { name, .. } => {
            let reason = match name.as_str() {
                "StudyBudgetExceeded" => Reason::StudyBudgetExceeded,
                "CohortBelowMinimum" => Reason::CohortBelowMinimum,
                _ => Reason::StudyReleaseRefused,
            };
            Refusal::new(
                reason,
                format!("the chain refused the release for study {study}: {e}"),
            )
        }
        ClientError::Cluster(_) => Refusal::new(
            Reason::ClusterUnavailable,
            format!("the release for study {study} could not be recorded: {e}"),
        ),
        _ => Refusal::new(
            Reason::StudyReleaseRefused,
            format!("the chain refused the release for study {study}: {e}"),
        ),
    }
}

/// The cohort at `now`: every active enrolment not past its end, sorted by
/// patient id, with the categories the study may use of each.
pub fn cohort(study: &Study, enrollments: &[Enrollment], now: i64) -> Vec<(Pubkey, u16)> {
    let mut members: Vec<(Pubkey, u16)> = enrollments
        .iter()
        .filter(|e| e.in_cohort(now))
        .map(|e| (e.patient, e.categories & study.terms.categories))
        .filter(|(_, categories)| *categories != 0)
        .collect();
    members.sort_by_key(|(id, _)| *id);
    members.dedup_by_key(|(id, _)| *id);
    members
}

/// `sha256("hdx-cohort-v1" || study || each member's id, sorted)`.
pub fn cohort_hash(study: &Pubkey, members: &[Pubkey]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COHORT_TAG);
    h.update(study.as_ref());
    for m in members {
        h.update(m.as_ref());
    }
    h.finalize().into()
}

/// The value of a FHIR Observation with `code` (its `valueQuantity.value`,
/// or `valueInteger`), and its `effectiveDateTime` when it has one; `None`
/// when the bytes are not such an Observation.
pub fn observation_value(json: &[u8], code: &str) -> Option<(f64, Option<String>)> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    if v["resourceType"] != "Observation" {
        return None;
    }
    let coded = v["code"]["coding"]
        .as_array()?
        .iter()
        .any(|c| c["code"].as_str() == Some(code));
    if !coded {
        return None;
    }
    let value = v["valueQuantity"]["value"]
        .as_f64()
        .or_else(|| v["valueInteger"].as_i64().map(|i| i as f64))?;
    value
        .is_finite()
        .then(|| (value, v["effectiveDateTime"].as_str().map(str::to_string)))
}

/// The exact counts: for a count, the members with a value; for a
/// histogram, the members whose value falls in each bin (values outside
/// every bin count nowhere). `values` has one entry per member.
pub fn exact(query: &StudyQuery, values: &[Option<f64>]) -> Vec<i64> {
    let mut counts = vec![0i64; query.bins()];
    for v in values.iter().flatten() {
        match query.kind {
            QueryKind::Count => counts[0] += 1,
            QueryKind::Histogram => {
                if let Some(i) = query.edges.windows(2).position(|w| w[0] <= *v && *v < w[1]) {
                    counts[i] += 1;
                }
            }
        }
    }
    counts
}

/// The counts with OpenDP's discrete Laplace noise at scale
/// `1000 / epsilon_milli`, checked through OpenDP's own privacy map to cost
/// at most `epsilon_milli` for an L1 distance of 1.
pub fn noisy(counts: &[i64], epsilon_milli: u64) -> Result<Vec<i64>, NoiseError> {
    let noise = |e: opendp::error::Error| NoiseError(e.to_string());
    let scale = 1000.0 / epsilon_milli as f64;
    let m = make_laplace(
        VectorDomain::new(AtomDomain::<i64>::default()),
        L1Distance::<i64>::default(),
        scale,
        None,
    )
    .map_err(noise)?;
    let spent = m.map(&1).map_err(noise)?;
    if spent > epsilon_milli as f64 / 1000.0 * (1.0 + 1e-9) {
        return Err(NoiseError(format!(
            "the mechanism costs epsilon {spent}, more than {}",
            epsilon_milli as f64 / 1000.0
        )));
    }
    m.invoke(&counts.to_vec()).map_err(noise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdx_sdk::program::state::StudyTerms;

    fn histogram(edges: &[f64]) -> StudyQuery {
        StudyQuery {
            code: "8867-4".into(),
            kind: QueryKind::Histogram,
            edges: edges.to_vec(),
            epsilon_milli: 500,
        }
    }

    #[test]
    fn queries_are_checked_at_their_bounds() {
        let ok = histogram(&[0.0, 60.0, 100.0]);
        assert_eq!(ok.check(), Ok(()));
        for (q, e) in [
            (
                StudyQuery {
                    code: String::new(),
                    ..ok.clone()
                },
                QueryError::Code,
            ),
            (
                StudyQuery {
                    code: "x".repeat(65),
                    ..ok.clone()
                },
                QueryError::Code,
            ),
            (histogram(&[1.0]), QueryError::Edges),
            (histogram(&[1.0, 1.0]), QueryError::Edges),
            (histogram(&[2.0, 1.0]), QueryError::Edges),
            (histogram(&[0.0, f64::NAN]), QueryError::Edges),
            (histogram(&[f64::NEG_INFINITY, 0.0]), QueryError::Edges),
            (
                histogram(&(0..=MAX_BINS + 1).map(|i| i as f64).collect::<Vec<_>>()),
                QueryError::Edges,
            ),
            (
                StudyQuery {
                    kind: QueryKind::Count,
                    ..ok.clone()
                },
                QueryError::CountWithEdges,
            ),
            (
                StudyQuery {
                    epsilon_milli: 0,
                    ..ok.clone()
                },
                QueryError::Epsilon,
            ),
            (
                StudyQuery {
                    epsilon_milli: 10_001,
                    ..ok.clone()
                },
                QueryError::Epsilon,
            ),
        ] {
            assert_eq!(q.check(), Err(e), "{q:?}");
        }
        assert_eq!(
            histogram(&(0..=MAX_BINS).map(|i| i as f64).collect::<Vec<_>>()).check(),
            Ok(())
        );
    }

    #[test]
    fn observation_values_are_read_only_from_an_observation_with_the_code() {
        let obs = br#"{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72.5},"effectiveDateTime":"2026-01-02"}"#;
        assert_eq!(
            observation_value(obs, "8867-4"),
            Some((72.5, Some("2026-01-02".into())))
        );
        assert_eq!(observation_value(obs, "8310-5"), None);
        assert_eq!(
            observation_value(br#"{"resourceType":"Patient","code":{"coding":[{"code":"8867-4"}]},"valueInteger":3}"#, "8867-4"),
            None
        );
        assert_eq!(
            observation_value(br#"{"resourceType":"Observation","code":{"coding":[{"code":"8867-4"}]},"valueInteger":3}"#, "8867-4"),
            Some((3.0, None))
        );
        assert_eq!(observation_value(b"not json", "8867-4"), None);
        assert_eq!(
            observation_value(
                br#"{"resourceType":"Observation","code":{"coding":[{"code":"8867-4"}]}}"#,
                "8867-4"
            ),
            None
        );
    }

    #[test]
    fn exact_counts_fall_in_half_open_bins() {
        let q = histogram(&[0.0, 60.0, 100.0]);
        let values = [
            Some(0.0),
            Some(59.99),
            Some(60.0),
            Some(99.9),
            Some(100.0),
            Some(-1.0),
            None,
        ];
        assert_eq!(exact(&q, &values), vec![2, 2]);
        let count = StudyQuery {
            kind: QueryKind::Count,
            edges: vec![],
            ..q
        };
        assert_eq!(exact(&count, &values), vec![6]);
        assert_eq!(exact(&count, &[]), vec![0]);
    }

    #[test]
    fn the_cohort_is_the_active_enrolments_in_time_sorted_and_its_hash_names_them() {
        let study_key = Pubkey::new_unique();
        let terms = StudyTerms {
            custodian: Pubkey::new_unique(),
            duo: 1,
            disease: 0,
            categories: 0b11,
            from_day: 0,
            to_day: 0,
            min_cohort: 5,
            irb_commitment: [0; 32],
            epsilon_milli: 1_000,
            enrollment_closes_at: 100,
            use_until: 0,
        };
        let study = Study::new(Pubkey::new_unique(), 0, 255, terms, 0);
        let enrol = |active: bool, until: i64, categories: u16| Enrollment {
            study: study_key,
            patient: Pubkey::new_unique(),
            active,
            version: 1,
            bump: 255,
            categories,
            revision: 1,
            joined_at: 0,
            until,
            withdrawn_at: 0,
            reserved: [0; 16],
        };
        let all = vec![
            enrol(true, 100, 0b01),
            enrol(false, 100, 0b01), // withdrawn
            enrol(true, 50, 0b01),   // ended at 50
            enrol(true, 51, 0b10),   // in until 51
            enrol(true, 100, 0b100), // none of the study's categories
        ];
        let members = cohort(&study, &all, 50);
        let mut expected = vec![(all[0].patient, 0b01), (all[3].patient, 0b10)];
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(members, expected);
        let ids: Vec<Pubkey> = members.iter().map(|(id, _)| *id).collect();
        let h = cohort_hash(&study_key, &ids);
        assert_ne!(h, cohort_hash(&study_key, &ids[..1]), "one member fewer");
        assert_ne!(h, cohort_hash(&Pubkey::new_unique(), &ids), "another study");
    }

    /// The discrete Laplace pmf at scale `s`: `(1-p)/(1+p) p^|k|`, `p = e^(-1/s)`.
    fn pmf(k: i64, scale: f64) -> f64 {
        let p = (-1.0 / scale).exp();
        (1.0 - p) / (1.0 + p) * p.powi(k.unsigned_abs() as i32)
    }

    /// 2,000 draws at epsilon 0.5 (scale 2), counted in 13 bins (each of
    /// -5..=5, and both tails), against the configured distribution: the
    /// chi-square statistic stays under the 0.1% critical value for 12
    /// degrees of freedom (32.909), so a correct sampler fails one run in
    /// a thousand.
    #[test]
    fn two_thousand_noise_draws_pass_a_chi_square_test_against_the_configured_distribution() {
        const DRAWS: usize = 2_000;
        const CRITICAL_12_DF_0_001: f64 = 32.909;
        let epsilon_milli = 500;
        let scale = 1000.0 / epsilon_milli as f64;
        let draws = noisy(&vec![0; DRAWS], epsilon_milli).unwrap();
        let bin = |k: i64| (k.clamp(-6, 6) + 6) as usize;
        let mut observed = [0f64; 13];
        for k in &draws {
            observed[bin(*k)] += 1.0;
        }
        let mut expected = [0f64; 13];
        for (k, e) in expected
            .iter_mut()
            .enumerate()
            .map(|(i, e)| (i as i64 - 6, e))
        {
            *e = if k.abs() < 6 {
                pmf(k, scale)
            } else {
                // One tail: sum over |j| >= 6 on that side.
                let p = (-1.0 / scale).exp();
                (1.0 - p) / (1.0 + p) * p.powi(6) / (1.0 - p)
            } * DRAWS as f64;
        }
        let total: f64 = expected.iter().sum();
        assert!(
            (total - DRAWS as f64).abs() < 1e-6,
            "the bins cover the distribution: {total}"
        );
        assert!(
            expected.iter().all(|e| *e >= 5.0),
            "every bin expects at least 5: {expected:?}"
        );
        let chi2: f64 = observed
            .iter()
            .zip(&expected)
            .map(|(o, e)| (o - e).powi(2) / e)
            .sum();
        assert!(
            chi2 < CRITICAL_12_DF_0_001,
            "chi-square {chi2:.2} >= {CRITICAL_12_DF_0_001}: observed {observed:?}, expected {expected:?}"
        );
        // And the noise is there: not every draw is 0.
        assert!(draws.iter().filter(|k| **k != 0).count() > DRAWS / 2);
    }
}
