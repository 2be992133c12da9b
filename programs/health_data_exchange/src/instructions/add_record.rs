use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::RecordAdded;
use crate::state::{seeds, Patient, Record};
use crate::utils::create_record;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AddRecordArgs {
    /// Category code (`codes::Category`).
    pub category: u8,
    /// Opaque or encrypted locator, 1..=128 bytes.
    pub locator: Vec<u8>,
    /// SHA-256 of the record's content.
    pub content_hash: [u8; 32],
}

/// The patient adds a pointer to one of their records.
#[derive(Accounts)]
pub struct AddRecord<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, has_one = owner @ HdxError::PatientMismatch)]
    pub patient: Account<'info, Patient>,
    /// CHECK: the canonical PDA of the patient's next record (checked by
    /// `seeds`); created in the handler.
    #[account(
        mut,
        seeds = [seeds::RECORD, owner.key().as_ref(), &patient.record_count.to_le_bytes()],
        bump,
    )]
    pub record: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_add_record(ctx: Context<AddRecord>, args: AddRecordArgs) -> Result<()> {
    Record::validate_inputs(args.category, &args.locator, &args.content_hash)?;
    let owner = ctx.accounts.owner.key();
    let patient = &mut ctx.accounts.patient;
    let index = patient.record_count;
    patient.record_count = index.checked_add(1).ok_or(HdxError::CounterOverflow)?;
    create_record(
        &ctx.accounts.owner.to_account_info(),
        &ctx.accounts.record.to_account_info(),
        &Record {
            patient: owner,
            author: owner,
            index,
            category: args.category,
            bump: ctx.bumps.record,
            created_at: Clock::get()?.unix_timestamp,
            content_hash: args.content_hash,
            locator: args.locator,
        },
    )?;
    emit_event!(RecordAdded {
        patient: owner,
        index,
        category: args.category,
        author: owner,
    });
    Ok(())
}
