use anchor_lang::prelude::*;

use crate::codes::{Action, Category, Purpose, MODE_WRITE};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::RecordAdded;
use crate::gate::{self, AccessResult, Attempt};
use crate::native;
use crate::state::{seeds, LogPage, Patient, Provider, Record, Registry, NO_RECORD};
use crate::utils::create_record;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct WriteRecordArgs {
    /// Category code of the new record.
    pub category: u8,
    /// Opaque or encrypted locator, 1..=128 bytes.
    pub locator: Vec<u8>,
    /// SHA-256 of the record's content.
    pub content_hash: [u8; 32],
    /// Purpose-of-use code.
    pub purpose: u8,
}

/// A provider adds a record pointer to a patient, if a consent allows
/// writing that category for that purpose. Logged like an access; the record
/// is created only when granted (so a denial still commits its log entry).
#[derive(Accounts)]
pub struct WriteRecord<'info> {
    /// Pays the new record's rent.
    #[account(mut)]
    pub provider_signer: Signer<'info>,
    #[account(constraint = provider.signer == provider_signer.key() @ HdxError::ProviderMismatch)]
    pub provider: Account<'info, Provider>,
    pub registry: Account<'info, Registry>,
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// CHECK: the (patient, provider) consent or its empty PDA; checked by `gate::consent_outcome`.
    pub consent: UncheckedAccount<'info>,
    /// CHECK: must be the patient's next record PDA (checked in the handler); created only when granted.
    #[account(mut)]
    pub record: UncheckedAccount<'info>,
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
    pub system_program: Program<'info, System>,
}

pub fn handle_write_record(
    ctx: Context<WriteRecord>,
    args: WriteRecordArgs,
) -> Result<AccessResult> {
    require!(!ctx.accounts.registry.paused, HdxError::ProgramPaused);
    ctx.accounts.provider.require_verified()?;
    Record::validate_inputs(args.category, &args.locator, &args.content_hash)?;
    let purpose_bit = Purpose::from_code(args.purpose)
        .ok_or(HdxError::UnknownPurpose)?
        .bit();
    let category_bit = Category::from_code(args.category)
        .ok_or(HdxError::UnknownCategory)?
        .bit();
    let owner = ctx.accounts.patient.owner;
    let index = ctx.accounts.patient.record_count;
    let index_bytes = index.to_le_bytes();
    let (expected_record, record_bump) =
        Pubkey::find_program_address(&[seeds::RECORD, owner.as_ref(), &index_bytes], &crate::ID);
    require_keys_eq!(
        ctx.accounts.record.key(),
        expected_record,
        HdxError::RecordAddressMismatch
    );
    let provider = ctx.accounts.provider.signer;
    let now = Clock::get()?.unix_timestamp;

    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &owner)?;
    let outcome = gate::consent_outcome(
        &ctx.accounts.consent,
        &owner,
        &provider,
        now,
        category_bit,
        MODE_WRITE,
        purpose_bit,
    )?;
    let granted = outcome.is_granted();
    if granted {
        create_record(
            &ctx.accounts.provider_signer.to_account_info(),
            &ctx.accounts.record.to_account_info(),
            &Record {
                patient: owner,
                author: provider,
                index,
                category: args.category,
                bump: record_bump,
                created_at: now,
                content_hash: args.content_hash,
                locator: args.locator,
            },
        )?;
        ctx.accounts.patient.record_count =
            index.checked_add(1).ok_or(HdxError::CounterOverflow)?;
        emit_event!(RecordAdded {
            patient: owner,
            index,
            category: args.category,
            author: provider,
        });
    }
    let record_index = if granted { index } else { NO_RECORD };
    let entry = gate::log_attempt(
        &mut page,
        &Attempt {
            provider,
            time: now,
            record_index,
            category: args.category,
            action: Action::Write,
            purpose: args.purpose,
            outcome,
        },
    );
    let result = AccessResult {
        outcome: outcome.code(),
        sequence: entry.sequence,
        record_index,
        content_hash: if granted { args.content_hash } else { [0; 32] },
        locator: Vec::new(),
    };
    native::set_return_data(&result);
    Ok(result)
}
