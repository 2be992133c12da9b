//! `hdx consent`: the patient grants, updates and revokes; anyone renews
//! (within the patient's policy) and lists.

use anchor_lang::prelude::Pubkey;
use clap::{Args, Subcommand};
use hdx_sdk::codes::{Category, ProviderStatus, Purpose, MODE_READ, MODE_WRITE};
use hdx_sdk::export::{day_date, rfc3339};
use hdx_sdk::history::{self, ConsentVersion};
use hdx_sdk::ix;
use hdx_sdk::program::state::{Consent, MAX_CONSENT_DURATION_SECS};
use hdx_sdk::program::ConsentTerms;
use hdx_sdk::transport::Transport;
use serde_json::{json, Value};

use super::{
    parse_category, parse_day, parse_mode, parse_pubkey, parse_purpose, parse_when, provider_named,
    table, Ctx, Output,
};

#[derive(Args, Debug)]
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
    #[arg(long, value_name = "WHEN")]
    not_before: Option<String>,
    /// When it ends (at most 10 years ahead): a duration from now (30d), RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN")]
    expires: Option<String>,
    /// At most this many granted accesses (reads and writes); 0 = no cap
    #[arg(long, value_name = "N")]
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
    #[arg(long, value_name = "DURATION", requires = "renewals")]
    renew_every: Option<String>,
    /// Renewal policy: how many renewals are allowed; 0 drops the policy
    #[arg(long, value_name = "N")]
    renewals: Option<u16>,
}

