use anchor_lang::prelude::*;

use crate::emit_event;
use crate::events::PatientRegistered;
use crate::state::{seeds, LogPage, Patient};
use crate::utils::{create_log_page, create_new_pda_account, write_account};

/// A patient registers; this also opens page 0 of their access log.
/// Registering twice is refused with `AlreadyRegistered`.
#[derive(Accounts)]
pub struct RegisterPatient<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    /// CHECK: the canonical patient PDA of `owner` (checked by `seeds`); created in the handler.
    #[account(mut, seeds = [seeds::PATIENT, owner.key().as_ref()], bump)]
    pub patient: UncheckedAccount<'info>,
    /// CHECK: the canonical page-0 log PDA of `owner` (checked by `seeds`); created in the handler.
    #[account(mut, seeds = [seeds::LOG, owner.key().as_ref(), &0u32.to_le_bytes()], bump)]
    pub log_page: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_register_patient(ctx: Context<RegisterPatient>) -> Result<()> {
    let owner = ctx.accounts.owner.key();
    let payer = ctx.accounts.owner.to_account_info();
    let patient = ctx.accounts.patient.to_account_info();
    let page = ctx.accounts.log_page.to_account_info();
    let (patient_bump, page_bump) = (ctx.bumps.patient, ctx.bumps.log_page);
    create_new_pda_account(
        &payer,
        &patient,
        Patient::SPACE,
        &[seeds::PATIENT, owner.as_ref(), &[patient_bump]],
    )?;
    write_account(
        &patient,
        &Patient {
            owner,
            bump: patient_bump,
            emergency_opt_in: false,
            guardian_threshold: 0,
            record_count: 0,
            log_pages: 1,
            registered_at: Clock::get()?.unix_timestamp,
            reserved: [0; 64],
        },
    )?;
    // Page 0 exists only if the patient does (created together), so a plain create suffices.
    create_log_page(
        &payer,
        &page,
        &owner,
        0,
        0,
        LogPage::genesis_head(&owner),
        page_bump,
    )?;
    emit_event!(PatientRegistered { patient: owner });
    Ok(())
}
