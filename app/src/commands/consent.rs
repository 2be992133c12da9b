//! `hdx consent`: the patient grants, updates and revokes; anyone lists.

use anchor_lang::prelude::Pubkey;
use clap::{Args, Subcommand};
use hdx::codes::{Category, Purpose, MODE_READ, MODE_WRITE};
use hdx::export::rfc3339;
use hdx::ix;
use hdx::program::state::Consent;
use hdx::program::ConsentTerms;
use hdx::transport::Transport;
use serde_json::{json, Value};

use super::{
    parse_category, parse_mode, parse_pubkey, parse_purpose, parse_when, table, Ctx, Output,
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
    /// When it ends: a duration from now (30d), RFC 3339, YYYY-MM-DD or unix seconds
    #[arg(long, value_name = "WHEN")]
    expires: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ConsentCmd {
    /// Grant a provider access (you are the patient)
    Grant {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Change a live consent's scope or window; flags not given keep their current value
    Update {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Revoke a consent (takes effect in the next transaction; rent comes back to you)
    Revoke {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
    },
    /// List live consents [default: the keypair's, as patient]
    List {
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
        #[arg(long, value_parser = parse_pubkey)]
        provider: Option<Pubkey>,
    },
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
    if now < c.not_before {
        "not yet valid"
    } else if now >= c.expires_at {
        "expired"
    } else {
        "live"
    }
}

pub fn consent_json(c: &Consent, now: i64) -> Value {
    json!({
        "patient": c.patient.to_string(),
        "provider": c.provider.to_string(),
        "categories": bits(&Category::ALL, c.categories, Category::bit, Category::name),
        "modes": modes(c.modes),
        "purposes": bits(&Purpose::ALL, u16::from(c.purposes), |p| u16::from(p.bit()), Purpose::name),
        "not_before": rfc3339(c.not_before),
        "expires_at": rfc3339(c.expires_at),
        "state": state(c, now),
        "granted_at": rfc3339(c.granted_at),
        "updated_at": rfc3339(c.updated_at),
    })
}

impl TermsArgs {
    /// The terms to send: given flags over `current` (update) or required (grant).
    fn resolve(&self, current: Option<&Consent>, now: i64) -> anyhow::Result<ConsentTerms> {
        let categories = match (self.categories.is_empty(), current) {
            (false, _) => self.categories.iter().fold(0, |m, c| m | c.bit()),
            (true, Some(c)) => c.categories,
            (true, None) => anyhow::bail!("--categories is required"),
        };
        let modes = match (self.modes.is_empty(), current) {
            (false, _) => self.modes.iter().fold(0, |m, b| m | b),
            (true, Some(c)) => c.modes,
            (true, None) => anyhow::bail!("--modes is required"),
        };
        let purposes = match (self.purposes.is_empty(), current) {
            (false, _) => self.purposes.iter().fold(0, |m, p| m | p.bit()),
            (true, Some(c)) => c.purposes,
            (true, None) => anyhow::bail!("--purposes is required"),
        };
        let not_before = match (&self.not_before, current) {
            (Some(s), _) => parse_when(s, now, true)?,
            (None, Some(c)) => c.not_before,
            (None, None) => now,
        };
        let expires_at = match (&self.expires, current) {
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
        Ok(ConsentTerms {
            categories,
            modes,
            purposes,
            not_before,
            expires_at,
        })
    }
}

pub fn run(ctx: &Ctx, cmd: ConsentCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    let now = client.transport.unix_time()?;
    match cmd {
        ConsentCmd::Grant { provider, terms } => {
            let me = ctx.pubkey()?;
            let terms = terms.resolve(None, now)?;
            client.provider(&provider)?;
            anyhow::ensure!(
                client.consent(&me, &provider)?.is_none(),
                "you already have a live consent for {provider}: use `hdx consent update`"
            );
            let sig = ctx.send(&client, &[ix::grant_consent(me, &provider, terms)])?;
            let c = client
                .consent(&me, &provider)?
                .ok_or_else(|| anyhow::anyhow!("the consent did not land"))?;
            let mut j = consent_json(&c, now);
            j["signature"] = json!(sig.to_string());
            Ok(Output::new(
                j,
                format!(
                    "Granted {provider} until {}\nsignature: {sig}",
                    rfc3339(c.expires_at)
                ),
            ))
        }
        ConsentCmd::Update { provider, terms } => {
            let me = ctx.pubkey()?;
            let current = client
                .consent(&me, &provider)?
                .ok_or_else(|| anyhow::anyhow!("you have no live consent for {provider}"))?;
            let terms = terms.resolve(Some(&current), now)?;
            let sig = ctx.send(&client, &[ix::update_consent(me, &provider, terms)])?;
            let c = client
                .consent(&me, &provider)?
                .ok_or_else(|| anyhow::anyhow!("the consent disappeared"))?;
            let mut j = consent_json(&c, now);
            j["signature"] = json!(sig.to_string());
            Ok(Output::new(
                j,
                format!(
                    "Updated consent for {provider}: until {}\nsignature: {sig}",
                    rfc3339(c.expires_at)
                ),
            ))
        }
        ConsentCmd::Revoke { provider } => {
            let me = ctx.pubkey()?;
            anyhow::ensure!(
                client.consent(&me, &provider)?.is_some(),
                "you have no live consent for {provider}"
            );
            let sig = ctx.send(&client, &[ix::revoke_consent(me, &provider)])?;
            Ok(Output::new(
                json!({ "revoked": provider.to_string(), "signature": sig.to_string() }),
                format!("Revoked consent for {provider}\nsignature: {sig}"),
            ))
        }
        ConsentCmd::List { patient, provider } => {
            let patient = match (patient, provider) {
                (None, None) => Some(ctx.pubkey()?),
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
                        rfc3339(c.expires_at),
                        state(c, now).to_string(),
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
                        ],
                        &rows,
                    )
                },
            ))
        }
    }
}
