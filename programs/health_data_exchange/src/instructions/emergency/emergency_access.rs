use anchor_lang::prelude::*;

use crate::codes::{Action, Purpose, ROLE_EMERGENCY};
use crate::error::HdxError;
use crate::gate::{self, AccessResult, Attempt};
use crate::state::{next, EmergencyWindow, LogPage, Patient, Provider, Record, Registry};

/// A provider reads one record inside its emergency window. Hard errors
/// (nothing logged): not the provider's key, paused, not verified (a
/// suspension ends emergency access at once), no emergency role, a window
/// or record of someone else. Logged denials (`gate::decide_emergency`):
/// the window has ended, the patient opted out, the record's category is
/// excluded. Every entry names the window.
#[derive(Accounts)]
pub struct EmergencyAccess<'info> {
    /// The provider's current key (checked by `gate::require_caller`).
    pub signer: Signer<'info>,
    /// The provider (its key, status and role checked).
    pub provider: Account<'info, Provider>,
    /// The one registry, read for the paused flag.
    pub registry: Account<'info, Registry>,
    /// The patient, read for its emergency preferences as they are now.
    pub patient: Account<'info, Patient>,
    /// The record asked for (the patient's).
    pub record: Account<'info, Record>,
    /// The provider's window for the patient; counts granted reads.
    #[account(mut)]
    pub window: Account<'info, EmergencyWindow>,
    /// The patient's current log page (checked by `gate::check_page`).
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
}

pub fn handle_emergency_access(ctx: Context<EmergencyAccess>) -> Result<AccessResult> {
    // Checks.
    let a = &ctx.accounts;
    let provider = &a.provider;
    let now = Clock::get()?.unix_timestamp;
    gate::require_caller(&a.registry, provider, a.signer.key, now)?;
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
    let mut page = a.log_page.load_mut()?;
    gate::check_page(&page, &a.patient.id)?;
    let time = gate::entry_time(now)?;
    let outcome = gate::decide_emergency(&a.window, &a.patient, record.category, now);
    let granted = outcome.is_granted();
    let reads = if granted {
        next(a.window.reads)?
    } else {
        a.window.reads
    };
    // Effects.
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: provider.number,
            time,
            record_index: record.index,
            basis: a.window.index,
            category: record.category.code(),
            action: Action::EmergencyRead,
            purpose: Purpose::EmergencyTreatment,
            outcome,
        },
    );
    drop(page);
    let result = AccessResult {
        outcome,
        sequence,
        record_index: record.index,
        content_hash: if granted {
            record.content_hash
        } else {
            [0; 32]
        },
        locator: if granted {
            record.locator.clone()
        } else {
            Vec::new()
        },
    };
    ctx.accounts.window.reads = reads;
    gate::finish(result)
}
