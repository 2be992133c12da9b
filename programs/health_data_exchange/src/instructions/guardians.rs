//! Guardians: up to five keys and a threshold M act for a patient (a minor,
//! an adult who cannot manage keys) or only recover a lost key. They act
//! through proposals, as a multisig does: one proposes (a grant or update
//! with its full terms, a recovery, a hand-over), others approve, and it
//! executes once M have approved, before it expires; changing the set makes
//! open proposals stale. Revoking is never harder than granting: any single
//! guardian revokes a consent at once.

use anchor_lang::prelude::*;

use crate::codes::{GuardianMode, ProposalKind, MAX_GUARDIANS, PROPOSAL_LIFETIME_SECS};
use crate::emit_event;
use crate::error::HdxError;
use crate::events::{
    ConsentRevoked, GuardianRevoked, GuardiansSet, HandedOver, PatientAuthorityRotated,
    ProposalApproved, ProposalCreated, ProposalExecuted,
};
use crate::instructions::grant_consent::create_consent;
use crate::instructions::update_consent::apply_update;
use crate::state::{seeds, Consent, ConsentTerms, GuardianSet, Patient, Proposal, Provider};
use crate::utils::{create_pda_account, write_account};

#[derive(Accounts)]
pub struct SetGuardians<'info> {
    /// The patient's authority; pays for the set the first time.
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(mut, has_one = authority @ HdxError::NotPatientAuthority)]
    pub patient: Account<'info, Patient>,
    /// CHECK: the patient's guardian-set PDA, checked by `seeds`; created the first time.
    #[account(mut, seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump)]
    pub guardian_set: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// The patient's authority sets (or replaces) the guardians, the threshold
/// and the mode; `GuardianMode::None` with no keys removes them. Not while
/// guardians act alone (then only their hand-over changes the set).
pub fn handle_set_guardians(
    ctx: Context<SetGuardians>,
    guardians: Vec<Pubkey>,
    threshold: u8,
    mode: GuardianMode,
) -> Result<()> {
    let patient = &ctx.accounts.patient;
    require!(patient.self_may_act(), HdxError::GuardiansActForPatient);
    let n = guardians.len();
    let valid = if mode == GuardianMode::None {
        n == 0 && threshold == 0
    } else {
        (1..=MAX_GUARDIANS as usize).contains(&n)
            && (1..=n).contains(&(threshold as usize))
            && guardians.iter().enumerate().all(|(i, g)| {
                *g != Pubkey::default() && *g != patient.authority && !guardians[..i].contains(g)
            })
    };
    require!(valid, HdxError::InvalidGuardianSet);
    let patient_id = patient.id;
    let info = ctx.accounts.guardian_set.to_account_info();
    let bump = ctx.bumps.guardian_set;
    let mut set = if info.owner == &crate::ID {
        let data = info.try_borrow_data()?;
        GuardianSet::try_deserialize(&mut &data[..])?
    } else {
        require!(mode != GuardianMode::None, HdxError::InvalidGuardianSet);
        create_pda_account(
            &ctx.accounts.authority.to_account_info(),
            &info,
            GuardianSet::SPACE,
            &[seeds::GUARDIANS, patient_id.as_ref(), &[bump]],
        )?;
        GuardianSet {
            patient: patient_id,
            mode: GuardianMode::None,
            threshold: 0,
            count: 0,
            bump,
            generation: 0,
            proposals: 0,
            guardians: [Pubkey::default(); MAX_GUARDIANS as usize],
        }
    };
    set.mode = mode;
    set.threshold = threshold;
    set.count = n as u8;
    set.guardians = [Pubkey::default(); MAX_GUARDIANS as usize];
    set.guardians[..n].copy_from_slice(&guardians);
    set.generation = set
        .generation
        .checked_add(1)
        .ok_or(HdxError::CounterOverflow)?;
    write_account(&info, &set)?;
    ctx.accounts.patient.guardian_mode = mode;
    emit_event!(GuardiansSet {
        patient: patient_id,
        guardians: set.guardians,
        count: set.count,
        threshold,
        mode,
        generation: set.generation,
    });
    Ok(())
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposeArgs {
    pub kind: ProposalKind,
    /// Grant, update: the provider's id (else the default address).
    pub provider: Pubkey,
    /// Grant, update: the full terms (else zeros).
    pub terms: ConsentTerms,
    /// Recover, hand-over: the patient's new authority (else the default address).
    pub new_authority: Pubkey,
    /// Hand-over: keep the guardians for recovery only.
    pub keep_for_recovery: bool,
}

#[derive(Accounts)]
pub struct Propose<'info> {
    /// A guardian; pays for the proposal.
    #[account(mut)]
    pub guardian: Signer<'info>,
    pub patient: Account<'info, Patient>,
    #[account(
        mut,
        seeds = [seeds::GUARDIANS, patient.id.as_ref()],
        bump = guardian_set.bump,
    )]
    pub guardian_set: Account<'info, GuardianSet>,
    /// CHECK: the set's next proposal PDA, checked by `seeds`; created here.
    #[account(
        mut,
        seeds = [seeds::PROPOSAL, patient.id.as_ref(), &guardian_set.proposals.to_le_bytes()],
        bump,
    )]
    pub proposal: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// What each mode lets guardians propose.