#[derive(Subcommand, Debug)]
pub enum ConsentCmd {
    /// Grant a provider access (you are the patient's authority)
    Grant {
        /// The provider: its id or current key
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// Change a live consent's terms; flags not given keep their current value
    Update {
        /// The provider: its id or current key
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// Revoke a consent (takes effect in the next transaction; rent comes back to you)
    Revoke {
        /// The provider: its id or current key
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// Renew a consent by one period of its renewal policy (anyone may; due in
    /// the last tenth of its window)
    Renew {
        /// The patient's id
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        /// The provider: its id or current key
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
    },
    /// (provider, for a cron job) Renew every consent you hold that is due:
    /// in the last tenth of its window, not expired, with renewals left
    RenewDue {
        /// List what is due without sending anything
        #[arg(long)]
        dry_run: bool,
    },
    /// Every version each consent of a patient has had (granted, updated,
    /// renewed; how it ended), from the program's events
    History {
        /// The patient's id [default: the one the keypair controls]
        #[arg(value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
        /// Only this provider's consent: its id or current key
        #[arg(long, value_parser = parse_pubkey)]
        provider: Option<Pubkey>,
    },
    /// List live consents [default: the keypair's patient's]
    List {
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
        /// The provider: its id or current key
        #[arg(long, value_parser = parse_pubkey)]
        provider: Option<Pubkey>,
    },
}

impl ConsentCmd {
    /// Whether it sends a transaction (and so may create an embedded ledger).
    pub fn sends(&self) -> bool {
        !matches!(
            self,
            ConsentCmd::History { .. }
                | ConsentCmd::List { .. }
                | ConsentCmd::RenewDue { dry_run: true }
        )
    }
}

fn bits<T: Copy>(
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

fn modes(mask: u8) -> Vec<&'static str> {
    [(MODE_READ, "read"), (MODE_WRITE, "write")]
        .iter()
        .filter(|(b, _)| mask & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

fn state(c: &Consent, now: i64) -> &'static str {
    if now < c.terms.not_before {
        "not yet valid"
    } else if now >= c.terms.expires_at {
        "expired"
    } else if c.cap_reached() {
        "cap reached"
    } else {
        "live"
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

impl TermsArgs {
    /// The terms to send: given flags over `current` (update) or required (grant).
    pub(crate) fn resolve(
        &self,
        current: Option<&Consent>,
        now: i64,
    ) -> anyhow::Result<ConsentTerms> {
        let base = current.map(|c| c.terms);
        let categories = match (self.categories.is_empty(), &base) {
            (false, _) => self.categories.iter().fold(0, |m, c| m | c.bit()),
            (true, Some(c)) => c.categories,
            (true, None) => anyhow::bail!("--categories is required"),
        };
        let modes = match (self.modes.is_empty(), &base) {
            (false, _) => self.modes.iter().fold(0, |m, b| m | b),
            (true, Some(c)) => c.modes,
            (true, None) => anyhow::bail!("--modes is required"),
        };
        let purposes = match (self.purposes.is_empty(), &base) {
            (false, _) => self.purposes.iter().fold(0, |m, p| m | p.bit()),
            (true, Some(c)) => c.purposes,
            (true, None) => anyhow::bail!("--purposes is required"),
        };
        let not_before = match (&self.not_before, &base) {
            (Some(s), _) => parse_when(s, now, true)?,
            (None, Some(c)) => c.not_before,
            (None, None) => now,
        };
        let expires_at = match (&self.expires, &base) {
            (Some(s), _) => parse_when(s, now, true)?,
            (None, Some(c)) => c.expires_at,
            (None, None) => anyhow::bail!("--expires is required"),
        };
        anyhow::ensure!(
            expires_at > now,
            "the expiry {} is in the past (the cluster's time is {})",
            rfc3339(expires_at),
            rfc3339(now)
        );
        anyhow::ensure!(
            expires_at > not_before,
            "the expiry {} is not after the start {}",
            rfc3339(expires_at),
            rfc3339(not_before)
        );
        anyhow::ensure!(
            expires_at - now <= MAX_CONSENT_DURATION_SECS,
            "the expiry {} is more than 10 years ahead (the longest a consent may run)",
            rfc3339(expires_at)
        );
        let access_limit = self
            .max_accesses
            .or(base.map(|c| c.access_limit))
            .unwrap_or(0);
        let (from_day, to_day) = match (self.data_from, self.data_to, self.no_data_range) {
            (Some(from), Some(to), _) => {
                anyhow::ensure!(
                    from <= to,
                    "--data-from {} is after --data-to {}",
                    day_date(from),
                    day_date(to)
                );
                (from, to)
            }
            (_, _, true) => (0, 0),
            _ => base.map_or((0, 0), |c| (c.from_day, c.to_day)),
        };
        let (renewal_period_secs, renewals_allowed) = match (&self.renew_every, self.renewals) {
            (_, Some(0)) => (0, 0),
            (Some(every), Some(n)) => {
                let secs = hdx::cluster::parse_duration(every)?;
                anyhow::ensure!(
                    secs > 0 && secs <= MAX_CONSENT_DURATION_SECS,
                    "--renew-every must be positive and at most 10 years"
                );
                (secs as u32, n)
            }
            (None, Some(n)) => match base {
                Some(c) if c.renewal_period_secs != 0 => (c.renewal_period_secs, n),
                _ => anyhow::bail!("--renewals needs --renew-every (the renewal period)"),
            },
            (_, None) => base.map_or((0, 0), |c| (c.renewal_period_secs, c.renewals_allowed)),
        };
        Ok(ConsentTerms {
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
        })
    }
}

pub fn run(ctx: &Ctx, cmd: ConsentCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    let now = client.transport.unix_time()?;
    match cmd {
        ConsentCmd::Grant {
            provider,
            terms,
            patient,
        } => {
            let terms = terms.resolve(None, now)?;
            let p = ctx.my_patient(&client, patient)?;
            let provider = provider_named(&client, &provider)?;
            anyhow::ensure!(
                client.consent(&p.id, &provider.id)?.is_none(),
                "you already have a live consent for {}: use `hdx consent update`",
                provider.id
            );
            let sig = ctx.send(
                &client,
                &[ix::grant_consent(p.authority, &p.id, &provider.id, terms)],
            )?;
            let c = client
                .consent(&p.id, &provider.id)?
                .ok_or_else(|| anyhow::anyhow!("the consent did not land"))?;
            let mut j = consent_json(&c, now);
            j["signature"] = json!(sig.to_string());
            // Valid, but unusable until the registry authority verifies the provider.
            if provider.status != ProviderStatus::Verified {
                let warning = format!(
                    "{} is {} (not verified): the consent is in place, but the provider cannot use it until the registry authority verifies it",
                    provider.id,
                    provider.status.name()
                );
                eprintln!("warning: {warning}");
                j["warning"] = json!(warning);
            }
            Ok(Output::new(
                j,
                format!(
                    "Granted {} until {}\nsignature: {sig}",
                    provider.id,
                    rfc3339(c.terms.expires_at)
                ),
            ))
        }
        ConsentCmd::Update {
            provider,
            terms,
            patient,
        } => {
            let p = ctx.my_patient(&client, patient)?;
            let provider = provider_named(&client, &provider)?;
            let current = client
                .consent(&p.id, &provider.id)?
                .ok_or_else(|| anyhow::anyhow!("you have no live consent for {}", provider.id))?;
            let terms = terms.resolve(Some(&current), now)?;
            let sig = ctx.send(
                &client,
                &[ix::update_consent(p.authority, &p.id, &provider.id, terms)],
            )?;
            let c = client
                .consent(&p.id, &provider.id)?
                .ok_or_else(|| anyhow::anyhow!("the consent disappeared"))?;
            let mut j = consent_json(&c, now);
            j["signature"] = json!(sig.to_string());
            Ok(Output::new(
                j,
                format!(
                    "Updated consent for {}: until {}\nsignature: {sig}",
                    provider.id,
                    rfc3339(c.terms.expires_at)
                ),
            ))
        }
        ConsentCmd::Revoke { provider, patient } => {
            let p = ctx.my_patient(&client, patient)?;
            let provider = provider_named(&client, &provider)?;
            anyhow::ensure!(
                client.consent(&p.id, &provider.id)?.is_some(),
                "you have no live consent for {}",
                provider.id
            );
            let sig = ctx.send(
                &client,
                &[ix::revoke_consent(p.authority, &p.id, &provider.id)],
            )?;
            Ok(Output::new(
                json!({ "revoked": provider.id.to_string(), "signature": sig.to_string() }),
                format!("Revoked consent for {}\nsignature: {sig}", provider.id),
            ))
        }
        ConsentCmd::RenewDue { dry_run } => {
            let provider = ctx.my_provider(&client)?;
            let held = client.consents(None, Some(&provider.id))?;
            let due: Vec<_> = held
                .iter()
                .filter(|c| {
                    c.terms.renewal_period_secs != 0
                        && c.renewals_used < c.terms.renewals_allowed
                        && now >= c.terms.renewal_opens_at().unwrap_or(i64::MAX)
                        && now < c.terms.expires_at
                })
                .collect();
            let mut rows = Vec::new();
            let mut lines = Vec::new();
            let mut failed = 0;
            for c in &due {
                if dry_run {
                    rows.push(json!({ "patient": c.patient.to_string(), "expires_at": rfc3339(c.terms.expires_at), "due": true }));
                    lines.push(format!(
                        "due: patient {} (expires {})",
                        c.patient,
                        rfc3339(c.terms.expires_at)
                    ));
                    continue;
                }
                // One failure (a patient revoking meanwhile) does not stop the others.
                match ctx.send(&client, &[ix::renew_consent(&c.patient, &provider.id)]) {
                    Ok(sig) => {
                        let until = c
                            .terms
                            .expires_at
                            .saturating_add(i64::from(c.terms.renewal_period_secs));
                        rows.push(json!({ "patient": c.patient.to_string(), "renewed_until": rfc3339(until), "renewals_left": c.terms.renewals_allowed - c.renewals_used - 1, "signature": sig.to_string() }));
                        lines.push(format!(
                            "renewed: patient {} until {} ({} renewals left)",
                            c.patient,
                            rfc3339(until),
                            c.terms.renewals_allowed - c.renewals_used - 1
                        ));
                    }
                    Err(e) => {
                        failed += 1;
                        rows.push(
                            json!({ "patient": c.patient.to_string(), "error": format!("{e:#}") }),
                        );
                        lines.push(format!("failed: patient {}: {e:#}", c.patient));
                    }
                }
            }
            lines.push(format!(
                "{} consent{} held, {} due{}",
                held.len(),
                if held.len() == 1 { "" } else { "s" },
                due.len(),
                if dry_run {
                    " (dry run: nothing sent)".to_string()
                } else {
                    format!(", {} renewed, {failed} failed", due.len() - failed)
                }
            ));
            anyhow::ensure!(
                failed == 0,
                "{failed} of {} due renewals failed:\n{}",
                due.len(),
                lines.join("\n")
            );
            Ok(Output::new(json!({ "due": rows }), lines.join("\n")))
        }
        ConsentCmd::Renew { patient, provider } => {
            let provider = provider_named(&client, &provider)?;
            let c = client.consent(&patient, &provider.id)?.ok_or_else(|| {
                anyhow::anyhow!("patient {patient} has no live consent for {}", provider.id)
            })?;
            anyhow::ensure!(
                c.terms.renewal_period_secs != 0,
                "the consent has no renewal policy"
            );
            anyhow::ensure!(
                c.renewals_used < c.terms.renewals_allowed,
                "the consent has used all {} renewals its policy allows",
                c.terms.renewals_allowed
            );
            anyhow::ensure!(
                now >= c.terms.renewal_opens_at().unwrap_or(i64::MAX),
                "renewal is not due until {} (the last tenth of the window)",
                rfc3339(c.terms.renewal_opens_at().unwrap_or(i64::MAX))
            );
            let sig = ctx.send(&client, &[ix::renew_consent(&patient, &provider.id)])?;
            let c = client
                .consent(&patient, &provider.id)?
                .ok_or_else(|| anyhow::anyhow!("the consent disappeared"))?;
            let mut j = consent_json(&c, now);
            j["signature"] = json!(sig.to_string());
            Ok(Output::new(
                j,
                format!(
                    "Renewed until {} ({} of {} renewals used)\nsignature: {sig}",
                    rfc3339(c.terms.expires_at),
                    c.renewals_used,
                    c.terms.renewals_allowed
                ),
            ))
        }
        ConsentCmd::History { patient, provider } => {
            let patient = match patient {
                Some(p) => client.patient(&p)?.id,
                None => ctx.my_patient(&client, None)?.id,
            };
            let provider = match provider {
                Some(k) => Some(provider_named(&client, &k)?.id),
                None => None,
            };
            let accounts = client.consents(Some(&patient), None)?;
            let versions: Vec<ConsentVersion> =
                history::consent_history(&client.transport, &patient, &accounts)?
                    .into_iter()
                    .filter(|v| provider.is_none_or(|p| v.provider == p))
                    .collect();
            let rows: Vec<Vec<String>> = versions
                .iter()
                .map(|v| {
                    let j = version_json(v, now);
                    vec![
                        v.revision.to_string(),
                        v.provider.to_string(),
                        j["origin"].as_str().unwrap_or_default().to_string(),
                        rfc3339(v.since),
                        match v.ended {
                            Some((at, _)) => format!(
                                "{} {}",
                                j["ending"].as_str().unwrap_or_default(),
                                rfc3339(at)
                            ),
                            None => "-".into(),
                        },
                        rfc3339(v.terms.expires_at),
                        j["status"].as_str().unwrap_or_default().to_string(),
                    ]
                })
                .collect();
            Ok(Output::new(
                Value::Array(versions.iter().map(|v| version_json(v, now)).collect()),
                if rows.is_empty() {
                    "no consent history".into()
                } else {
                    table(
                        &[
                            "revision", "provider", "origin", "since", "ended", "expires", "status",
                        ],
                        &rows,
                    )
                },
            ))
        }
        ConsentCmd::List { patient, provider } => {
            let provider = match provider {
                Some(k) => Some(provider_named(&client, &k)?.id),
                None => None,
            };
            let patient = match (patient, provider) {
                (None, None) => Some(ctx.my_patient(&client, None)?.id),
                (p, _) => p,
            };
            let all = client.consents(patient.as_ref(), provider.as_ref())?;
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|c| {
                    let j = consent_json(c, now);
                    let list = |k: &str| {
                        j[k].as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|v| v.as_str())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .unwrap_or_default()
                    };
                    vec![
                        c.patient.to_string(),
                        c.provider.to_string(),
                        list("categories"),
                        list("modes"),
                        list("purposes"),
                        rfc3339(c.terms.expires_at),
                        state(c, now).to_string(),
                        limits(c),
                    ]
                })
                .collect();
            Ok(Output::new(
                Value::Array(all.iter().map(|c| consent_json(c, now)).collect()),
                if rows.is_empty() {
                    "no consents".into()
                } else {
                    table(
                        &[
                            "patient",
                            "provider",
                            "categories",
                            "modes",
                            "purposes",
                            "expires",
                            "state",
                            "limits",
                        ],
                        &rows,
                    )
                },
            ))
        }
    }
}

/// The cap, date range and renewals of a consent, in a few words.
fn limits(c: &Consent) -> String {
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
            "{} renewals left",
            c.terms.renewals_allowed.saturating_sub(c.renewals_used)
        ));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}
