use anchor_lang::prelude::*;

use crate::codes::{GuardianMode, MAX_GUARDIANS};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::GuardiansSet;
use crate::state::{load_existing, next, seeds, write_account, GuardianSet, Patient};

/// Arguments of `set_guardians`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SetGuardiansArgs {
    /// 1 to 5 distinct keys, none the default address nor the patient's
    /// authority; none with mode `None` (which removes the guardians).
    pub guardians: Vec<Pubkey>,
    /// Approvals a proposal needs: 1 to the number of guardians (0 with mode `None`).
    pub threshold: u8,
    /// How the guardians act.
    pub mode: GuardianMode,
}

/// The patient's authority sets (or replaces) the guardians, the threshold
/// and the mode; mode `None` with no keys removes them. Not while guardians
/// act alone (then only their hand-over changes the set). Every change
/// bumps the set's generation: open proposals become stale.
#[derive(Accounts)]
pub struct SetGuardians<'info> {
    /// The patient's current authority; pays for the set the first time.
    #[account(mut)]
    pub authority: Signer<'info>,
    /// The patient (its authority checked); records the guardians' mode.
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// The patient's guardian set: created the first time, replaced after.
    /// CHECK: the patient's guardian-set PDA, checked by `seeds`.
    #[account(mut, seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump)]
    pub guardian_set: UncheckedAccount<'info>,
    /// The system program (creates the set).
    pub system_program: Program<'info, System>,
}

pub fn handle_set_guardians(ctx: Context<SetGuardians>, args: SetGuardiansArgs) -> Result<()> {
    // Checks.
    let patient = &ctx.accounts.patient;
    patient.require_self_may_act()?;
    let n = args.guardians.len();
    let valid = if args.mode == GuardianMode::None {
        n == 0 && args.threshold == 0
    } else {
        (1..=MAX_GUARDIANS as usize).contains(&n)
            && (1..=n).contains(&(args.threshold as usize))
            && args.guardians.iter().enumerate().all(|(i, g)| {
                *g != Pubkey::default()
                    && *g != patient.authority
                    && !args.guardians[..i].contains(g)
            })
    };
    require!(valid, HdxError::InvalidGuardianSet);
    let info = ctx.accounts.guardian_set.to_account_info();
    let existing = load_existing::<GuardianSet>(&info)?;
    require!(
        existing.is_some() || args.mode != GuardianMode::None,
        HdxError::InvalidGuardianSet
    );
    let mut set = match &existing {
        Some(set) => set.clone(),
        None => GuardianSet::empty(patient.id, ctx.bumps.guardian_set),
    };
    set.generation = next(set.generation)?;
    set.mode = args.mode;
    set.threshold = args.threshold;
    set.count = n as u8;
    set.guardians = [Pubkey::default(); MAX_GUARDIANS as usize];
    set.guardians[..n].copy_from_slice(&args.guardians);
    // Effects.
    match existing {
        Some(_) => write_account(&info, &set)?,
        None => set.create(&ctx.accounts.authority.to_account_info(), &info)?,
    }
    let patient = &mut ctx.accounts.patient;
    patient.guardian_mode = args.mode;
    emit_event!(GuardiansSet {
        patient: patient.id,
        authority: ctx.accounts.authority.key(),
        guardians: set.guardians,
        count: set.count,
        threshold: set.threshold,
        mode: set.mode,
        generation: set.generation,
    });
    Ok(())
}
