use anchor_lang::prelude::*;

use crate::codes::{Action, Category, Purpose, MODE_READ};
use crate::error::HdxError;
use crate::gate::{self, AccessResult, Attempt};
use crate::native;
use crate::state::{LogPage, Provider, Record, Registry};

/// A provider asks for one record for a stated purpose. Writable: the fee
/// payer and the log page only. No PDA derivation on the granted path:
/// every account is checked by owner, type and stored relationships.
#[derive(Accounts)]
pub struct AccessRecord<'info> {
    pub provider_signer: Signer<'info>,
    #[account(constraint = provider.signer == provider_signer.key() @ HdxError::ProviderMismatch)]
    pub provider: Account<'info, Provider>,
    /// The one registry (only one can exist), read for the paused flag.
    pub registry: Account<'info, Registry>,
    pub record: Account<'info, Record>,
    /// CHECK: the (patient, provider) consent or its empty PDA; checked by `gate::consent_outcome`.
    pub consent: UncheckedAccount<'info>,
    /// The patient's current log page; checked by `gate::check_page`.
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
}

pub fn handle_access_record(ctx: Context<AccessRecord>, purpose: u8) -> Result<AccessResult> {
    require!(!ctx.accounts.registry.paused, HdxError::ProgramPaused);
    ctx.accounts.provider.require_verified()?;
    let purpose_bit = Purpose::from_code(purpose)
        .ok_or(HdxError::UnknownPurpose)?
        .bit();
    let record = &ctx.accounts.record;
    let category = Category::from_code(record.category).ok_or(HdxError::UnknownCategory)?;
    let provider = ctx.accounts.provider.signer;
    let now = Clock::get()?.unix_timestamp;

    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &record.patient)?;
    let outcome = gate::consent_outcome(
        &ctx.accounts.consent,
        &record.patient,
        &provider,
        now,
        category.bit(),
        MODE_READ,
        purpose_bit,
    )?;
    let entry = gate::log_attempt(
        &mut page,
        &Attempt {
            provider,
            time: now,
            record_index: record.index,
            category: record.category,
            action: Action::Read,
            purpose,
            outcome,
        },
    );
    let granted = outcome.is_granted();
    let result = AccessResult {
        outcome: outcome.code(),
        sequence: entry.sequence,
        record_index: record.index,
        content_hash: if granted {
            record.content_hash
        } else {
            [0; 32]
        },
        locator: if granted {
            record.locator.clone()
        } else {
            Vec::new()
        },
    };
    native::set_return_data(&result);
    Ok(result)
}
