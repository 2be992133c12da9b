use anchor_lang::prelude::*;

use crate::codes::Category;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::RecordAdded;
use crate::state::{next, require_absent, seeds, NewRecord, Patient, Record};

/// Arguments of `add_record`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AddRecordArgs {
    /// The record's category.
    pub category: Category,
    /// Clinical date as a day number (days since 1970-01-01 UTC); 0 = unknown.
    pub clinical_day: u32,
    /// Opaque or encrypted locator, 1..=128 bytes.
    pub locator: Vec<u8>,
    /// SHA-256 of the record's content.
    pub content_hash: [u8; 32],
}

/// The patient's authority adds a pointer to one of the patient's records,
/// at the next index. Not while guardians act alone.
#[derive(Accounts)]
pub struct AddRecord<'info> {
    /// The patient's current authority; pays the rent.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The patient (its authority checked); counts the record.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The record, created here at the patient's next record address.
    /// CHECK: the canonical PDA of the patient's next record, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::RECORD, patient.id.as_ref(), &patient.record_count.to_le_bytes()],
        bump,
    )]
    pub record: UncheckedAccount<'info>,
    /// The system program (creates the record).
    pub system_program: Program<'info, System>,
}

pub fn handle_add_record(ctx: Context<AddRecord>, args: AddRecordArgs) -> Result<()> {
    let patient = &ctx.accounts.patient;
    patient.require_self_may_act()?;
    let now = Clock::get()?.unix_timestamp;
    Record::validate_inputs(args.clinical_day, &args.locator, &args.content_hash, now)?;
    let record = ctx.accounts.record.to_account_info();
    require_absent(&record)?;
    let (id, index) = (patient.id, patient.record_count);
    let count = next(index)?;
    Record::create(
        &ctx.accounts.authority.to_account_info(),
        &record,
        NewRecord {
            patient: id,
            author: id,
            index,
            category: args.category,
            bump: ctx.bumps.record,
            clinical_day: args.clinical_day,
            content_hash: args.content_hash,
            locator: args.locator,
        },
        now,
    )?;
    ctx.accounts.patient.record_count = count;
    emit_event!(RecordAdded {
        patient: id,
        index,
        category: args.category.code(),
        author: id,
    });
    Ok(())
}
