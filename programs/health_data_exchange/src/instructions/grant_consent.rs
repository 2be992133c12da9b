use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentGranted;
use crate::state::{seeds, Consent, ConsentTerms, Patient, Provider};
use crate::utils::{create_pda_account, write_account};

/// The patient's authority grants a registered provider a consent. A live
/// consent for the same pair is refused with `ConsentAlreadyExists` (use
/// `update_consent`).
#[derive(Accounts)]
pub struct GrantConsent<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    /// Counts the new consent version.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// Any registered provider, verified or not (verification gates access, not consent).
    pub provider: Account<'info, Provider>,
    /// CHECK: the canonical consent PDA of (patient id, provider id), checked
    /// by `seeds`; created in the handler so an existing one gets a named error.
    #[account(
        mut,
        seeds = [seeds::CONSENT, patient.id.as_ref(), provider.id.as_ref()],
        bump,
    )]
    pub consent: UncheckedAccount<'info>,
    /// CHECK: the patient's consent-history address (no account lives
    /// there): carried so consent changes can be listed by address.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_grant_consent(ctx: Context<GrantConsent>, terms: ConsentTerms) -> Result<()> {
    require!(
        ctx.accounts.patient.self_may_act(),
        HdxError::GuardiansActForPatient
    );
    let bump = ctx.bumps.consent;
    let provider_id = ctx.accounts.provider.id;
    create_consent(
        &ctx.accounts.authority.to_account_info(),
        &mut ctx.accounts.patient,
        provider_id,
        &ctx.accounts.consent.to_account_info(),
        bump,
        terms,
    )
}

/// Creates the (patient, provider) consent with `terms` at its canonical
/// address (`bump`), counting a new consent version; rent paid by `payer`.
/// Shared by the patient's grant and the guardians' executed proposal.
pub fn create_consent<'info>(
    payer: &AccountInfo<'info>,
    patient: &mut Patient,
    provider_id: Pubkey,
    consent_info: &AccountInfo<'info>,
    bump: u8,
    terms: ConsentTerms,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    terms.validate(now)?;
    require!(
        consent_info.owner != &crate::ID,
        HdxError::ConsentAlreadyExists
    );
    let patient_id = patient.id;
    let revision = patient.next_consent_revision()?;
    create_pda_account(
        payer,
        consent_info,
        Consent::SPACE,
        &[
            seeds::CONSENT,
            patient_id.as_ref(),
            provider_id.as_ref(),
            &[bump],
        ],
    )?;
    let mut consent = Consent {
        patient: patient_id,
        provider: provider_id,
        categories: 0,
        modes: 0,
        purposes: 0,
        bump,
        not_before: 0,
        expires_at: 0,
        granted_at: now,
        updated_at: now,
        revision,
        access_limit: 0,
        accesses_used: 0,
        from_day: 0,
        to_day: 0,
        renewal_period_secs: 0,
        renewals_allowed: 0,
        renewals_used: 0,
    };
    consent.set_terms(&terms);
    write_account(consent_info, &consent)?;
    emit_event!(ConsentGranted {
        patient: patient_id,
        provider: provider_id,
        revision,
        terms,
        at: now,
    });
    Ok(())
}
