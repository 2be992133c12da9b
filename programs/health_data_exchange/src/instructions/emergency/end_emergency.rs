use anchor_lang::prelude::*;

use super::end_window;
use crate::codes::EndedBy;
use crate::error::HdxError;
use crate::state::{EmergencyTracker, EmergencyWindow, Patient};

/// The patient ends a window at once (an end narrows access, so it is
/// allowed whatever the guardians' mode, as a revocation by them is).
#[derive(Accounts)]
pub struct EndEmergency<'info> {
    /// The patient's current authority.
    pub authority: Signer<'info>,
    /// The patient (its authority checked).
    #[account(has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The patient's open window.
    #[account(mut, constraint = window.patient == patient.id @ HdxError::EmergencyWindowMismatch)]
    pub window: Account<'info, EmergencyWindow>,
    /// The window's (patient, provider) tracker (its end moves with the window's).
    #[account(
        mut,
        constraint = tracker.patient == window.patient && tracker.provider == window.provider
            @ HdxError::EmergencyWindowMismatch,
    )]
    pub tracker: Account<'info, EmergencyTracker>,
}

pub fn handle_end_emergency(ctx: Context<EndEmergency>) -> Result<()> {
    let a = &mut *ctx.accounts;
    end_window(&mut a.window, &mut a.tracker, EndedBy::Patient)
}
