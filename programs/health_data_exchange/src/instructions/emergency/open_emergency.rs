use anchor_lang::prelude::*;

use crate::codes::{Action, EmergencyReason, Outcome, Purpose, ROLE_EMERGENCY};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::EmergencyOpened;
use crate::gate::{self, Attempt};
use crate::state::{
    add_time, load_existing, next, require_absent, seeds, write_account, EmergencyTracker,
    EmergencyWindow, LogPage, Patient, Provider, Registry, NO_CATEGORY, NO_RECORD,
};

/// Arguments of `open_emergency`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenEmergencyArgs {
    /// Why the provider breaks the glass (a code, never free text).
    pub reason: EmergencyReason,
    /// Requested length in seconds, 1 to the registry's `emergency.max_secs`.
    pub duration_secs: u32,
}

/// A provider holding the emergency role opens a window for one patient,
/// with a coded reason: one open window per (patient, provider), never
/// within the cooldown after the last; not if the patient opted out. The
/// opening is a logged entry naming the window.
#[derive(Accounts)]
pub struct OpenEmergency<'info> {
    /// The provider's current key; pays for the window (and the tracker, the first time).
    #[account(mut)]
    pub signer: Signer<'info>,
    /// The provider (its key, status and role checked).
    pub provider: Account<'info, Provider>,
    /// The one registry: the pause and the emergency policy.
    pub registry: Account<'info, Registry>,
    /// The patient; counts the window.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The window, created here at the patient's next window address.
    /// CHECK: the patient's next window PDA, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::EMERGENCY, patient.id.as_ref(), &patient.emergency_windows.to_le_bytes()],
        bump,
    )]
    pub window: UncheckedAccount<'info>,
    /// The (patient, provider) tracker: created the first time, updated after.
    /// CHECK: the (patient, provider) tracker PDA, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::EMERGENCY_TRACKER, patient.id.as_ref(), provider.id.as_ref()],
        bump,
    )]
    pub tracker: UncheckedAccount<'info>,
    /// The patient's current log page (checked by `gate::check_page`).
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
    /// The system program (creates the window and the tracker).
    pub system_program: Program<'info, System>,
}

pub fn handle_open_emergency(ctx: Context<OpenEmergency>, args: OpenEmergencyArgs) -> Result<()> {
    // Checks.
    let a = &ctx.accounts;
    let provider = &a.provider;
    let now = Clock::get()?.unix_timestamp;
    gate::require_caller(&a.registry, provider, a.signer.key, now)?;
    require!(provider.has_role(ROLE_EMERGENCY), HdxError::NoEmergencyRole);
    require!(!a.patient.emergency.opt_out, HdxError::EmergencyOptedOut);
    let policy = a.registry.emergency;
    require!(
        args.duration_secs >= 1 && args.duration_secs <= policy.max_secs,
        HdxError::EmergencyDurationInvalid
    );
    let time = gate::entry_time(now)?;
    let expires_at = add_time(now, i64::from(args.duration_secs))?;
    let (patient_id, provider_id, number) = (a.patient.id, provider.id, provider.number);
    let index = a.patient.emergency_windows;
    let windows = next(index)?;
    let window_info = a.window.to_account_info();
    require_absent(&window_info)?;
    let tracker_info = a.tracker.to_account_info();
    let tracker = load_existing::<EmergencyTracker>(&tracker_info)?;
    if let Some(t) = &tracker {
        require!(now >= t.last_ends_at, HdxError::EmergencyWindowAlreadyOpen);
        require!(
            now >= add_time(t.last_ends_at, i64::from(policy.cooldown_secs))?,
            HdxError::EmergencyCooldown
        );
    }
    let mut page = a.log_page.load_mut()?;
    gate::check_page(&page, &patient_id)?;
    // Effects.
    let payer = a.signer.to_account_info();
    match tracker {
        Some(t) => write_account(
            &tracker_info,
            &EmergencyTracker {
                last_window: index,
                last_ends_at: expires_at,
                ..t
            },
        )?,
        None => EmergencyTracker::create(
            &payer,
            &tracker_info,
            patient_id,
            provider_id,
            ctx.bumps.tracker,
            index,
            expires_at,
        )?,
    }
    EmergencyWindow::create(
        &payer,
        &window_info,
        patient_id,
        provider_id,
        index,
        args.reason,
        ctx.bumps.window,
        now,
        expires_at,
    )?;
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: number,
            time,
            record_index: NO_RECORD,
            basis: index,
            category: NO_CATEGORY,
            action: Action::EmergencyOpen,
            purpose: Purpose::EmergencyTreatment,
            outcome: Outcome::Granted,
        },
    );
    drop(page);
    ctx.accounts.patient.emergency_windows = windows;
    emit_event!(EmergencyOpened {
        patient: patient_id,
        provider: provider_id,
        window: index,
        reason: args.reason,
        opened_at: now,
        expires_at,
        sequence,
    });
    Ok(())
}
