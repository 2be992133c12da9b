use anchor_lang::prelude::*;

use crate::codes::Actor;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ConsentGranted;
use crate::state::{require_absent, seeds, Consent, ConsentTerms, Patient, Provider};

/// The patient's authority grants a registered provider a consent. An
/// existing consent for the pair is refused with `AccountAlreadyExists`
/// (update, renew or revoke it). Not while guardians act alone.
#[derive(Accounts)]
pub struct GrantConsent<'info> {
    /// The patient's current authority; pays the rent.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The patient (its authority checked); counts the new consent version.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// Any registered provider, verified or not (verification gates access, not consent).
    pub provider: Account<'info, Provider>,
    /// The consent, created here at the canonical address of (patient, provider).
    /// CHECK: the canonical consent PDA of (patient id, provider id), checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::CONSENT, patient.id.as_ref(), provider.id.as_ref()],
        bump,
    )]
    pub consent: UncheckedAccount<'info>,
    /// The patient's consent-history address (no account lives there), carried so consent changes can be listed by address.
    /// CHECK: the patient's consent-history PDA, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
    /// The system program (creates the consent).
    pub system_program: Program<'info, System>,
}

pub fn handle_grant_consent(ctx: Context<GrantConsent>, terms: ConsentTerms) -> Result<()> {
    let patient = &ctx.accounts.patient;
    patient.require_self_may_act()?;
    let consent = ctx.accounts.consent.to_account_info();
    let now = Clock::get()?.unix_timestamp;
    let revision = check_grant(patient, &consent, &terms, now)?;
    apply_grant(
        &ctx.accounts.authority.to_account_info(),
        &mut ctx.accounts.patient,
        ctx.accounts.provider.id,
        &consent,
        ctx.bumps.consent,
        Change {
            terms,
            revision,
            now,
            actor: Actor::Patient,
            signer: ctx.accounts.authority.key(),
            proposal: None,
        },
    )
}

/// A new consent version and who makes it.
pub struct Change {
    pub terms: ConsentTerms,
    /// The version number it will be (from the check).
    pub revision: u32,
    pub now: i64,
    pub actor: Actor,
    pub signer: Pubkey,
    /// The guardians' proposal it executes, if any.
    pub proposal: Option<u32>,
}

/// The checks of a grant: the terms are valid now, no consent exists yet
/// for the pair, a version number is left. Returns that number. Shared by
/// the patient's grant and the guardians' executed proposal.
pub fn check_grant(
    patient: &Patient,
    consent: &AccountInfo,
    terms: &ConsentTerms,
    now: i64,
) -> Result<u32> {
    terms.validate(now)?;
    require_absent(consent)?;
    patient.next_consent_revision()
}

/// The effects of a grant, after every check: the consent created at its
/// canonical address (`bump`), the version counted, the event.
pub fn apply_grant<'info>(
    payer: &AccountInfo<'info>,
    patient: &mut Patient,
    provider: Pubkey,
    consent: &AccountInfo<'info>,
    bump: u8,
    change: Change,
) -> Result<()> {
    Consent::create(
        payer,
        consent,
        patient.id,
        provider,
        bump,
        change.revision,
        change.terms,
        change.now,
    )?;
    patient.consent_revisions = change.revision;
    emit_event!(ConsentGranted {
        patient: patient.id,
        provider,
        revision: change.revision,
        terms: change.terms,
        actor: change.actor,
        signer: change.signer,
        proposal: change.proposal,
        at: change.now,
    });
    Ok(())
}
