use anchor_lang::prelude::*;

use crate::codes::Verdict;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::EmergencyReviewed;
use crate::state::{EmergencyWindow, Registry};

/// Arguments of `review_emergency`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewEmergencyArgs {
    /// Justified or not justified.
    pub verdict: Verdict,
}

/// The registry authority records its verdict on an ended window, once.
#[derive(Accounts)]
pub struct ReviewEmergency<'info> {
    /// The registry authority.
    pub authority: Signer<'info>,
    /// The registry (its authority checked).
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    /// The window reviewed.
    #[account(mut)]
    pub window: Account<'info, EmergencyWindow>,
}

pub fn handle_review_emergency(
    ctx: Context<ReviewEmergency>,
    args: ReviewEmergencyArgs,
) -> Result<()> {
    require!(
        args.verdict != Verdict::Unreviewed,
        HdxError::InvalidVerdict
    );
    let now = Clock::get()?.unix_timestamp;
    let window = &mut ctx.accounts.window;
    require!(
        window.verdict == Verdict::Unreviewed,
        HdxError::AlreadyReviewed
    );
    require!(now >= window.ends_at(), HdxError::EmergencyWindowStillOpen);
    window.verdict = args.verdict;
    window.reviewed_at = now;
    emit_event!(EmergencyReviewed {
        patient: window.patient,
        provider: window.provider,
        window: window.index,
        verdict: args.verdict,
        reviewer: ctx.accounts.authority.key(),
        at: now,
    });
    Ok(())
}
