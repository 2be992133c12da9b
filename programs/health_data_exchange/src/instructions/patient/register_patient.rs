use anchor_lang::prelude::*;

use crate::emit_event;
use crate::events::PatientRegistered;
use crate::state::{require_absent, seeds, LogPage, Patient};

/// A patient registers: the signing key becomes the patient's stable id and
/// first authority; this also opens page 0 of their access log.
/// Registering the same id twice is refused with `AccountAlreadyExists`.
#[derive(Accounts)]
pub struct RegisterPatient<'info> {
    /// The patient's key: its id and first authority; pays the rent.
    #[account(mut)]
    pub id: Signer<'info>,
    /// The patient account, created here at the canonical address of `id`.
    /// CHECK: the canonical patient PDA of `id`, checked by `seeds`.
    #[account(mut, seeds = [seeds::PATIENT, id.key().as_ref()], bump)]
    pub patient: UncheckedAccount<'info>,
    /// Page 0 of the patient's log, created here.
    /// CHECK: the canonical page-0 log PDA of `id`, checked by `seeds`.
    #[account(mut, seeds = [seeds::LOG, id.key().as_ref(), &0u32.to_le_bytes()], bump)]
    pub log_page: UncheckedAccount<'info>,
    /// The system program (creates both accounts).
    pub system_program: Program<'info, System>,
}

pub fn handle_register_patient(ctx: Context<RegisterPatient>) -> Result<()> {
    let id = ctx.accounts.id.key();
    let payer = ctx.accounts.id.to_account_info();
    let patient = ctx.accounts.patient.to_account_info();
    let page = ctx.accounts.log_page.to_account_info();
    require_absent(&patient)?;
    require_absent(&page)?;
    let now = Clock::get()?.unix_timestamp;
    Patient::new(id, ctx.bumps.patient, now).create(&payer, &patient)?;
    LogPage::create(
        &payer,
        &page,
        &id,
        0,
        0,
        LogPage::genesis_head(&id),
        ctx.bumps.log_page,
    )?;
    emit_event!(PatientRegistered { patient: id });
    Ok(())
}
