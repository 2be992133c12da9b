//! A study's answers (docs/DESIGN.md, "Research studies"): the cohort read
//! at one slot, the exact counts over its members' FHIR Observations (one
//! value per patient, so adding or removing a patient moves one count by
//! one: L1 sensitivity 1), and OpenDP's discrete Laplace noise added to
//! them, at scale 1/epsilon. The noise is drawn only after the release is
//! recorded on-chain; the exact counts never leave this module's caller.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::program::state::{Enrollment, Study};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::metrics::L1Distance;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Domain tag of a cohort's hash.
pub const COHORT_TAG: &[u8] = b"hdx-cohort-v1";
/// The most bins a histogram may ask for.
pub const MAX_BINS: usize = 64;

/// What a sponsor asks: how many cohort members have an Observation with
/// `code`, or how their values fall into the bins `edges` make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyQuery {
    /// The Observation's code (`Observation.code.coding[].code`, e.g. LOINC `8867-4`).
    pub code: String,
    /// `count` or `histogram`.
    pub kind: QueryKind,
    /// For a histogram: increasing bin edges; bin i is `[edges[i], edges[i+1])`.
    #[serde(default)]
    pub edges: Vec<f64>,
    /// The epsilon this answer spends, in milli-epsilon.
    pub epsilon_milli: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryKind {
    Count,
    Histogram,
}

/// A query that cannot be answered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query names no Observation code (1 to 64 characters)")]
    Code,
    #[error("a histogram needs 2 to {} increasing, finite bin edges", MAX_BINS + 1)]
    Edges,
    #[error("a count takes no bin edges")]
    CountWithEdges,
    #[error("epsilon must be 1 to 10000 milli-epsilon")]
    Epsilon,
    #[error("the noise could not be drawn: {0}")]
    Noise(String),
}

impl StudyQuery {
    pub fn check(&self) -> Result<(), QueryError> {
        if self.code.is_empty() || self.code.len() > 64 || self.code.chars().any(char::is_control) {
            return Err(QueryError::Code);
        }
        match self.kind {
            QueryKind::Count if !self.edges.is_empty() => return Err(QueryError::CountWithEdges),
            QueryKind::Count => {}
            QueryKind::Histogram => {
                if self.edges.len() < 2
                    || self.edges.len() > MAX_BINS + 1
                    || self.edges.iter().any(|e| !e.is_finite())
                    || self.edges.windows(2).any(|w| w[0] >= w[1])
                {
                    return Err(QueryError::Edges);
                }
            }
        }
        if !(1..=hdx_sdk::codes::MAX_STUDY_EPSILON_MILLI).contains(&self.epsilon_milli) {
            return Err(QueryError::Epsilon);
        }
        Ok(())
    }

    /// The counts' length: 1 for a count, one per bin for a histogram.
    pub fn bins(&self) -> usize {
        match self.kind {
            QueryKind::Count => 1,
            QueryKind::Histogram => self.edges.len() - 1,
        }
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
pub fn noisy(counts: &[i64], epsilon_milli: u64) -> Result<Vec<i64>, QueryError> {
    let noise = |e: opendp::error::Error| QueryError::Noise(e.to_string());
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
        return Err(QueryError::Noise(format!(
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