fn mode_allows(mode: GuardianMode, kind: ProposalKind) -> bool {
    match kind {
        ProposalKind::Grant | ProposalKind::Update => {
            matches!(mode, GuardianMode::Alone | GuardianMode::Alongside)
        }
        ProposalKind::Recover => mode != GuardianMode::None,
        ProposalKind::HandOver => mode == GuardianMode::Alone,
    }
}

pub fn handle_propose(ctx: Context<Propose>, args: ProposeArgs) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let guardian = ctx.accounts.guardian.key();
    let set = &ctx.accounts.guardian_set;
    let position = set.position(&guardian).ok_or(HdxError::NotAGuardian)?;
    require!(
        mode_allows(set.mode, args.kind),
        HdxError::GuardianModeForbids
    );
    match args.kind {
        ProposalKind::Grant | ProposalKind::Update => args.terms.validate(now)?,
        ProposalKind::Recover | ProposalKind::HandOver => {
            require!(
                args.new_authority != Pubkey::default(),
                HdxError::InvalidGuardianSet
            );
            require_keys_neq!(
                args.new_authority,
                ctx.accounts.patient.authority,
                HdxError::KeyUnchanged
            );
        }
    }
    let patient_id = ctx.accounts.patient.id;
    let index = set.proposals;
    let info = ctx.accounts.proposal.to_account_info();
    let bump = ctx.bumps.proposal;
    create_pda_account(
        &ctx.accounts.guardian.to_account_info(),
        &info,
        Proposal::SPACE,
        &[
            seeds::PROPOSAL,
            patient_id.as_ref(),
            &index.to_le_bytes(),
            &[bump],
        ],
    )?;
    let expires_at = now + PROPOSAL_LIFETIME_SECS;
    write_account(
        &info,
        &Proposal {
            patient: patient_id,
            kind: args.kind,
            approvals: 1 << position,
            executed: false,
            bump,
            index,
            generation: set.generation,
            proposer: guardian,
            provider: args.provider,
            terms: args.terms,
            new_authority: args.new_authority,
            keep_for_recovery: args.keep_for_recovery,
            created_at: now,
            expires_at,
        },
    )?;
    let set = &mut ctx.accounts.guardian_set;
    set.proposals = index.checked_add(1).ok_or(HdxError::CounterOverflow)?;
    emit_event!(ProposalCreated {
        patient: patient_id,
        proposal: index,
        kind: args.kind,
        proposer: guardian,
        expires_at,
    });
    Ok(())
}

/// Still actionable: of the set's generation, not expired, not executed.
fn check_open(set: &GuardianSet, proposal: &Proposal, now: i64) -> Result<()> {
    require!(
        proposal.generation == set.generation,
        HdxError::ProposalStale
    );
    require!(now < proposal.expires_at, HdxError::ProposalExpired);
    require!(!proposal.executed, HdxError::ProposalExecuted);
    Ok(())
}

