//! Emergency ("break-the-glass") access: a provider holding the emergency
//! role opens a window for one patient with a coded reason; inside it the
//! provider reads records through the same log, as emergency reads; the
//! window expires with no transaction, or the provider closes it, or the
//! patient ends it; a cooldown follows; the registry authority records a
//! verdict on every window and the patient may acknowledge it.

use anchor_lang::prelude::*;

use crate::codes::{
    Action, Category, EmergencyReason, EndedBy, Outcome, Purpose, Verdict, ROLE_EMERGENCY,
};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::{EmergencyAcknowledged, EmergencyEnded, EmergencyOpened, EmergencyReviewed};
use crate::gate::{self, AccessResult, Attempt, Request};
use crate::native;
use crate::state::{
    seeds, EmergencyTracker, EmergencyWindow, LogPage, Patient, Provider, Record, Registry,
    NO_CONSENT_REVISION, NO_RECORD,
};
use crate::utils::{create_pda_account, write_account};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenEmergencyArgs {
    pub reason: EmergencyReason,
    /// Requested length, at most the registry's `emergency_max_secs`.
    pub duration_secs: u32,
}

#[derive(Accounts)]
pub struct OpenEmergency<'info> {
    /// The provider's current key; pays for the window (and the tracker, the first time).
    #[account(mut)]
    pub signer: Signer<'info>,
    pub provider: Account<'info, Provider>,
    pub registry: Account<'info, Registry>,
    /// Counts the window.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// CHECK: the patient's next window PDA, checked by `seeds`; created here.
    #[account(
        mut,
        seeds = [seeds::EMERGENCY, patient.id.as_ref(), &patient.emergency_windows.to_le_bytes()],
        bump,
    )]
    pub window: UncheckedAccount<'info>,
    /// CHECK: the (patient, provider) tracker PDA, checked by `seeds`; created the first time.
    #[account(
        mut,
        seeds = [seeds::EMERGENCY_TRACKER, patient.id.as_ref(), provider.id.as_ref()],
        bump,
    )]
    pub tracker: UncheckedAccount<'info>,
    /// The patient's current log page; checked by `gate::check_page`.
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
    pub system_program: Program<'info, System>,
}

pub fn handle_open_emergency(ctx: Context<OpenEmergency>, args: OpenEmergencyArgs) -> Result<()> {
    let a = &ctx.accounts;
    let provider = &a.provider;
    gate::require_caller(&a.registry, provider, a.signer.key)?;
    require!(provider.has_role(ROLE_EMERGENCY), HdxError::NoEmergencyRole);
    require!(!a.patient.emergency_opt_out, HdxError::EmergencyOptedOut);
    require!(
        args.duration_secs >= 1 && args.duration_secs <= a.registry.emergency_max_secs,
        HdxError::EmergencyDurationInvalid
    );
    let now = Clock::get()?.unix_timestamp;
    let expires_at = now + i64::from(args.duration_secs);
    let (patient_id, provider_id) = (a.patient.id, provider.id);
    let index = a.patient.emergency_windows;
    let payer = a.signer.to_account_info();

    // One open window per (patient, provider), and the cooldown after it.
    let tracker_info = a.tracker.to_account_info();
    let tracker_bump = ctx.bumps.tracker;
    if tracker_info.owner == &crate::ID {
        let mut tracker = {
            let data = tracker_info.try_borrow_data()?;
            EmergencyTracker::try_deserialize(&mut &data[..])?
        };
        require!(
            now >= tracker.last_ends_at,
            HdxError::EmergencyWindowAlreadyOpen
        );
        require!(
            now >= tracker.last_ends_at + i64::from(a.registry.emergency_cooldown_secs),
            HdxError::EmergencyCooldown
        );
        tracker.last_window = index;
        tracker.last_ends_at = expires_at;
        write_account(&tracker_info, &tracker)?;
    } else {
        create_pda_account(
            &payer,
            &tracker_info,
            EmergencyTracker::SPACE,
            &[
                seeds::EMERGENCY_TRACKER,
                patient_id.as_ref(),
                provider_id.as_ref(),
                &[tracker_bump],
            ],
        )?;
        write_account(
            &tracker_info,
            &EmergencyTracker {
                patient: patient_id,
                provider: provider_id,
                last_window: index,
                bump: tracker_bump,
                last_ends_at: expires_at,
            },
        )?;
    }

    let window_info = a.window.to_account_info();
    let window_bump = ctx.bumps.window;
    create_pda_account(
        &payer,
        &window_info,
        EmergencyWindow::SPACE,
        &[
            seeds::EMERGENCY,
            patient_id.as_ref(),
            &index.to_le_bytes(),
            &[window_bump],
        ],
    )?;
    write_account(
        &window_info,
        &EmergencyWindow {
            patient: patient_id,
            provider: provider_id,
            verdict: Verdict::Unreviewed,
            ended_by: EndedBy::NotEnded,
            reason: args.reason.code(),
            bump: window_bump,
            index,
            reads: 0,
            opened_at: now,
            expires_at,
            ended_at: 0,
            reviewed_at: 0,
            acknowledged_at: 0,
        },
    )?;
    let number = provider.number;
    let patient = &mut ctx.accounts.patient;
    patient.emergency_windows = index.checked_add(1).ok_or(HdxError::CounterOverflow)?;

    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &patient_id)?;
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: number,
            // An opening names no record: category 0 and NO_RECORD (exports omit them).
            request: Request {
                category: Category::ALL[0],
                action: Action::EmergencyOpen,
                purpose: Purpose::EmergencyTreatment,
                record_day: 0,
                now,
            },
            record_index: NO_RECORD,
            consent_revision: NO_CONSENT_REVISION,
            outcome: Outcome::Granted,
            reason: args.reason.code(),
        },
    )?;
    emit_event!(EmergencyOpened {
        patient: patient_id,
        provider: provider_id,
        window: index,
        reason: args.reason.code(),
        opened_at: now,
        expires_at,
        sequence,
    });
    Ok(())
}

