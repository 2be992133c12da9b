use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::EmergencyAcknowledged;
use crate::state::{EmergencyWindow, Patient};

/// The patient acknowledges a window (seen it), once.
#[derive(Accounts)]
pub struct AcknowledgeEmergency<'info> {
    /// The patient's current authority.
    pub authority: Signer<'info>,
    /// The patient (its authority checked).
    #[account(has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The patient's window.
    #[account(mut, constraint = window.patient == patient.id @ HdxError::EmergencyWindowMismatch)]
    pub window: Account<'info, EmergencyWindow>,
}

pub fn handle_acknowledge_emergency(ctx: Context<AcknowledgeEmergency>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let window = &mut ctx.accounts.window;
    require!(window.acknowledged_at == 0, HdxError::AlreadyAcknowledged);
    window.acknowledged_at = now;
    emit_event!(EmergencyAcknowledged {
        patient: window.patient,
        window: window.index,
        at: now,
    });
    Ok(())
}
