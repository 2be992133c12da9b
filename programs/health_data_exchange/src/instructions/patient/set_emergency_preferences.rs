use anchor_lang::prelude::*;

use crate::codes::Actor;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::EmergencyPreferencesSet;
use crate::state::{EmergencyPreferences, Patient};

/// The patient's authority sets its emergency preferences (opt out, excluded
/// categories); effective in the next transaction. While guardians act
/// alone only they change them, through a proposal
/// (`execute_guardian_preferences`).
#[derive(Accounts)]
pub struct SetEmergencyPreferences<'info> {
    /// The patient's current authority.
    pub authority: Signer<'info>,
    /// The patient (its authority checked).
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
}

pub fn handle_set_emergency_preferences(
    ctx: Context<SetEmergencyPreferences>,
    args: EmergencyPreferences,
) -> Result<()> {
    let patient = &mut ctx.accounts.patient;
    patient.require_self_may_act()?;
    args.validate()?;
    set_preferences(
        patient,
        args,
        Actor::Patient,
        ctx.accounts.authority.key(),
        None,
    );
    Ok(())
}

/// Sets the preferences and says so (an effect: after every check). Shared
/// by the patient's instruction and the guardians' executed proposal.
pub fn set_preferences(
    patient: &mut Patient,
    preferences: EmergencyPreferences,
    actor: Actor,
    signer: Pubkey,
    proposal: Option<u32>,
) {
    patient.emergency = preferences;
    emit_event!(EmergencyPreferencesSet {
        patient: patient.id,
        preferences,
        actor,
        signer,
        proposal,
    });
}
