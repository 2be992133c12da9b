use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::PatientAuthorityRotated;
use crate::state::Patient;

/// The patient's current authority hands control to a new key, which
/// co-signs (nobody can rotate to a key they do not hold). The patient's id
/// and every address derived from it stay; the old key is powerless from
/// the next transaction on.
#[derive(Accounts)]
pub struct RotatePatientAuthority<'info> {
    pub authority: Signer<'info>,
    pub new_authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
}

pub fn handle_rotate_patient_authority(ctx: Context<RotatePatientAuthority>) -> Result<()> {
    require!(
        ctx.accounts.patient.self_may_act(),
        HdxError::GuardiansActForPatient
    );
    let new_authority = ctx.accounts.new_authority.key();
    let patient = &mut ctx.accounts.patient;
    require_keys_neq!(new_authority, patient.authority, HdxError::KeyUnchanged);
    let previous = patient.authority;
    patient.authority = new_authority;
    emit_event!(PatientAuthorityRotated {
        patient: patient.id,
        previous,
        authority: new_authority,
        at: Clock::get()?.unix_timestamp,
    });
    Ok(())
}
