use anchor_lang::prelude::*;

use crate::codes::{Action, Purpose};
use crate::gate::{self, AccessResult, Attempt, Request};
use crate::native;
use crate::state::{LogPage, Provider, Record, Registry};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessArgs {
    /// The purpose of use the provider states.
    pub purpose: Purpose,
}

/// A provider asks for one record for a stated purpose. Writable: the fee
/// payer, the log page and the (patient, provider) consent (a capped
/// consent counts the access); never a global account. No PDA derivation on
/// the granted path: accounts are checked by owner, type and stored relationships.
#[derive(Accounts)]
pub struct AccessRecord<'info> {
    /// The provider's current key (checked by `gate::require_caller`).
    pub signer: Signer<'info>,
    pub provider: Account<'info, Provider>,
    /// The one registry (only one can exist), read for the paused flag.
    pub registry: Account<'info, Registry>,
    pub record: Account<'info, Record>,
    /// CHECK: the (patient, provider) consent or its empty canonical PDA;
    /// checked by `gate::load_consent`.
    #[account(mut)]
    pub consent: UncheckedAccount<'info>,
    /// The patient's current log page; checked by `gate::check_page`.
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
}

pub fn handle_access_record(ctx: Context<AccessRecord>, args: AccessArgs) -> Result<AccessResult> {
    let provider = &ctx.accounts.provider;
    gate::require_caller(&ctx.accounts.registry, provider, ctx.accounts.signer.key)?;
    let record = &ctx.accounts.record;
    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &record.patient)?;
    let consent_info = ctx.accounts.consent.to_account_info();
    let consent = gate::load_consent(&consent_info, &record.patient, &provider.id)?;
    let request = Request {
        category: record.category,
        action: Action::Read,
        purpose: args.purpose,
        record_day: record.clinical_day,
        now: Clock::get()?.unix_timestamp,
    };
    let (outcome, consent_revision) = gate::decide_and_count(&consent_info, consent, &request)?;
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: provider.number,
            request,
            record_index: record.index,
            consent_revision,
            outcome,
            reason: 0,
        },
    )?;
    let granted = outcome.is_granted();
    let result = AccessResult {
        outcome,
        sequence,
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
