//! `hdx consent`: the patient grants, updates and revokes; anyone renews
//! (within the patient's policy), lists and reads the history.

use hdx_sdk::codes::{Category, Purpose, MODE_READ, MODE_WRITE};
use hdx_sdk::export::{actor_code, day_date, rfc3339};
use hdx_sdk::history::ConsentVersion;
use hdx_sdk::program::state::{Consent, MAX_CONSENT_DURATION_SECS};
use hdx_sdk::program::ConsentTerms;
use serde_json::{json, Value};

use crate::commands::args::{
    parse_category, parse_day, parse_mode, parse_purpose, parse_u16, parse_u32, parse_when, usage,
};
use crate::commands::output::count;

pub mod grant;
pub mod history;
pub mod list;
pub mod renew;
pub mod renew_due;
pub mod revoke;
pub mod update;

crate::commands::group! {
    /// A patient's consents: grant, update, revoke (patient); renew, renew-due (anyone, within the policy); history, list
    pub enum ConsentCmd {
        Grant(grant::Grant),
        Update(update::Update),
        Revoke(revoke::Revoke),
        Renew(renew::Renew),
        RenewDue(renew_due::RenewDue),
        History(history::History),
        List(list::List),
    }
}

#[derive(clap::Args, Debug)]
pub struct TermsArgs {
    /// Categories, comma-separated (lab-results, imaging, medications, ...)
    #[arg(long, value_delimiter = ',', value_parser = parse_category)]
    categories: Vec<Category>,
    /// Access modes, comma-separated: read, write
    #[arg(long, value_delimiter = ',', value_parser = parse_mode)]
    modes: Vec<u8>,
    /// Purposes of use, comma-separated, by name or HL7 code (treatment or TREAT, ...)
    #[arg(long, value_delimiter = ',', value_parser = parse_purpose)]
    purposes: Vec<Purpose>,
    /// When it starts: a duration from now (2h), RFC 3339, YYYY-MM-DD or unix seconds [grant default: now]
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    not_before: Option<String>,
    /// When it ends (at most 10 years ahead): a duration from now (30d), RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    expires: Option<String>,
    /// At most this many granted accesses (reads and writes); 0 = no cap
    #[arg(long, value_name = "N", value_parser = parse_u32, allow_hyphen_values = true)]
    max_accesses: Option<u32>,
    /// Only records whose clinical date is on or after this day (YYYY-MM-DD); with --data-to
    #[arg(long, value_name = "DATE", value_parser = parse_day, requires = "data_to")]
    data_from: Option<u32>,
    /// Only records whose clinical date is on or before this day (YYYY-MM-DD); with --data-from
    #[arg(long, value_name = "DATE", value_parser = parse_day, requires = "data_from")]
    data_to: Option<u32>,
    /// Update: drop the date range
    #[arg(long, conflicts_with_all = ["data_from", "data_to"])]
    no_data_range: bool,
    /// Renewal policy: each renewal extends the expiry by this duration (30d); with --renewals
    #[arg(
        long,
        value_name = "DURATION",
        requires = "renewals",
        allow_hyphen_values = true
    )]
    renew_every: Option<String>,
    /// Renewal policy: how many renewals are allowed; 0 drops the policy
    #[arg(long, value_name = "N", value_parser = parse_u16, allow_hyphen_values = true)]
    renewals: Option<u16>,
}

