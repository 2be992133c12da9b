use anchor_lang::prelude::*;

use super::end_window;
use crate::codes::EndedBy;
use crate::error::HdxError;
use crate::state::{EmergencyTracker, EmergencyWindow, Provider};

/// The provider closes its window early (whatever its status: closing only
/// narrows access).
#[derive(Accounts)]
pub struct CloseEmergency<'info> {
    /// The provider's current key.
    pub signer: Signer<'info>,
    /// The provider (its current key checked).
    #[account(constraint = provider.signer == signer.key() @ HdxError::NotProviderKey)]
    pub provider: Account<'info, Provider>,
    /// The provider's open window.
    #[account(mut, constraint = window.provider == provider.id @ HdxError::EmergencyWindowMismatch)]
    pub window: Account<'info, EmergencyWindow>,
    /// The window's (patient, provider) tracker (its end moves with the window's).
    #[account(
        mut,
        constraint = tracker.patient == window.patient && tracker.provider == window.provider
            @ HdxError::EmergencyWindowMismatch,
    )]
    pub tracker: Account<'info, EmergencyTracker>,
}

pub fn handle_close_emergency(ctx: Context<CloseEmergency>) -> Result<()> {
    let a = &mut *ctx.accounts;
    end_window(&mut a.window, &mut a.tracker, EndedBy::Provider)
}
