use anchor_lang::prelude::*;

use crate::codes::ProviderKind;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::StudyCreated;
use crate::gate;
use crate::state::{require_absent, seeds, Provider, Registry, Study, StudyTerms};

/// Arguments of `create_study`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreateStudyArgs {
    /// The sponsor's number for the study (its address's last seed).
    pub number: u32,
    /// What the study asks for.
    pub terms: StudyTerms,
}

/// A verified provider of the researcher kind creates a study, proposed
/// until the registry authority approves it.
#[derive(Accounts)]
#[instruction(args: CreateStudyArgs)]
pub struct CreateStudy<'info> {
    /// The sponsor's current key; pays for the study.
    #[account(mut)]
    pub signer: Signer<'info>,
    /// The sponsor (its key, status and kind checked).
    pub provider: Account<'info, Provider>,
    /// The one registry: the pause.
    pub registry: Account<'info, Registry>,
    /// The study, created here.
    /// CHECK: the (sponsor, number) study PDA, checked by `seeds`.
    #[account(
        mut,
        seeds = [seeds::STUDY, provider.id.as_ref(), &args.number.to_le_bytes()],
        bump,
    )]
    pub study: UncheckedAccount<'info>,
    /// The system program (creates the study).
    pub system_program: Program<'info, System>,
}

pub fn handle_create_study(ctx: Context<CreateStudy>, args: CreateStudyArgs) -> Result<()> {
    let a = &ctx.accounts;
    let now = Clock::get()?.unix_timestamp;
    gate::require_caller(&a.registry, &a.provider, a.signer.key, now)?;
    require!(
        a.provider.kind == ProviderKind::Researcher,
        HdxError::NotResearcher
    );
    args.terms.validate(now)?;
    let study_info = a.study.to_account_info();
    require_absent(&study_info)?;
    let address = study_info.key();
    let study = Study {
        log_head: Study::genesis_head(&address),
        ..Study::new(a.provider.id, args.number, ctx.bumps.study, args.terms, now)
    };
    study.create(&a.signer.to_account_info(), &study_info)?;
    emit_event!(StudyCreated {
        study: address,
        sponsor: study.sponsor,
        number: study.number,
        terms: study.terms,
        at: now,
    });
    Ok(())
}
