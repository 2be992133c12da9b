//! `hdx emergency`: break-the-glass access. A provider with the emergency
//! role opens a window, reads within it and closes it; the patient ends and
//! acknowledges; the registry authority reviews; anyone lists.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::client::{HdxClient, WindowFilter};
use hdx_sdk::export::rfc3339;
use hdx_sdk::program::state::EmergencyWindow;
use serde_json::{json, Value};

pub mod access;
pub mod ack;
pub mod close;
pub mod end;
pub mod list;
pub mod open;
pub mod review;

crate::commands::group! {
    /// Emergency (break-the-glass) access: open, access, close (provider); end, ack
    /// (patient); review (registry authority); list
    pub enum EmergencyCmd {
        Open(open::Open),
        Access(access::Access),
        Close(close::Close),
        End(end::End),
        Review(review::Review),
        Ack(ack::Ack),
        List(list::List),
    }
}

pub fn window_json(w: &EmergencyWindow, now: i64) -> Value {
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

pub fn window_row(w: &EmergencyWindow, now: i64) -> Vec<String> {
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
pub fn open_window(
    client: &HdxClient,
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
