//! `hdx study create`: a verified researcher creates a study.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::{Category, DuoTerm, MAX_STUDY_EPSILON_MILLI, MIN_STUDY_COHORT};
use hdx_sdk::ix;
use hdx_sdk::program::state::StudyTerms;

use super::{epsilon, study_json};
use crate::commands::args::{
    parse_category, parse_day, parse_hash, parse_pubkey, parse_u32, parse_when, usage,
};
use crate::commands::{Output, Run, Session};

/// Create a research study (a verified researcher; proposed until the registry authority approves it)
#[derive(clap::Args, Debug)]
pub struct Create {
    /// The study's number among yours (its address's last seed)
    #[arg(value_parser = parse_u32)]
    number: u32,
    /// The custodian that answers the study's queries (a gateway's key)
    #[arg(long, value_parser = parse_pubkey)]
    custodian: Pubkey,
    /// DUO terms, comma-separated: one of gru, hmb, ds; any of irb, pub, npuncu, ts (names or DUO ids)
    #[arg(long, value_delimiter = ',', value_parser = parse_duo, required = true)]
    duo: Vec<DuoTerm>,
    /// The disease studied, a MONDO number (with ds only)
    #[arg(long, value_parser = parse_u32)]
    disease: Option<u32>,
    /// Categories the study may use, comma-separated
    #[arg(long, value_delimiter = ',', value_parser = parse_category, required = true)]
    categories: Vec<Category>,
    /// Only records whose clinical date is on or after this day (YYYY-MM-DD); with --data-to
    #[arg(long, value_name = "DATE", value_parser = parse_day, requires = "data_to")]
    data_from: Option<u32>,
    /// Only records whose clinical date is on or before this day (YYYY-MM-DD); with --data-from
    #[arg(long, value_name = "DATE", value_parser = parse_day, requires = "data_from")]
    data_to: Option<u32>,
    /// No answer describes fewer patients than this (at least 5)
    #[arg(long, value_parser = parse_u32, default_value_t = MIN_STUDY_COHORT)]
    min_cohort: u32,
    /// The privacy budget, epsilon (up to 3 decimals, at most 10)
    #[arg(long, value_parser = parse_epsilon, allow_hyphen_values = true)]
    epsilon: u64,
    /// When enrolment closes: a duration (90d), RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    enrollment_closes: String,
    /// With the ts term: when use ends (no release from then on)
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    use_until: Option<String>,
    /// The IRB approval's commitment: SHA-256 (hex) of the approval document and a salt (required with irb)
    #[arg(long, value_name = "HEX", value_parser = parse_hash)]
    irb_commitment: Option<[u8; 32]>,
}

/// A DUO term by name (`hmb`, `health-medical-biomedical`) or id (`DUO:0000006`).
pub fn parse_duo(s: &str) -> Result<DuoTerm, String> {
    DuoTerm::ALL
        .iter()
        .copied()
        .find(|t| {
            s.eq_ignore_ascii_case(t.shorthand())
                || s.eq_ignore_ascii_case(t.name())
                || s.eq_ignore_ascii_case(t.duo_id())
        })
        .ok_or_else(|| {
            format!(
                "unknown DUO term {s:?}: use one of {}",
                DuoTerm::ALL
                    .iter()
                    .map(|t| t.shorthand().to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Epsilon with up to three decimals (`0.5`, `1.25`), as milli-epsilon, 0.001 to 10.
pub fn parse_epsilon(s: &str) -> Result<u64, String> {
    let bad =
        || format!("invalid epsilon {s:?}: a number from 0.001 to 10 with at most 3 decimals");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 3
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac: u64 = format!("{frac:0<3}").parse().map_err(|_| bad())?;
    let milli = whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)?;
    if !(1..=MAX_STUDY_EPSILON_MILLI).contains(&milli) {
        return Err(bad());
    }
    Ok(milli)
}

impl Run for Create {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let me = s.pubkey()?;
        let now = s.now()?;
        let sponsor = s.provider_named(&me)?;
        let duo = self.duo.iter().fold(0, |m, t| m | t.bit());
        let limited = duo & DuoTerm::TimeLimit.bit() != 0;
        let use_until = match (&self.use_until, limited) {
            (Some(w), true) => parse_when(w, now, true)?,
            (None, false) => 0,
            (None, true) => usage!("the ts (time limit) term needs --use-until"),
            (Some(_), false) => usage!("--use-until needs the ts (time limit) term in --duo"),
        };
        let terms = StudyTerms {
            custodian: self.custodian,
            duo,
            disease: self.disease.unwrap_or(0),
            categories: self.categories.iter().fold(0, |m, c| m | c.bit()),
            from_day: self.data_from.unwrap_or(0),
            to_day: self.data_to.unwrap_or(0),
            min_cohort: self.min_cohort,
            irb_commitment: self.irb_commitment.unwrap_or([0; 32]),
            epsilon_milli: self.epsilon,
            enrollment_closes_at: parse_when(&self.enrollment_closes, now, true)?,
            use_until,
        };
        let sig = s.send(&[ix::create_study(me, &sponsor.id, self.number, terms)])?;
        let address = hdx_sdk::pda::study(&sponsor.id, self.number).0;
        let study = super::study_at(s, &address)?;
        let mut json = study_json(&address, &study);
        json["signature"] = sig.to_string().into();
        Ok(Output::new(
            json,
            format!(
                "Created study {address} (number {}, proposed: the registry authority approves it), budget epsilon {}\nsignature: {sig}",
                self.number,
                epsilon(self.epsilon)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsilon_is_read_exactly_in_milli_epsilon_at_every_bound() {
        for (s, milli) in [
            ("0.001", 1),
            (".5", 500),
            ("1", 1_000),
            ("1.25", 1_250),
            ("9.999", 9_999),
            ("10", 10_000),
            ("10.000", 10_000),
        ] {
            assert_eq!(parse_epsilon(s), Ok(milli), "{s}");
        }
        for s in [
            "",
            ".",
            "0",
            "0.000",
            "10.001",
            "11",
            "1.2345",
            "-1",
            "1e3",
            "1,5",
            " 1",
            "NaN",
            "99999999999999999999",
        ] {
            assert!(parse_epsilon(s).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn duo_terms_are_read_by_shorthand_name_or_id() {
        assert_eq!(parse_duo("hmb"), Ok(DuoTerm::HealthMedicalBiomedical));
        assert_eq!(parse_duo("DUO:0000042"), Ok(DuoTerm::GeneralResearchUse));
        assert_eq!(parse_duo("time-limit"), Ok(DuoTerm::TimeLimit));
        assert!(parse_duo("DUO:0000004")
            .unwrap_err()
            .contains("gru, hmb, ds"));
    }
}
