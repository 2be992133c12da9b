use anchor_lang::prelude::*;

use crate::codes::Category;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::RecordAdded;
use crate::state::{seeds, Patient, Record, RECORD_VERSION};
use crate::utils::create_record;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AddRecordArgs {
    pub category: Category,
    /// Clinical date as a day number (days since 1970-01-01 UTC); 0 = unknown.
    pub clinical_day: u32,
    /// Opaque or encrypted locator, 1..=128 bytes.
    pub locator: Vec<u8>,
    /// SHA-256 of the record's content.
    pub content_hash: [u8; 32],
}

/// The patient's authority adds a pointer to one of the patient's records.
#[derive(Accounts)]
pub struct AddRecord<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// CHECK: the canonical PDA of the patient's next record (checked by
    /// `seeds`); created in the handler.
    #[account(
        mut,
        seeds = [seeds::RECORD, patient.id.as_ref(), &patient.record_count.to_le_bytes()],
        bump,
    )]
    pub record: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_add_record(ctx: Context<AddRecord>, args: AddRecordArgs) -> Result<()> {
    require!(
        ctx.accounts.patient.self_may_act(),
        HdxError::GuardiansActForPatient
    );
    let now = Clock::get()?.unix_timestamp;
    Record::validate_inputs(args.clinical_day, &args.locator, &args.content_hash, now)?;
    let patient = &mut ctx.accounts.patient;
    let id = patient.id;
    let index = patient.record_count;
    patient.record_count = index.checked_add(1).ok_or(HdxError::CounterOverflow)?;
    create_record(
        &ctx.accounts.authority.to_account_info(),
        &ctx.accounts.record.to_account_info(),
        &Record {
            patient: id,
            author: id,
            index,
            category: args.category,
            version: RECORD_VERSION,
            bump: ctx.bumps.record,
            clinical_day: args.clinical_day,
            created_at: now,
            content_hash: args.content_hash,
            locator: args.locator,
        },
    )?;
    emit_event!(RecordAdded {
        patient: id,
        index,
        category: args.category.code(),
        author: id,
    });
    Ok(())
}
