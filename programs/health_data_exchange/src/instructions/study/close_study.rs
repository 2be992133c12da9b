use anchor_lang::prelude::*;

use crate::codes::StudyStatus;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyClosed;
use crate::state::{Provider, Registry, Study};

/// The sponsor (its current key) or the registry authority closes a study,
/// proposed or approved, for good: no enrolment and no release after it.
/// Withdrawals still work. Works while the program is paused.
#[derive(Accounts)]
pub struct CloseStudy<'info> {
    /// The sponsor's current key or the registry authority.
    pub signer: Signer<'info>,
    /// The registry (its authority compared).
    pub registry: Account<'info, Registry>,
    /// The sponsor (its current key compared).
    #[account(constraint = provider.id == study.sponsor @ HdxError::NotStudySponsor)]
    pub provider: Account<'info, Provider>,
    /// The study closed.
    #[account(mut)]
    pub study: Account<'info, Study>,
}

pub fn handle_close_study(ctx: Context<CloseStudy>) -> Result<()> {
    let a = &ctx.accounts;
    let signer = a.signer.key();
    require!(
        signer == a.provider.signer || signer == a.registry.authority,
        HdxError::NotStudySponsor
    );
    require!(
        a.study.status != StudyStatus::Closed,
        HdxError::StudyAlreadyClosed
    );
    let now = Clock::get()?.unix_timestamp;
    let study = &mut ctx.accounts.study;
    study.status = StudyStatus::Closed;
    study.closed_at = now;
    emit_event!(StudyClosed {
        study: study.key(),
        signer,
        at: now,
    });
    Ok(())
}
