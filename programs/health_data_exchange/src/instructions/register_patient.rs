use anchor_lang::prelude::*;

use crate::emit_event;
use crate::events::PatientRegistered;
use crate::state::{seeds, LogPage, Patient};
use crate::utils::{create_log_page, create_new_pda_account, write_account};

/// A patient registers: the signing key becomes the patient's stable id and
/// first authority; this also opens page 0 of their access log.
/// Registering the same id twice is refused with `AlreadyRegistered`.
#[derive(Accounts)]
pub struct RegisterPatient<'info> {
    #[account(mut)]
    pub id: Signer<'info>,
    /// CHECK: the canonical patient PDA of `id` (checked by `seeds`); created in the handler.
    #[account(mut, seeds = [seeds::PATIENT, id.key().as_ref()], bump)]
    pub patient: UncheckedAccount<'info>,
    /// CHECK: the canonical page-0 log PDA of `id` (checked by `seeds`); created in the handler.
    #[account(mut, seeds = [seeds::LOG, id.key().as_ref(), &0u32.to_le_bytes()], bump)]
    pub log_page: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_register_patient(ctx: Context<RegisterPatient>) -> Result<()> {
    let id = ctx.accounts.id.key();
    let payer = ctx.accounts.id.to_account_info();
    let patient = ctx.accounts.patient.to_account_info();
    let page = ctx.accounts.log_page.to_account_info();
    let (patient_bump, page_bump) = (ctx.bumps.patient, ctx.bumps.log_page);
    create_new_pda_account(
        &payer,
        &patient,
        Patient::SPACE,
        &[seeds::PATIENT, id.as_ref(), &[patient_bump]],
    )?;
    write_account(
        &patient,
        &Patient {
            id,
            authority: id,
            bump: patient_bump,
            record_count: 0,
            log_pages: 1,
            consent_revisions: 0,
            registered_at: Clock::get()?.unix_timestamp,
            emergency_opt_out: false,
            emergency_excluded: 0,
            emergency_windows: 0,
            guardian_mode: crate::codes::GuardianMode::None,
        },
    )?;
    // Page 0 exists only if the patient does (created together), so a plain create suffices.
    create_log_page(
        &payer,
        &page,
        &id,
        0,
        0,
        LogPage::genesis_head(&id),
        page_bump,
    )?;
    emit_event!(PatientRegistered { patient: id });
    Ok(())
}
