//! `hdx emergency`: break-the-glass access. A provider with the emergency
//! role opens a window for a patient with a coded reason and reads inside
//! it; the provider closes it, the patient ends it, it expires on its own;
//! the registry authority reviews every window; the patient acknowledges.
//! Also `hdx patient emergency-policy`, `hdx provider roles` and
//! `hdx registry emergency-policy` (in their modules) call into here.

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::client::{HdxClient, WindowFilter};
use hdx_sdk::codes::{Category, EmergencyReason, Verdict};
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use hdx_sdk::program::state::EmergencyWindow;
use hdx_sdk::transport::Transport;
use serde_json::{json, Value};

use super::{hex, parse_pubkey, table, Ctx, Output, TxOpts};
use hdx::cluster::Cluster;

pub fn parse_reason(s: &str) -> Result<EmergencyReason, String> {
    EmergencyReason::ALL
        .iter()
        .copied()
        .find(|r| r.name() == s)
        .ok_or_else(|| {
            format!(
                "{s:?} is not an emergency reason ({})",
                EmergencyReason::ALL
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

pub fn parse_verdict(s: &str) -> Result<Verdict, String> {
    match s {
        "justified" => Ok(Verdict::Justified),
        "not-justified" => Ok(Verdict::NotJustified),
        _ => Err(format!("{s:?} is not a verdict (justified, not-justified)")),
    }
}

/// A window length: a duration (30m, 1h), at least a second.
pub fn parse_window_secs(s: &str) -> Result<u32, String> {
    let secs = hdx::cluster::parse_duration(s).map_err(|e| e.to_string())?;
    u32::try_from(secs)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or_else(|| format!("{s:?} must be a positive duration"))
}

#[derive(Subcommand, Debug)]
pub enum EmergencyCmd {
    /// (provider, emergency role) Open an emergency window for a patient
    Open {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        /// patient-cannot-consent, life-threatening or urgent-treatment
        #[arg(long, value_parser = parse_reason)]
        reason: EmergencyReason,
        /// How long, at most the registry's maximum (1h by default)
        #[arg(long, default_value = "1h", value_parser = parse_window_secs)]
        duration: u32,
    },
    /// (provider) Read a record inside your open window; exit 3 when denied (logged)
    Access {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        record: u32,
        /// The window [default: your open window for this patient]
        #[arg(long)]
        window: Option<u32>,
    },
    /// (provider) Close your window early
    Close {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        /// The window [default: your open window for this patient]
        #[arg(long)]
        window: Option<u32>,
    },
    /// (patient) End an emergency window at once
    End {
        window: u32,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// (registry authority) Record a verdict on an ended window
    Review {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        window: u32,
        /// justified or not-justified
        #[arg(long, value_parser = parse_verdict)]
        verdict: Verdict,
        #[command(flatten)]
        tx: TxOpts,
    },
    /// (patient) Acknowledge a window
    Ack {
        window: u32,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// List emergency windows (one getProgramAccounts)
    List {
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
        #[arg(long, value_parser = parse_pubkey)]
        provider: Option<Pubkey>,
        /// Only windows without a verdict
        #[arg(long)]
        unreviewed: bool,
    },
}

impl EmergencyCmd {
    pub fn sends(&self) -> bool {
        !matches!(self, EmergencyCmd::List { .. })
    }
}

fn window_json(w: &EmergencyWindow, now: i64) -> Value {
    json!({
        "patient": w.patient.to_string(),
        "window": w.index,
        "address": hdx_sdk::pda::emergency_window(&w.patient, w.index).0.to_string(),
        "provider": w.provider.to_string(),
        "reason": w.reason.name(),
        "opened_at": rfc3339(w.opened_at),
        "expires_at": rfc3339(w.expires_at),
        "ends_at": rfc3339(w.ends_at()),
        "open": w.is_open(now),
        "ended_by": w.ended_by.name(),
        "reads": w.reads,
        "verdict": w.verdict.name(),
        "reviewed_at": (w.reviewed_at != 0).then(|| rfc3339(w.reviewed_at)),
        "acknowledged_at": (w.acknowledged_at != 0).then(|| rfc3339(w.acknowledged_at)),
    })
}

fn window_row(w: &EmergencyWindow, now: i64) -> Vec<String> {
    vec![
        w.patient.to_string(),
        w.index.to_string(),
        w.provider.to_string(),
        w.reason.name().into(),
        rfc3339(w.opened_at),
        if w.is_open(now) {
            format!("open until {}", rfc3339(w.ends_at()))
        } else {
            format!("ended {}", rfc3339(w.ends_at()))
        },
        w.reads.to_string(),
        w.verdict.name().into(),
        if w.acknowledged_at != 0 { "yes" } else { "no" }.into(),
    ]
}

/// The provider's open window for `patient`.
fn open_window(
    client: &HdxClient<Cluster>,
    provider: &Pubkey,
    patient: &Pubkey,
    now: i64,
) -> anyhow::Result<u32> {
    client
        .emergency_windows(WindowFilter {
            patient: Some(*patient),
            provider: Some(*provider),
            unreviewed: false,
        })?
        .into_iter()
        .rev()
        .find(|w| w.is_open(now))
        .map(|w| w.index)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "provider {provider} has no open emergency window for patient {patient} (pass --window N for an ended one)"
            )
        })
}

pub fn run(ctx: &Ctx, cmd: EmergencyCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    let now = client.transport.unix_time()?;
    match cmd {
        EmergencyCmd::Open {
            patient,
            reason,
            duration,
        } => {
            let provider = ctx.my_provider(&client)?;
            client.patient(&patient)?;
            let max = client.registry()?.emergency.max_secs;
            anyhow::ensure!(
                duration <= max,
                "the window would last {duration} s; the registry allows at most {max} s"
            );
            let signer = ctx.payer(&client)?;
            let index = client.open_emergency(signer, &provider.id, &patient, reason, duration)?;
            let w = client.emergency_window(&patient, index)?;
            Ok(Output::new(
                window_json(&w, now),
                format!(
                    "Opened emergency window {index} for patient {patient} ({}) until {}",
                    reason.name(),
                    rfc3339(w.expires_at)
                ),
            ))
        }
        EmergencyCmd::Access {
            patient,
            record,
            window,
        } => {
            let provider = ctx.my_provider(&client)?;
            super::require_record(&client, &patient, record)?;
            let window = match window {
                Some(w) => w,
                None => open_window(&client, &provider.id, &patient, now)?,
            };
            let signer = ctx.payer(&client)?;
            let g = client.emergency_access(signer, &provider.id, &patient, record, window)?;
            let locator = String::from_utf8_lossy(&g.locator).to_string();
            Ok(Output::new(
                json!({
                    "outcome": "Granted",
                    "emergency": true,
                    "window": window,
                    "sequence": g.sequence,
                    "record": g.record_index,
                    "locator": locator,
                    "content_hash": hex(&g.content_hash),
                }),
                format!(
                    "Granted in emergency window {window} (log entry {})\nlocator:      {locator}\ncontent hash: {}",
                    g.sequence,
                    hex(&g.content_hash)
                ),
            ))
        }
        EmergencyCmd::Close { patient, window } => {
            let provider = ctx.my_provider(&client)?;
            let window = match window {
                Some(w) => w,
                None => open_window(&client, &provider.id, &patient, now)?,
            };
            let sig = ctx.send(
                &client,
                &[ix::close_emergency(
                    ctx.pubkey()?,
                    &provider.id,
                    &patient,
                    window,
                )],
            )?;
            Ok(Output::new(
                json!({ "patient": patient.to_string(), "window": window, "signature": sig.to_string() }),
                format!("Closed emergency window {window} of patient {patient}\nsignature: {sig}"),
            ))
        }
        EmergencyCmd::End { window, patient } => {
            let p = ctx.my_patient(&client, patient)?;
            let w = client.emergency_window(&p.id, window)?;
            let sig = ctx.send(
                &client,
                &[ix::end_emergency(ctx.pubkey()?, &p.id, &w.provider, window)],
            )?;
            Ok(Output::new(
                json!({ "patient": p.id.to_string(), "window": window, "provider": w.provider.to_string(), "signature": sig.to_string() }),
                format!(
                    "Ended emergency window {window} (provider {})\nsignature: {sig}",
                    w.provider
                ),
            ))
        }
        EmergencyCmd::Review {
            patient,
            window,
            verdict,
            tx,
        } => {
            let w = client.emergency_window(&patient, window)?;
            anyhow::ensure!(
                !w.is_open(now),
                "emergency window {window} of patient {patient} is open until {}: review it after it ends",
                rfc3339(w.ends_at())
            );
            tx.submit(
                ctx,
                &client,
                ix::review_emergency(tx.authority(ctx)?, &patient, window, verdict),
                &format!(
                    "Reviewed emergency window {window} of patient {patient}: {}",
                    verdict.name()
                ),
            )
        }
        EmergencyCmd::Ack { window, patient } => {
            let p = ctx.my_patient(&client, patient)?;
            client.emergency_window(&p.id, window)?;
            let sig = ctx.send(
                &client,
                &[ix::acknowledge_emergency(ctx.pubkey()?, &p.id, window)],
            )?;
            Ok(Output::new(
                json!({ "patient": p.id.to_string(), "window": window, "signature": sig.to_string() }),
                format!("Acknowledged emergency window {window}\nsignature: {sig}"),
            ))
        }
        EmergencyCmd::List {
            patient,
            provider,
            unreviewed,
        } => {
            let windows = client.emergency_windows(WindowFilter {
                patient,
                provider,
                unreviewed,
            })?;
            let text = if windows.is_empty() {
                "no emergency windows".to_string()
            } else {
                table(
                    &[
                        "patient",
                        "window",
                        "provider",
                        "reason",
                        "opened",
                        "state",
                        "reads",
                        "verdict",
                        "acknowledged",
                    ],
                    &windows
                        .iter()
                        .map(|w| window_row(w, now))
                        .collect::<Vec<_>>(),
                )
            };
            Ok(Output::new(
                Value::Array(windows.iter().map(|w| window_json(w, now)).collect()),
                text,
            ))
        }
    }
}

/// `hdx patient emergency-policy`: what the patient allows in an emergency.
pub fn preferences(
    ctx: &Ctx,
    client: &HdxClient<Cluster>,
    patient: Option<Pubkey>,
    opt_out: bool,
    opt_in: bool,
    exclude: Vec<String>,
) -> anyhow::Result<Output> {
    let p = ctx.my_patient(client, patient)?;
    let excluded = if exclude.is_empty() {
        p.emergency.excluded
    } else if exclude == ["none"] {
        0
    } else {
        exclude.iter().try_fold(0u16, |m, c| {
            super::parse_category(c)
                .map(|c| m | c.bit())
                .map_err(|e| anyhow::anyhow!(e))
        })?
    };
    let opt_out = match (opt_out, opt_in) {
        (true, _) => true,
        (_, true) => false,
        _ => p.emergency.opt_out,
    };
    let names: Vec<&str> = Category::ALL
        .iter()
        .filter(|c| excluded & c.bit() != 0)
        .map(|c| c.name())
        .collect();
    let sig = ctx.send(
        client,
        &[ix::set_emergency_preferences(
            ctx.pubkey()?,
            &p.id,
            opt_out,
            excluded,
        )],
    )?;
    Ok(Output::new(
        json!({ "patient": p.id.to_string(), "opt_out": opt_out, "excluded": names, "signature": sig.to_string() }),
        format!(
            "Emergency access for patient {}: {}\nsignature: {sig}",
            p.id,
            if opt_out {
                "opted out".to_string()
            } else if names.is_empty() {
                "allowed".to_string()
            } else {
                format!("allowed except {}", names.join(", "))
            }
        ),
    ))
}
