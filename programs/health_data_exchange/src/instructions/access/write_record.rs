use anchor_lang::prelude::*;

use crate::codes::{Action, Category, Purpose};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::RecordAdded;
use crate::gate::{self, AccessResult, Attempt, Request};
use crate::state::{
    next, require_absent, seeds, LogPage, NewRecord, Patient, Provider, Record, Registry,
    NO_CONSENT_REVISION, NO_RECORD,
};

/// Arguments of `write_record`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct WriteRecordArgs {
    /// The new record's category.
    pub category: Category,
    /// Its clinical date as a day number; 0 = unknown.
    pub clinical_day: u32,
    /// Opaque or encrypted locator, 1..=128 bytes.
    pub locator: Vec<u8>,
    /// SHA-256 of the record's content.
    pub content_hash: [u8; 32],
    /// The purpose of use the provider states.
    pub purpose: Purpose,
}

/// A provider adds a record pointer to a patient, if a consent allows
/// writing that category for that purpose. Logged like an access; the record
/// is created only when granted, so a denial still commits its log entry and
/// creates nothing.
#[derive(Accounts)]
pub struct WriteRecord<'info> {
    /// The provider's current key; pays the new record's rent.
    #[account(mut)]
    pub signer: Signer<'info>,
    /// The provider (its key, status checked by the gate).
    pub provider: Account<'info, Provider>,
    /// The one registry, read for the paused flag.
    pub registry: Account<'info, Registry>,
    /// The patient; counts the record when granted.
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    /// The (patient, provider) consent, or its empty canonical address when there is none.
    /// CHECK: checked by `gate::load_consent` (type and pair, or the canonical PDA).
    #[account(mut)]
    pub consent: UncheckedAccount<'info>,
    /// The patient's next record, created only when granted.
    /// CHECK: must be the patient's next record PDA (derived and compared in the handler).
    #[account(mut)]
    pub record: UncheckedAccount<'info>,
    /// The patient's current log page (checked by `gate::check_page`).
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
    /// The system program (creates the record).
    pub system_program: Program<'info, System>,
}

pub fn handle_write_record(
    ctx: Context<WriteRecord>,
    args: WriteRecordArgs,
) -> Result<AccessResult> {
    // Checks.
    let provider = &ctx.accounts.provider;
    let now = Clock::get()?.unix_timestamp;
    gate::require_caller(
        &ctx.accounts.registry,
        provider,
        ctx.accounts.signer.key,
        now,
    )?;
    let time = gate::entry_time(now)?;
    Record::validate_inputs(args.clinical_day, &args.locator, &args.content_hash, now)?;
    let patient_id = ctx.accounts.patient.id;
    let index = ctx.accounts.patient.record_count;
    let (expected_record, record_bump) = Pubkey::find_program_address(
        &[seeds::RECORD, patient_id.as_ref(), &index.to_le_bytes()],
        &crate::ID,
    );
    require_keys_eq!(
        ctx.accounts.record.key(),
        expected_record,
        HdxError::RecordAddressMismatch
    );
    let record_info = ctx.accounts.record.to_account_info();
    require_absent(&record_info)?;
    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &patient_id)?;
    let consent_info = ctx.accounts.consent.to_account_info();
    let consent = gate::load_consent(&consent_info, &patient_id, &provider.id)?;
    let request = Request {
        category: args.category,
        action: Action::Write,
        purpose: args.purpose,
        record_day: args.clinical_day,
        now,
    };
    let outcome = gate::decide(consent.as_ref(), &request);
    let granted = outcome.is_granted();
    let counted = gate::count_access(consent.as_ref(), outcome)?;
    let record_count = next(index)?;
    // Effects.
    let (provider_id, provider_number) = (provider.id, provider.number);
    if let Some(c) = &counted {
        gate::write_consent(&consent_info, c)?;
    }
    if granted {
        Record::create(
            &ctx.accounts.signer.to_account_info(),
            &record_info,
            NewRecord {
                patient: patient_id,
                author: provider_id,
                index,
                category: args.category,
                bump: record_bump,
                clinical_day: args.clinical_day,
                content_hash: args.content_hash,
                locator: args.locator,
            },
            now,
        )?;
        ctx.accounts.patient.record_count = record_count;
        emit_event!(RecordAdded {
            patient: patient_id,
            index,
            category: args.category.code(),
            author: provider_id,
        });
    }
    let record_index = if granted { index } else { NO_RECORD };
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: provider_number,
            time,
            record_index,
            basis: consent.map_or(NO_CONSENT_REVISION, |c| c.revision),
            category: args.category.code(),
            action: Action::Write,
            purpose: args.purpose,
            outcome,
        },
    );
    gate::finish(AccessResult {
        outcome,
        sequence,
        record_index,
        content_hash: if granted { args.content_hash } else { [0; 32] },
        locator: Vec::new(),
    })
}
