use anchor_lang::prelude::*;

use crate::codes::Actor;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::PatientAuthorityRotated;
use crate::state::Patient;

/// The patient's current authority hands control to a new key, which
/// co-signs (nobody can rotate to a key they do not hold). The patient's id
/// and every address derived from it stay; the old key is powerless from
/// the next transaction on. Not while guardians act alone.
#[derive(Accounts)]
pub struct RotatePatientAuthority<'info> {
    /// The patient's current authority.
    pub authority: Signer<'info>,
    /// The new authority (it co-signs).
    pub new_authority: Signer<'info>,
    /// The patient (its authority checked).
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
}

pub fn handle_rotate_patient_authority(ctx: Context<RotatePatientAuthority>) -> Result<()> {
    let new_authority = ctx.accounts.new_authority.key();
    let patient = &mut ctx.accounts.patient;
    patient.require_self_may_act()?;
    require_keys_neq!(new_authority, patient.authority, HdxError::KeyUnchanged);
    let now = Clock::get()?.unix_timestamp;
    let previous = patient.authority;
    patient.authority = new_authority;
    emit_event!(PatientAuthorityRotated {
        patient: patient.id,
        previous,
        authority: new_authority,
        actor: Actor::Patient,
        proposal: None,
        at: now,
    });
    Ok(())
}
