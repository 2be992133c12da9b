use anchor_lang::prelude::*;

use crate::codes::{Action, Purpose};
use crate::gate::{self, AccessResult, Attempt, Request};
use crate::state::{LogPage, Provider, Record, Registry, NO_CONSENT_REVISION};

/// Arguments of `access_record`.
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
    /// The provider (its key, status checked by the gate).
    pub provider: Account<'info, Provider>,
    /// The one registry (only one can exist), read for the paused flag.
    pub registry: Account<'info, Registry>,
    /// The record asked for (its patient names the consent and the page).
    pub record: Account<'info, Record>,
    /// The (patient, provider) consent, or its empty canonical address when there is none.
    /// CHECK: checked by `gate::load_consent` (type and pair, or the canonical PDA).
    #[account(mut)]
    pub consent: UncheckedAccount<'info>,
    /// The patient's current log page (checked by `gate::check_page`).
    #[account(mut)]
    pub log_page: AccountLoader<'info, LogPage>,
}

pub fn handle_access_record(ctx: Context<AccessRecord>, args: AccessArgs) -> Result<AccessResult> {
    // Checks.
    let provider = &ctx.accounts.provider;
    let now = Clock::get()?.unix_timestamp;
    gate::require_caller(
        &ctx.accounts.registry,
        provider,
        ctx.accounts.signer.key,
        now,
    )?;
    let record = &ctx.accounts.record;
    let mut page = ctx.accounts.log_page.load_mut()?;
    gate::check_page(&page, &record.patient)?;
    let consent_info = ctx.accounts.consent.to_account_info();
    let consent = gate::load_consent(&consent_info, &record.patient, &provider.id)?;
    let time = gate::entry_time(now)?;
    let request = Request {
        category: record.category,
        action: Action::Read,
        purpose: args.purpose,
        record_day: record.clinical_day,
        now,
    };
    let outcome = gate::decide(consent.as_ref(), &request);
    let counted = gate::count_access(consent.as_ref(), outcome)?;
    // Effects.
    if let Some(c) = &counted {
        gate::write_consent(&consent_info, c)?;
    }
    let sequence = gate::log_attempt(
        &mut page,
        &Attempt {
            provider: provider.number,
            time,
            record_index: record.index,
            basis: consent.map_or(NO_CONSENT_REVISION, |c| c.revision),
            category: record.category.code(),
            action: Action::Read,
            purpose: args.purpose,
            outcome,
        },
    );
    let granted = outcome.is_granted();
    gate::finish(AccessResult {
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
    })
}
