use anchor_lang::prelude::*;

use crate::emit_event;
use crate::events::PatientRegistered;
use crate::state::{seeds, LogPage, Patient};

/// A patient registers; this also opens page 0 of their access log.
#[derive(Accounts)]
pub struct RegisterPatient<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        init,
        payer = owner,
        space = Patient::SPACE,
        seeds = [seeds::PATIENT, owner.key().as_ref()],
        bump,
    )]
    pub patient: Account<'info, Patient>,
    #[account(
        init,
        payer = owner,
        space = LogPage::SPACE,
        seeds = [seeds::LOG, owner.key().as_ref(), &0u32.to_le_bytes()],
        bump,
    )]
    pub log_page: AccountLoader<'info, LogPage>,
    pub system_program: Program<'info, System>,
}

pub fn handle_register_patient(ctx: Context<RegisterPatient>) -> Result<()> {
    let owner = ctx.accounts.owner.key();
    ctx.accounts.patient.set_inner(Patient {
        owner,
        bump: ctx.bumps.patient,
        emergency_opt_in: false,
        guardian_threshold: 0,
        record_count: 0,
        log_pages: 1,
        registered_at: Clock::get()?.unix_timestamp,
        reserved: [0; 64],
    });
    let mut page = ctx.accounts.log_page.load_init()?;
    page.patient = owner;
    page.first_sequence = 0;
    page.head = LogPage::genesis_head(&owner);
    page.page_index = 0;
    page.count = 0;
    page.bump = ctx.bumps.log_page;
    emit_event!(PatientRegistered { patient: owner });
    Ok(())
}
