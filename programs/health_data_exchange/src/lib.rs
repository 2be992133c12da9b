//! # HealthDataExchange
//!
//! Patients decide which registered, verified providers may obtain pointers
//! to their health records, for which categories, modes and purposes, and
//! until when. Every attempt by a verified provider is appended to the
//! patient's hash-chained access log. No health data, names or free text go
//! on-chain: locators are opaque or encrypted, credentials are salted
//! commitments, purposes and reasons are codes.
//!
//! Patients and providers have stable ids (the key that registered them)
//! used in every seed, and a current key that signs for them and can be
//! rotated. The gate, the invariants and the cost budgets are in
//! `docs/DESIGN.md`; the table below is the whole instruction set.

use anchor_lang::prelude::*;

pub mod codes;
pub mod error;
pub mod events;
pub mod gate;
pub mod instructions;
pub mod native;
pub mod state;
pub mod utils;

use codes::{GuardianMode, Verdict};
pub use gate::AccessResult;
use instructions::*;
pub use instructions::{
    AccessArgs, AddRecordArgs, InitializeRegistryArgs, OpenEmergencyArgs, ProposeArgs,
    RegisterProviderArgs, WriteRecordArgs,
};
pub use state::ConsentTerms;

declare_id!("6Jco8RURhC98vmrQk818uFzSyozdBsKhsWk217imGFTN");

#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "HealthDataExchange",
    project_url: "https://healthdataexchange.invalid",
    contacts: "email:security@healthdataexchange.invalid",
    policy: "See SECURITY.md in the source repository: report privately, do not test on mainnet.",
    preferred_languages: "en",
    source_code: "https://healthdataexchange.invalid/source",
    auditors: "None yet"
}

#[program]
pub mod health_data_exchange {
    use super::*;

    // ---- registry and providers -------------------------------------------

    /// Creates the registry once. Signed by the program's upgrade authority.
    pub fn initialize_registry(
        ctx: Context<InitializeRegistry>,
        args: InitializeRegistryArgs,
    ) -> Result<()> {
        handle_initialize_registry(ctx, args)
    }

    /// Registry authority proposes its successor (step one of two).
    pub fn propose_registry_authority(
        ctx: Context<ProposeRegistryAuthority>,
        new_authority: Pubkey,
    ) -> Result<()> {
        handle_propose_registry_authority(ctx, new_authority)
    }

    /// The proposed authority accepts the role (step two of two).
    pub fn accept_registry_authority(ctx: Context<AcceptRegistryAuthority>) -> Result<()> {
        handle_accept_registry_authority(ctx)
    }

    /// Registry authority pauses or resumes access and writes (revocation always works).
    pub fn set_paused(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
        handle_set_paused(ctx, paused)
    }

    /// A provider registers itself (pending until verified).
    pub fn register_provider(
        ctx: Context<RegisterProvider>,
        args: RegisterProviderArgs,
    ) -> Result<()> {
        handle_register_provider(ctx, args)
    }