/// A provider reads one record inside its emergency window. Hard errors
/// (nothing logged): not the provider's key, paused, not verified (a
/// suspension ends emergency access at once), no emergency role, a window
/// or record of someone else. Logged denials: the window has ended, the
/// patient opted out, the record's category is excluded.
#[derive(Accounts)]
pub struct EmergencyAccess<'info> {
    pub signer: Signer<'info>,
    pub provider: Account<'info, Provider>,
    pub registry: Account<'info, Registry>,
    /// Read for the patient's emergency preferences, as they are now.
    pub patient: Account<'info, Patient>,
    pub record: Account<'info, Record>,
    /// Counts granted reads.
    #[account(mut)]
    pub window: Account<'info, EmergencyWindow>,
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
}

/// The emergency decision, in its one order.
pub fn decide_emergency(
    window: &EmergencyWindow,
    patient: &Patient,
    category: Category,
    now: i64,
) -> Outcome {
    if !window.is_open(now) {
        Outcome::EmergencyWindowEnded
    } else if patient.emergency_opt_out {
        Outcome::EmergencyOptedOut
    } else if patient.emergency_excluded & category.bit() != 0 {
        Outcome::EmergencyCategoryExcluded
    } else {
        Outcome::Granted
    }
}

pub fn handle_emergency_access(ctx: Context<EmergencyAccess>) -> Result<AccessResult> {
    let a = &ctx.accounts;
    let provider = &a.provider;
    gate::require_caller(&a.registry, provider, a.signer.key)?;
    require!(provider.has_role(ROLE_EMERGENCY), HdxError::NoEmergencyRole);
    let record = &a.record;
    require_keys_eq!(
        record.patient,
        a.patient.id,
        HdxError::RecordPatientMismatch
    );
    require!(
        a.window.patient == a.patient.id && a.window.provider == provider.id,
        HdxError::EmergencyWindowMismatch
    );
    let now = Clock::get()?.unix_timestamp;
    let outcome = decide_emergency(&a.window, &a.patient, record.category, now);
    let reason = a.window.reason;
    let number = provider.number;
    let (index, category, day) = (record.index, record.category, record.clinical_day);
    let granted = outcome.is_granted();
    let result_hash = if granted {
        record.content_hash
    } else {
        [0; 32]
    };
    let result_locator = if granted {
        record.locator.clone()
    } else {
        Vec::new()
    };
    let patient_id = a.patient.id;
    if granted {
        let window = &mut ctx.accounts.window;
        window.reads = window
            .reads
            .checked_add(1)
            .ok_or(HdxError::CounterOverflow)?;
    }
    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &patient_id)?;
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: number,
            request: Request {
                category,
                action: Action::EmergencyRead,
                purpose: Purpose::EmergencyTreatment,
                record_day: day,
                now,
            },
            record_index: index,
            consent_revision: NO_CONSENT_REVISION,
            outcome,
            reason,
        },
    )?;
    let result = AccessResult {
        outcome,
        sequence,
        record_index: index,
        content_hash: result_hash,
        locator: result_locator,
    };
    native::set_return_data(&result);
    Ok(result)
}

