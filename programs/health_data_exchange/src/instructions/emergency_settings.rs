//! Who may break the glass and for what: the registry authority's policy
//! (longest window, cooldown) and provider roles, and the patient's
//! preferences (opt out, excluded categories). Each takes effect in the
//! next transaction.

use anchor_lang::prelude::*;

use crate::codes::{
    ALL_CATEGORIES, ALL_ROLES, MAX_EMERGENCY_COOLDOWN_SECS, MAX_EMERGENCY_WINDOW_SECS,
};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::{EmergencyPolicySet, EmergencyPreferencesSet, ProviderRolesChanged};
use crate::state::{Patient, Provider, Registry};

#[derive(Accounts)]
pub struct SetEmergencyPolicy<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
}

pub fn handle_set_emergency_policy(
    ctx: Context<SetEmergencyPolicy>,
    max_secs: u32,
    cooldown_secs: u32,
) -> Result<()> {
    require!(
        (1..=MAX_EMERGENCY_WINDOW_SECS).contains(&max_secs)
            && cooldown_secs <= MAX_EMERGENCY_COOLDOWN_SECS,
        HdxError::InvalidEmergencyPolicy
    );
    let registry = &mut ctx.accounts.registry;
    registry.emergency_max_secs = max_secs;
    registry.emergency_cooldown_secs = cooldown_secs;
    emit_event!(EmergencyPolicySet {
        max_secs,
        cooldown_secs
    });
    Ok(())
}

#[derive(Accounts)]
pub struct SetProviderRoles<'info> {
    pub authority: Signer<'info>,
    #[account(has_one = authority @ HdxError::NotRegistryAuthority)]
    pub registry: Account<'info, Registry>,
    #[account(mut)]
    pub provider: Account<'info, Provider>,
}

pub fn handle_set_provider_roles(ctx: Context<SetProviderRoles>, roles: u8) -> Result<()> {
    require!(roles & !ALL_ROLES == 0, HdxError::InvalidRoles);
    let provider = &mut ctx.accounts.provider;
    let previous = provider.roles;
    provider.roles = roles;
    emit_event!(ProviderRolesChanged {
        provider: provider.id,
        previous,
        roles,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct SetEmergencyPreferences<'info> {
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
}

pub fn handle_set_emergency_preferences(
    ctx: Context<SetEmergencyPreferences>,
    opt_out: bool,
    excluded: u16,
) -> Result<()> {
    require!(
        excluded & !ALL_CATEGORIES == 0,
        HdxError::UnknownCategoryBits
    );
    let patient = &mut ctx.accounts.patient;
    patient.emergency_opt_out = opt_out;
    patient.emergency_excluded = excluded;
    emit_event!(EmergencyPreferencesSet {
        patient: patient.id,
        opt_out,
        excluded,
    });
    Ok(())
}