impl TermsArgs {
    /// The terms to send: given flags over `current` (update) or required
    /// (grant), then checked by the program's own rule
    /// (`ConsentTerms::validate`), its refusal explained by flag.
    pub(crate) fn resolve(
        &self,
        current: Option<&Consent>,
        now: i64,
    ) -> anyhow::Result<ConsentTerms> {
        let base = current.map(|c| c.terms);
        let categories = match (self.categories.is_empty(), &base) {
            (false, _) => self.categories.iter().fold(0, |m, c| m | c.bit()),
            (true, Some(c)) => c.categories,
            (true, None) => usage!("--categories is required to grant (the consent's full terms)"),
        };
        let modes = match (self.modes.is_empty(), &base) {
            (false, _) => self.modes.iter().fold(0, |m, b| m | b),
            (true, Some(c)) => c.modes,
            (true, None) => usage!("--modes is required to grant (the consent's full terms)"),
        };
        let purposes = match (self.purposes.is_empty(), &base) {
            (false, _) => self.purposes.iter().fold(0, |m, p| m | p.bit()),
            (true, Some(c)) => c.purposes,
            (true, None) => usage!("--purposes is required to grant (the consent's full terms)"),
        };
        let not_before = match (&self.not_before, &base) {
            (Some(s), _) => parse_when(s, now, true)?,
            (None, Some(c)) => c.not_before,
            (None, None) => now,
        };
        let expires_at = match (&self.expires, &base) {
            (Some(s), _) => parse_when(s, now, true)?,
            (None, Some(c)) => c.expires_at,
            (None, None) => usage!("--expires is required to grant (the consent's full terms)"),
        };
        let access_limit = self
            .max_accesses
            .or(base.map(|c| c.access_limit))
            .unwrap_or(0);
        let (from_day, to_day) = match (self.data_from, self.data_to, self.no_data_range) {
            (Some(from), Some(to), _) => (from, to),
            (_, _, true) => (0, 0),
            _ => base.map_or((0, 0), |c| (c.from_day, c.to_day)),
        };
        let (renewal_period_secs, renewals_allowed) = match (&self.renew_every, self.renewals) {
            (_, Some(0)) => (0, 0),
            (Some(every), Some(n)) => {
                let secs = hdx::cluster::parse_duration(every)?;
                anyhow::ensure!(
                    secs > 0 && secs <= MAX_CONSENT_DURATION_SECS,
                    "--renew-every {every} must be positive and at most 10 years"
                );
                (secs as u32, n)
            }
            (None, Some(n)) => match base {
                Some(c) if c.renewal_period_secs != 0 => (c.renewal_period_secs, n),
                _ => usage!("--renewals needs --renew-every (the renewal period)"),
            },
            (_, None) => base.map_or((0, 0), |c| (c.renewal_period_secs, c.renewals_allowed)),
        };
        let terms = ConsentTerms {
            categories,
            modes,
            purposes,
            not_before,
            expires_at,
            access_limit,
            from_day,
            to_day,
            renewal_period_secs,
            renewals_allowed,
        };
        terms
            .validate(now)
            .map_err(|e| anyhow::anyhow!(explain_terms(&e, &terms, now)))?;
        Ok(terms)
    }
}

/// The program's refusal of `terms` (`ConsentTerms::validate`), said by flag.
fn explain_terms(e: &anchor_lang::error::Error, t: &ConsentTerms, now: i64) -> String {
    use hdx_sdk::program::error::HdxError as E;
    let code = match e {
        anchor_lang::error::Error::AnchorError(a) => a.error_code_number,
        anchor_lang::error::Error::ProgramError(_) => u32::MAX,
    };
    let is = |h: E| code == u32::from(h);
    // An expiry in the past is the mistake to name, whatever the start.
    if is(E::ExpiryInPast) || (is(E::InvalidValidityWindow) && t.expires_at <= now) {
        format!(
            "the expiry {} is in the past (the cluster's time is {})",
            rfc3339(t.expires_at),
            rfc3339(now)
        )
    } else if is(E::InvalidValidityWindow) {
        format!(
            "the expiry {} is not after the start {}",
            rfc3339(t.expires_at),
            rfc3339(t.not_before)
        )
    } else if is(E::ExpiryTooFar) {
        format!(
            "the expiry {} is more than 10 years ahead (the longest a consent may run)",
            rfc3339(t.expires_at)
        )
    } else if is(E::InvalidDateRange) {
        format!(
            "--data-from {} is after --data-to {}",
            day_date(t.from_day),
            day_date(t.to_day)
        )
    } else if is(E::TimeOutOfRange) {
        format!(
            "a time is outside what the program keeps (1970 to 2106): --not-before {}, --expires {}",
            rfc3339(t.not_before),
            rfc3339(t.expires_at)
        )
    } else {
        format!("the terms are refused: {e}")
    }
}