/// The provider closes its window early (whatever its status: closing only narrows access).
#[derive(Accounts)]
pub struct CloseEmergency<'info> {
    pub signer: Signer<'info>,
    pub provider: Account<'info, Provider>,
    #[account(mut, constraint = window.provider == provider.id @ HdxError::EmergencyWindowMismatch)]
    pub window: Account<'info, EmergencyWindow>,
    #[account(
        mut,
        constraint = tracker.patient == window.patient && tracker.provider == window.provider
            @ HdxError::EmergencyWindowMismatch,
    )]
    pub tracker: Account<'info, EmergencyTracker>,
}

fn end_window(
    window: &mut EmergencyWindow,
    tracker: &mut EmergencyTracker,
    by: EndedBy,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(window.is_open(now), HdxError::EmergencyWindowEnded);
    window.ended_at = now;
    window.ended_by = by;
    if tracker.last_window == window.index {
        tracker.last_ends_at = now;
    }
    emit_event!(EmergencyEnded {
        patient: window.patient,
        provider: window.provider,
        window: window.index,
        by,
        at: now,
    });
    Ok(())
}

pub fn handle_close_emergency(ctx: Context<CloseEmergency>) -> Result<()> {
    require_keys_eq!(
        ctx.accounts.provider.signer,
        ctx.accounts.signer.key(),
        HdxError::NotProviderKey
    );
    let a = &mut *ctx.accounts;
    end_window(&mut a.window, &mut a.tracker, EndedBy::Provider)
}

/// The patient ends a window at once.
#[derive(Accounts)]
pub struct EndEmergency<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    #[account(mut, constraint = window.patient == patient.id @ HdxError::EmergencyWindowMismatch)]
    pub window: Account<'info, EmergencyWindow>,
    #[account(
        mut,
        constraint = tracker.patient == window.patient && tracker.provider == window.provider
            @ HdxError::EmergencyWindowMismatch,
    )]
    pub tracker: Account<'info, EmergencyTracker>,
}

pub fn handle_end_emergency(ctx: Context<EndEmergency>) -> Result<()> {
    let a = &mut *ctx.accounts;
    end_window(&mut a.window, &mut a.tracker, EndedBy::Patient)
}

/// The registry authority records its verdict on an ended window, once.
#[derive(Accounts)]
pub struct ReviewEmergency<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    #[account(mut)]
    pub window: Account<'info, EmergencyWindow>,
}

pub fn handle_review_emergency(ctx: Context<ReviewEmergency>, verdict: Verdict) -> Result<()> {
    require!(verdict != Verdict::Unreviewed, HdxError::InvalidVerdict);
    let now = Clock::get()?.unix_timestamp;
    let window = &mut ctx.accounts.window;
    require!(
        window.verdict == Verdict::Unreviewed,
        HdxError::AlreadyReviewed
    );
    require!(now >= window.ends_at(), HdxError::EmergencyWindowStillOpen);
    window.verdict = verdict;
    window.reviewed_at = now;
    emit_event!(EmergencyReviewed {
        patient: window.patient,
        provider: window.provider,
        window: window.index,
        verdict,
        reviewer: ctx.accounts.authority.key(),
        at: now,
    });
    Ok(())
}

/// The patient acknowledges a window (seen it), once.
#[derive(Accounts)]
pub struct AcknowledgeEmergency<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    #[account(mut, constraint = window.patient == patient.id @ HdxError::EmergencyWindowMismatch)]
    pub window: Account<'info, EmergencyWindow>,
}

pub fn handle_acknowledge_emergency(ctx: Context<AcknowledgeEmergency>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let window = &mut ctx.accounts.window;
    require!(window.acknowledged_at == 0, HdxError::AlreadyAcknowledged);
    window.acknowledged_at = now;
    emit_event!(EmergencyAcknowledged {
        patient: window.patient,
        window: window.index,
        at: now,
    });
    Ok(())
}
