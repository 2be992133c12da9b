use anchor_lang::prelude::*;

use super::mode_allows;
use crate::codes::PROPOSAL_LIFETIME_SECS;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::ProposalCreated;
use crate::state::{
    add_time, next, require_absent, seeds, GuardianSet, Patient, Proposal, ProposalAction,
    LAYOUT_VERSION,
};

/// A guardian proposes an action for the patient (its own approval counts).
/// What it proposes is checked now as it will be at execution: terms valid,
/// a new key that is a key and not the current one, preferences that name
/// categories; the set's mode must allow it.
#[derive(Accounts)]
pub struct ProposeGuardianAction<'info> {
    /// A guardian of the patient; pays for the proposal.
    #[account(mut)]
    pub guardian: Signer<'info>,
    /// The patient.
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set; counts the proposal.
    #[account(
        mut,
        seeds = [seeds::GUARDIANS, patient.id.as_ref()],
        bump = guardian_set.bump,
    )]
    pub guardian_set: Account<'info, GuardianSet>,
    /// The proposal, created here at the set's next proposal address.
    /// CHECK: the set's next proposal PDA, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::PROPOSAL, patient.id.as_ref(), &guardian_set.proposals.to_le_bytes()],
        bump,
    )]
    pub proposal: UncheckedAccount<'info>,
    /// The system program (creates the proposal).
    pub system_program: Program<'info, System>,
}

pub fn handle_propose_guardian_action(
    ctx: Context<ProposeGuardianAction>,
    args: ProposalAction,
) -> Result<()> {
    // Checks.
    let now = Clock::get()?.unix_timestamp;
    let guardian = ctx.accounts.guardian.key();
    let set = &ctx.accounts.guardian_set;
    let position = set.position(&guardian).ok_or(HdxError::NotAGuardian)?;
    require!(
        mode_allows(set.mode, args.kind()),
        HdxError::GuardianModeForbids
    );
    match &args {
        ProposalAction::Grant { terms, .. } | ProposalAction::Update { terms, .. } => {
            terms.validate(now)?
        }
        ProposalAction::Recover { new_authority }
        | ProposalAction::HandOver { new_authority, .. } => {
            require!(
                *new_authority != Pubkey::default(),
                HdxError::InvalidGuardianSet
            );
            require_keys_neq!(
                *new_authority,
                ctx.accounts.patient.authority,
                HdxError::KeyUnchanged
            );
        }
        ProposalAction::EmergencyPreferences { preferences } => preferences.validate()?,
        // The study's terms and state are checked at execution (it may be
        // approved meanwhile); the patient's own part is checked here.
        ProposalAction::Enroll {
            study, categories, ..
        } => require!(
            *study != Pubkey::default() && *categories != 0,
            HdxError::InvalidEnrollment
        ),
    }
    let info = ctx.accounts.proposal.to_account_info();
    require_absent(&info)?;
    let index = set.proposals;
    let proposals = next(index)?;
    let expires_at = add_time(now, PROPOSAL_LIFETIME_SECS)?;
    let proposal = Proposal {
        patient: ctx.accounts.patient.id,
        version: LAYOUT_VERSION,
        approvals: 1 << position,
        executed: false,
        bump: ctx.bumps.proposal,
        index,
        generation: set.generation,
        proposer: guardian,
        created_at: now,
        expires_at,
        reserved: [0; Proposal::RESERVED],
        action: args,
    };
    // Effects.
    proposal.create(&ctx.accounts.guardian.to_account_info(), &info)?;
    ctx.accounts.guardian_set.proposals = proposals;
    emit_event!(ProposalCreated {
        patient: proposal.patient,
        proposal: index,
        action: args,
        proposer: guardian,
        expires_at,
    });
    Ok(())
}
