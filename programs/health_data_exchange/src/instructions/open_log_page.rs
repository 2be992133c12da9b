use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::LogPageOpened;
use crate::state::{seeds, LogPage, Patient};
use crate::utils::create_log_page;

/// Opens a patient's next log page once the current one is full. Anyone may
/// pay for it (in practice the provider whose access found the page full);
/// the new page carries the hash head and sequence on.
#[derive(Accounts)]
pub struct OpenLogPage<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    #[account(
        constraint = current_page.load()?.patient == patient.id @ HdxError::LogPagePatientMismatch,
        constraint = current_page.load()?.page_index == patient.current_log_page() @ HdxError::NotCurrentLogPage,
        constraint = current_page.load()?.is_full() @ HdxError::LogPageNotFull,
    )]
    pub current_page: AccountLoader<'info, LogPage>,
    /// CHECK: the canonical PDA of the patient's next page (checked by `seeds`);
    /// created in the handler.
    #[account(
        mut,
        seeds = [seeds::LOG, patient.id.as_ref(), &patient.log_pages.to_le_bytes()],
        bump,
    )]
    pub next_page: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_open_log_page(ctx: Context<OpenLogPage>) -> Result<()> {
    let patient = &mut ctx.accounts.patient;
    let (first_sequence, head) = {
        let current = ctx.accounts.current_page.load()?;
        (current.next_sequence(), current.head)
    };
    let page_index = patient.log_pages;
    create_log_page(
        &ctx.accounts.payer.to_account_info(),
        &ctx.accounts.next_page.to_account_info(),
        &patient.id,
        page_index,
        first_sequence,
        head,
        ctx.bumps.next_page,
    )?;
    patient.log_pages = page_index.checked_add(1).ok_or(HdxError::CounterOverflow)?;
    emit_event!(LogPageOpened {
        patient: patient.id,
        page_index,
    });
    Ok(())
}