#[derive(Accounts)]
pub struct Approve<'info> {
    pub guardian: Signer<'info>,
    pub guardian_set: Account<'info, GuardianSet>,
    #[account(mut, constraint = proposal.patient == guardian_set.patient @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
}

pub fn handle_approve(ctx: Context<Approve>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let guardian = ctx.accounts.guardian.key();
    let set = &ctx.accounts.guardian_set;
    let position = set.position(&guardian).ok_or(HdxError::NotAGuardian)?;
    let proposal = &mut ctx.accounts.proposal;
    check_open(set, proposal, now)?;
    require!(
        proposal.approvals & (1 << position) == 0,
        HdxError::AlreadyApproved
    );
    proposal.approvals |= 1 << position;
    emit_event!(ProposalApproved {
        patient: proposal.patient,
        proposal: proposal.index,
        guardian,
        approvals: proposal.approvals,
    });
    Ok(())
}

/// The checks every execution shares: a guardian executes a proposal of
/// `kind` that is open and has its threshold of approvals; marks it executed.
fn execute(
    guardian: &Pubkey,
    set: &GuardianSet,
    proposal: &mut Proposal,
    kind: ProposalKind,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    set.position(guardian).ok_or(HdxError::NotAGuardian)?;
    require!(proposal.kind == kind, HdxError::ProposalMismatch);
    check_open(set, proposal, now)?;
    require!(
        proposal.approval_count() >= u32::from(set.threshold),
        HdxError::NotEnoughApprovals
    );
    require!(mode_allows(set.mode, kind), HdxError::GuardianModeForbids);
    proposal.executed = true;
    emit_event!(ProposalExecuted {
        patient: proposal.patient,
        proposal: proposal.index,
        kind,
        executor: *guardian,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct ExecuteGrant<'info> {
    /// A guardian; pays for the consent.
    #[account(mut)]
    pub guardian: Signer<'info>,
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    #[account(constraint = provider.id == proposal.provider @ HdxError::ProposalMismatch)]
    pub provider: Account<'info, Provider>,
    /// CHECK: the canonical consent PDA of (patient, provider), checked by `seeds`.
    #[account(mut, seeds = [seeds::CONSENT, patient.id.as_ref(), provider.id.as_ref()], bump)]
    pub consent: UncheckedAccount<'info>,
    /// CHECK: the patient's consent-history address, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_execute_grant(ctx: Context<ExecuteGrant>) -> Result<()> {
    let a = &mut *ctx.accounts;
    execute(
        a.guardian.key,
        &a.guardian_set,
        &mut a.proposal,
        ProposalKind::Grant,
    )?;
    let terms = a.proposal.terms;
    create_consent(
        &a.guardian.to_account_info(),
        &mut a.patient,
        a.provider.id,
        &a.consent.to_account_info(),
        ctx.bumps.consent,
        terms,
    )
}

#[derive(Accounts)]
pub struct ExecuteUpdate<'info> {
    pub guardian: Signer<'info>,
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    #[account(
        mut,
        constraint = consent.patient == patient.id && consent.provider == proposal.provider
            @ HdxError::ProposalMismatch,
    )]
    pub consent: Account<'info, Consent>,
    /// CHECK: the patient's consent-history address, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

pub fn handle_execute_update(ctx: Context<ExecuteUpdate>) -> Result<()> {
    let a = &mut *ctx.accounts;
    execute(
        a.guardian.key,
        &a.guardian_set,
        &mut a.proposal,
        ProposalKind::Update,
    )?;
    let terms = a.proposal.terms;
    apply_update(&mut a.patient, &mut a.consent, terms)
}

