use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::LogPageOpened;
use crate::state::{next, require_absent, seeds, LogPage, Patient};

/// Opens a patient's next log page once the current one is full. Anyone may
/// pay for it (in practice the provider whose access found the page full);
/// the new page carries the hash head and sequence on.
#[derive(Accounts)]
pub struct OpenLogPage<'info> {
    /// Pays the new page's rent (anyone).
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The patient; counts the page.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The patient's current page, which must be full.
    #[account(
        constraint = current_page.load()?.patient == patient.id @ HdxError::LogPagePatientMismatch,
        constraint = current_page.load()?.page_index == patient.current_log_page() @ HdxError::NotCurrentLogPage,
        constraint = current_page.load()?.is_full() @ HdxError::LogPageNotFull,
    )]
    pub current_page: AccountLoader<'info, LogPage>,
    /// The patient's next page, created here.
    /// CHECK: the canonical PDA of the patient's next page, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::LOG, patient.id.as_ref(), &patient.log_pages.to_le_bytes()],
        bump,
    )]
    pub next_page: UncheckedAccount<'info>,
    /// The system program (creates the page).
    pub system_program: Program<'info, System>,
}

pub fn handle_open_log_page(ctx: Context<OpenLogPage>) -> Result<()> {
    let next_page = ctx.accounts.next_page.to_account_info();
    require_absent(&next_page)?;
    let (first_sequence, head) = {
        let current = ctx.accounts.current_page.load()?;
        (current.next_sequence(), current.head)
    };
    let patient = &mut ctx.accounts.patient;
    let page_index = patient.log_pages;
    let pages = next(page_index)?;
    LogPage::create(
        &ctx.accounts.payer.to_account_info(),
        &next_page,
        &patient.id,
        page_index,
        first_sequence,
        head,
        ctx.bumps.next_page,
    )?;
    patient.log_pages = pages;
    emit_event!(LogPageOpened {
        patient: patient.id,
        page_index,
    });
    Ok(())
}