pub fn bits<T: Copy>(
    all: &[T],
    mask: u16,
    bit: fn(T) -> u16,
    name: fn(T) -> &'static str,
) -> Vec<&'static str> {
    all.iter()
        .filter(|x| mask & bit(**x) != 0)
        .map(|x| name(*x))
        .collect()
}

pub fn modes(mask: u8) -> Vec<&'static str> {
    [(MODE_READ, "read"), (MODE_WRITE, "write")]
        .iter()
        .filter(|(b, _)| mask & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// A consent's state at `now`, by the program's own rules.
pub fn state(c: &Consent, now: i64) -> &'static str {
    if c.terms.is_live(now) {
        if c.cap_reached() {
            "cap reached"
        } else {
            "live"
        }
    } else if now < c.terms.not_before {
        "not yet valid"
    } else {
        "expired"
    }
}

pub fn consent_json(c: &Consent, now: i64) -> Value {
    json!({
        "patient": c.patient.to_string(),
        "provider": c.provider.to_string(),
        "revision": c.revision,
        "categories": bits(Category::ALL, c.terms.categories, Category::bit, Category::name),
        "modes": modes(c.terms.modes),
        "purposes": bits(Purpose::ALL, u16::from(c.terms.purposes), |p| u16::from(p.bit()), Purpose::name),
        "not_before": rfc3339(c.terms.not_before),
        "expires_at": rfc3339(c.terms.expires_at),
        "state": state(c, now),
        "max_accesses": (c.terms.access_limit != 0).then_some(c.terms.access_limit),
        "accesses_used": c.accesses_used,
        "data_from": (c.terms.from_day != 0).then(|| day_date(c.terms.from_day)),
        "data_to": (c.terms.to_day != 0).then(|| day_date(c.terms.to_day)),
        "renew_every_secs": (c.terms.renewal_period_secs != 0).then_some(c.terms.renewal_period_secs),
        "renewals_left": c.terms.renewals_allowed.saturating_sub(c.renewals_used),
        "renewals_used": c.renewals_used,
        "granted_at": rfc3339(c.granted_at),
        "updated_at": rfc3339(c.updated_at),
    })
}

/// One consent version as `consent history` prints it.
pub fn version_json(v: &ConsentVersion, now: i64) -> Value {
    let t = &v.terms;
    json!({
        "patient": v.patient.to_string(),
        "provider": v.provider.to_string(),
        "revision": v.revision,
        "origin": v.origin,
        "by": actor_code(v.actor),
        "signer": v.signer.to_string(),
        "proposal": v.proposal,
        "approvers": v.approvers.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "since": rfc3339(v.since),
        "ended": v.ended.map(|(at, _)| rfc3339(at)),
        "ending": v.ended.map(|(_, how)| how),
        "status": if v.is_active(now) { "active" } else { "inactive" },
        "categories": bits(Category::ALL, t.categories, Category::bit, Category::name),
        "modes": modes(t.modes),
        "purposes": bits(Purpose::ALL, u16::from(t.purposes), |p| u16::from(p.bit()), Purpose::name),
        "not_before": rfc3339(t.not_before),
        "expires_at": rfc3339(t.expires_at),
        "max_accesses": (t.access_limit != 0).then_some(t.access_limit),
        "data_from": (t.from_day != 0).then(|| day_date(t.from_day)),
        "data_to": (t.to_day != 0).then(|| day_date(t.to_day)),
        "renew_every_secs": (t.renewal_period_secs != 0).then_some(t.renewal_period_secs),
        "renewals_allowed": t.renewals_allowed,
        "signature": v.signature.to_string(),
    })
}

/// The cap, date range and renewals of a consent, in a few words.
pub fn limits(c: &Consent) -> String {
    let mut parts = Vec::new();
    if c.terms.access_limit != 0 {
        parts.push(format!(
            "{}/{} accesses",
            c.accesses_used, c.terms.access_limit
        ));
    }
    if c.terms.from_day != 0 {
        parts.push(format!(
            "data {}..{}",
            day_date(c.terms.from_day),
            day_date(c.terms.to_day)
        ));
    }
    if c.terms.renewal_period_secs != 0 {
        parts.push(format!(
            "{} left",
            count(
                c.terms.renewals_allowed.saturating_sub(c.renewals_used),
                "renewal",
                "renewals"
            )
        ));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}