#[derive(Accounts)]
pub struct ExecuteRecovery<'info> {
    pub guardian: Signer<'info>,
    #[account(mut)]
    pub patient: Account<'info, Patient>,
    #[account(mut, seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    #[account(mut, constraint = proposal.patient == patient.id @ HdxError::ProposalMismatch)]
    pub proposal: Account<'info, Proposal>,
    /// The new authority co-signs: it proves the patient holds the new key.
    #[account(constraint = new_authority.key() == proposal.new_authority @ HdxError::ProposalMismatch)]
    pub new_authority: Signer<'info>,
}

/// A recovery (the patient's authority rotated to a new key) or a hand-over
/// (the same, and the guardians step back: kept for recovery, or removed).
pub fn handle_execute_recovery(ctx: Context<ExecuteRecovery>) -> Result<()> {
    let a = &mut *ctx.accounts;
    let kind = a.proposal.kind;
    require!(
        matches!(kind, ProposalKind::Recover | ProposalKind::HandOver),
        HdxError::ProposalMismatch
    );
    execute(a.guardian.key, &a.guardian_set, &mut a.proposal, kind)?;
    let new_authority = a.new_authority.key();
    let patient = &mut a.patient;
    require_keys_neq!(new_authority, patient.authority, HdxError::KeyUnchanged);
    let previous = patient.authority;
    patient.authority = new_authority;
    let now = Clock::get()?.unix_timestamp;
    emit_event!(PatientAuthorityRotated {
        patient: patient.id,
        previous,
        authority: new_authority,
        at: now,
    });
    if kind == ProposalKind::HandOver {
        let keep = a.proposal.keep_for_recovery;
        let set = &mut a.guardian_set;
        if keep {
            set.mode = GuardianMode::RecoveryOnly;
        } else {
            set.mode = GuardianMode::None;
            set.count = 0;
            set.threshold = 0;
            set.guardians = [Pubkey::default(); MAX_GUARDIANS as usize];
        }
        // Whatever else was open was proposed to the guardians of a minor.
        set.generation = set
            .generation
            .checked_add(1)
            .ok_or(HdxError::CounterOverflow)?;
        patient.guardian_mode = set.mode;
        emit_event!(HandedOver {
            patient: patient.id,
            authority: new_authority,
            kept_for_recovery: keep,
        });
    }
    Ok(())
}

#[derive(Accounts)]
pub struct GuardianRevokeConsent<'info> {
    pub guardian: Signer<'info>,
    pub patient: Account<'info, Patient>,
    #[account(seeds = [seeds::GUARDIANS, patient.id.as_ref()], bump = guardian_set.bump)]
    pub guardian_set: Account<'info, GuardianSet>,
    #[account(
        mut,
        close = refund,
        constraint = consent.patient == patient.id @ HdxError::ConsentMismatch,
    )]
    pub consent: Account<'info, Consent>,
    /// CHECK: the patient's current authority, who paid for the consent: the rent goes back there.
    #[account(mut, address = patient.authority @ HdxError::NotPatientAuthority)]
    pub refund: UncheckedAccount<'info>,
    /// CHECK: the patient's consent-history address, checked by `seeds`.
    #[account(seeds = [seeds::CONSENT_HISTORY, patient.id.as_ref()], bump)]
    pub consent_history: UncheckedAccount<'info>,
}

/// Any single guardian revokes a consent at once (guardians acting alone or
/// alongside; not recovery-only guardians).
pub fn handle_guardian_revoke_consent(ctx: Context<GuardianRevokeConsent>) -> Result<()> {
    let a = &ctx.accounts;
    let guardian = a.guardian.key();
    a.guardian_set
        .position(&guardian)
        .ok_or(HdxError::NotAGuardian)?;
    require!(
        matches!(
            a.guardian_set.mode,
            GuardianMode::Alone | GuardianMode::Alongside
        ),
        HdxError::GuardianModeForbids
    );
    let consent = &a.consent;
    emit_event!(ConsentRevoked {
        patient: consent.patient,
        provider: consent.provider,
        revision: consent.revision,
        at: Clock::get()?.unix_timestamp,
    });
    emit_event!(GuardianRevoked {
        patient: consent.patient,
        provider: consent.provider,
        guardian,
    });
    Ok(())
}
