//! `hdx study`: research studies. A researcher creates one, the registry
//! authority approves it, patients enrol and withdraw, anyone reads it and
//! verifies its release log.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::{Category, DuoTerm};
use hdx_sdk::program::state::{Study, StudyRelease};
use serde_json::{json, Value};

use crate::commands::args::{parse_category, parse_when, usage};
pub use crate::commands::output::hex;
use crate::commands::Session;
use hdx_sdk::export::rfc3339;

pub mod address;
pub mod approve;
pub mod close;
pub mod create;
pub mod enroll;
pub mod log;
pub mod query;
pub mod show;
pub mod withdraw;

crate::commands::group! {
    /// Research studies: create (researcher), approve (registry authority), close; enroll and withdraw (patient, guardian); query (sponsor, at the custodian gateway); show, log (the release log, verified), address
    pub enum StudyCmd {
        Create(create::Create),
        Approve(approve::Approve),
        Close(close::Close),
        Enroll(enroll::Enroll),
        Withdraw(withdraw::Withdraw),
        Query(query::Query),
        Show(show::Show),
        Address(address::Address),
        Log(log::Log),
    }
}

/// What a patient lets a study use, and until when.
#[derive(clap::Args, Debug)]
pub struct EnrollTerms {
    /// Categories the study may use, comma-separated (some of the study's) [default: all of the study's]
    #[arg(long, value_delimiter = ',', value_parser = parse_category)]
    categories: Vec<Category>,
    /// When the enrolment ends (at most 10 years ahead): a duration (365d), RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    until: String,
}

impl EnrollTerms {
    /// The category mask and end, checked against `study` before anything is sent.
    pub fn resolve(&self, study: &Study, now: i64) -> anyhow::Result<(u16, i64)> {
        let categories = match self.categories.is_empty() {
            true => study.terms.categories,
            false => self.categories.iter().fold(0, |m, c| m | c.bit()),
        };
        let outside = categories & !study.terms.categories;
        if outside != 0 {
            usage!(
                "the study does not use {}: it uses {}",
                names(outside),
                names(study.terms.categories)
            );
        }
        let until = parse_when(&self.until, now, true)?;
        if until <= now {
            usage!("--until must be ahead: {} is past", rfc3339(until));
        }
        Ok((categories, until))
    }
}

pub use hdx_sdk::export::category_names as names;

/// DUO terms of a mask, as `HMB (DUO:0000006)`.
pub fn duo_terms(mask: u16) -> Vec<String> {
    DuoTerm::ALL
        .iter()
        .filter(|t| mask & t.bit() != 0)
        .map(|t| format!("{} ({})", t.shorthand(), t.duo_id()))
        .collect()
}

/// The study at `address`, or an error naming it.
pub fn study_at(s: &Session, address: &Pubkey) -> anyhow::Result<Study> {
    s.client()?
        .study(address)?
        .ok_or_else(|| anyhow::anyhow!("no study at {address}"))
}

pub fn study_json(address: &Pubkey, st: &Study) -> Value {
    let t = &st.terms;
    json!({
        "study": address.to_string(),
        "sponsor": st.sponsor.to_string(),
        "number": st.number,
        "custodian": st.custodian.to_string(),
        "status": st.status.name(),
        "duo": duo_terms(t.duo),
        "disease": (t.disease != 0).then_some(t.disease),
        "categories": names(t.categories).split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "from_day": t.from_day,
        "to_day": t.to_day,
        "min_cohort": t.min_cohort,
        "irb_commitment": hex(&t.irb_commitment),
        "epsilon_milli": t.epsilon_milli,
        "epsilon_spent_milli": st.epsilon_spent_milli,
        "enrollment_closes_at": rfc3339(t.enrollment_closes_at),
        "use_until": (t.use_until != 0).then(|| rfc3339(t.use_until)),
        "enrolled": st.enrolled,
        "releases": st.releases,
        "created_at": rfc3339(st.created_at),
        "approved_at": (st.approved_at != 0).then(|| rfc3339(st.approved_at)),
        "closed_at": (st.closed_at != 0).then(|| rfc3339(st.closed_at)),
        "log_head": hex(&st.log_head),
    })
}

pub fn release_json(r: &StudyRelease) -> Value {
    json!({
        "index": r.index,
        "at": rfc3339(r.at),
        "query_hash": hex(&r.facts.query_hash),
        "epsilon_milli": r.facts.epsilon_milli,
        "cohort_size": r.facts.cohort_size,
        "cohort_hash": hex(&r.facts.cohort_hash),
        "cohort_slot": r.facts.cohort_slot,
        "head": hex(&r.head),
    })
}

/// Milli-epsilon as epsilon: `1250` is `1.25`.
pub fn epsilon(milli: u64) -> String {
    format!("{}.{:03}", milli / 1000, milli % 1000)
}