    /// Registry authority verifies a pending provider.
    pub fn verify_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
        handle_verify_provider(ctx)
    }

    /// Registry authority suspends a pending or verified provider.
    pub fn suspend_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
        handle_suspend_provider(ctx)
    }

    /// Registry authority reinstates a suspended provider.
    pub fn reinstate_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
        handle_reinstate_provider(ctx)
    }

    /// The provider's current key hands signing to a new key (both sign).
    pub fn rotate_provider_key(ctx: Context<RotateProviderKey>) -> Result<()> {
        handle_rotate_provider_key(ctx)
    }

    // ---- patients, records, consent ---------------------------------------

    /// A patient registers (and opens log page 0).
    pub fn register_patient(ctx: Context<RegisterPatient>) -> Result<()> {
        handle_register_patient(ctx)
    }

    /// The patient's authority hands control to a new key (both sign).
    pub fn rotate_patient_authority(ctx: Context<RotatePatientAuthority>) -> Result<()> {
        handle_rotate_patient_authority(ctx)
    }

    /// The patient adds a record pointer.
    pub fn add_record(ctx: Context<AddRecord>, args: AddRecordArgs) -> Result<()> {
        handle_add_record(ctx, args)
    }

    /// The patient grants a provider a consent.
    pub fn grant_consent(ctx: Context<GrantConsent>, terms: ConsentTerms) -> Result<()> {
        handle_grant_consent(ctx, terms)
    }

    /// The patient changes a consent's scope or window.
    pub fn update_consent(ctx: Context<UpdateConsent>, terms: ConsentTerms) -> Result<()> {
        handle_update_consent(ctx, terms)
    }

    /// The patient revokes a consent (closes it; rent back to the patient).
    pub fn revoke_consent(ctx: Context<RevokeConsent>) -> Result<()> {
        handle_revoke_consent(ctx)
    }

    /// Anyone extends a consent by one period, within the patient's renewal policy.
    pub fn renew_consent(ctx: Context<RenewConsent>) -> Result<()> {
        handle_renew_consent(ctx)
    }

    // ---- access and the log -----------------------------------------------

    /// A verified provider reads one record's pointer for a purpose; the gate decides; always logged.
    pub fn access_record(ctx: Context<AccessRecord>, args: AccessArgs) -> Result<AccessResult> {
        handle_access_record(ctx, args)
    }

    /// A verified provider adds a record pointer under a write consent; always logged.
    pub fn write_record(ctx: Context<WriteRecord>, args: WriteRecordArgs) -> Result<AccessResult> {
        handle_write_record(ctx, args)
    }

    /// Opens the patient's next log page when the current one is full (anyone pays).
    pub fn open_log_page(ctx: Context<OpenLogPage>) -> Result<()> {
        handle_open_log_page(ctx)
    }

    // ---- emergency access -------------------------------------------------

    pub fn set_emergency_policy(
        ctx: Context<SetEmergencyPolicy>,
        max_secs: u32,
        cooldown_secs: u32,
    ) -> Result<()> {
        handle_set_emergency_policy(ctx, max_secs, cooldown_secs)
    }

    pub fn set_provider_roles(ctx: Context<SetProviderRoles>, roles: u8) -> Result<()> {
        handle_set_provider_roles(ctx, roles)
    }

    pub fn set_emergency_preferences(
        ctx: Context<SetEmergencyPreferences>,
        opt_out: bool,
        excluded: u16,
    ) -> Result<()> {
        handle_set_emergency_preferences(ctx, opt_out, excluded)
    }

    pub fn open_emergency(ctx: Context<OpenEmergency>, args: OpenEmergencyArgs) -> Result<()> {
        handle_open_emergency(ctx, args)
    }

    pub fn emergency_access(ctx: Context<EmergencyAccess>) -> Result<AccessResult> {
        handle_emergency_access(ctx)
    }

    pub fn close_emergency(ctx: Context<CloseEmergency>) -> Result<()> {
        handle_close_emergency(ctx)
    }

    pub fn end_emergency(ctx: Context<EndEmergency>) -> Result<()> {
        handle_end_emergency(ctx)
    }

    pub fn review_emergency(ctx: Context<ReviewEmergency>, verdict: Verdict) -> Result<()> {
        handle_review_emergency(ctx, verdict)
    }

    pub fn acknowledge_emergency(ctx: Context<AcknowledgeEmergency>) -> Result<()> {
        handle_acknowledge_emergency(ctx)
    }

    // ---- guardians ----------------------------------------------------------

    pub fn set_guardians(
        ctx: Context<SetGuardians>,
        guardians: Vec<Pubkey>,
        threshold: u8,
        mode: GuardianMode,
    ) -> Result<()> {
        handle_set_guardians(ctx, guardians, threshold, mode)
    }

    pub fn propose(ctx: Context<Propose>, args: ProposeArgs) -> Result<()> {
        handle_propose(ctx, args)
    }

    pub fn approve(ctx: Context<Approve>) -> Result<()> {
        handle_approve(ctx)
    }

    pub fn execute_grant(ctx: Context<ExecuteGrant>) -> Result<()> {
        handle_execute_grant(ctx)
    }

    pub fn execute_update(ctx: Context<ExecuteUpdate>) -> Result<()> {
        handle_execute_update(ctx)
    }

    pub fn execute_recovery(ctx: Context<ExecuteRecovery>) -> Result<()> {
        handle_execute_recovery(ctx)
    }

    pub fn guardian_revoke_consent(ctx: Context<GuardianRevokeConsent>) -> Result<()> {
        handle_guardian_revoke_consent(ctx)
    }
}
