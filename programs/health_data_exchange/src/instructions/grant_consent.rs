use anchor_lang::prelude::*;

use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentGranted;
use crate::state::{seeds, Consent, ConsentTerms, Patient, Provider};
use crate::utils::{create_pda_account, write_account};

/// The patient grants a registered provider a consent. A live consent for the
/// same pair is refused with `ConsentAlreadyExists` (use `update_consent`).
#[derive(Accounts)]
pub struct GrantConsent<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(has_one = owner @ HdxError::PatientMismatch)]
    pub patient: Account<'info, Patient>,
    /// Any registered provider, verified or not (verification gates access, not consent).
    pub provider: Account<'info, Provider>,
    /// CHECK: the canonical consent PDA of (owner, provider.signer), checked by
    /// `seeds`; created in the handler so an existing one gets a named error.
    #[account(
        mut,
        seeds = [seeds::CONSENT, owner.key().as_ref(), provider.signer.as_ref()],
        bump,
    )]
    pub consent: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_grant_consent(ctx: Context<GrantConsent>, terms: ConsentTerms) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    terms.validate(now)?;
    let consent_info = ctx.accounts.consent.to_account_info();
    require!(
        consent_info.owner != &crate::ID,
        HdxError::ConsentAlreadyExists
    );
    let owner = ctx.accounts.owner.key();
    let provider = ctx.accounts.provider.signer;
    let bump = ctx.bumps.consent;
    create_pda_account(
        &ctx.accounts.owner.to_account_info(),
        &consent_info,
        Consent::SPACE,
        &[seeds::CONSENT, owner.as_ref(), provider.as_ref(), &[bump]],
    )?;
    let mut consent = Consent {
        patient: owner,
        provider,
        categories: 0,
        modes: 0,
        purposes: 0,
        bump,
        not_before: 0,
        expires_at: 0,
        granted_at: now,
        updated_at: now,
        reserved: [0; 16],
    };
    consent.set_terms(&terms);
    write_account(&consent_info, &consent)?;
    emit_event!(ConsentGranted {
        patient: owner,
        provider,
        categories: terms.categories,
        modes: terms.modes,
        purposes: terms.purposes,
        not_before: terms.not_before,
        expires_at: terms.expires_at,
    });
    Ok(())
}
