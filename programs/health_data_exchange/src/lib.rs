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

pub use gate::AccessResult;
use instructions::*;
pub use instructions::{
    AccessArgs, AddRecordArgs, CreateStudyArgs, EnrollArgs, InitializeRegistryArgs,
    OpenEmergencyArgs, ProposeRegistryAuthorityArgs, PublishDirectoryArgs, RegisterProviderArgs,
    ReviewEmergencyArgs, SetGuardiansArgs, SetPausedArgs, SetProviderRolesArgs,
    VerifyProviderByAttestationArgs, WriteRecordArgs,
};
pub use state::{
    ConsentTerms, CredentialPolicy, EmergencyPolicy, EmergencyPreferences, ProposalAction,
    ReleaseFacts, StudyTerms,
};

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

    // ---- registry ----------------------------------------------------------

    /// Creates the registry once. Signed by the program's upgrade authority.
    pub fn initialize_registry(
        ctx: Context<InitializeRegistry>,
        args: InitializeRegistryArgs,
    ) -> Result<()> {
        handle_initialize_registry(ctx, args)
    }

    /// The registry authority proposes its successor (step one of two).
    pub fn propose_registry_authority(
        ctx: Context<ProposeRegistryAuthority>,
        args: ProposeRegistryAuthorityArgs,
    ) -> Result<()> {
        handle_propose_registry_authority(ctx, args)
    }

    /// The proposed authority accepts the role (step two of two).
    pub fn accept_registry_authority(ctx: Context<AcceptRegistryAuthority>) -> Result<()> {
        handle_accept_registry_authority(ctx)
    }

    /// The registry authority pauses or resumes access, writes and emergency reads (revocation always works).
    pub fn set_paused(ctx: Context<SetPaused>, args: SetPausedArgs) -> Result<()> {
        handle_set_paused(ctx, args)
    }

    /// The registry authority names the trusted issuer and schema of licence attestations (or clears them).
    pub fn set_credential_policy(
        ctx: Context<SetCredentialPolicy>,
        args: CredentialPolicy,
    ) -> Result<()> {
        handle_set_credential_policy(ctx, args)
    }

    /// The registry authority publishes the provider directory bundle's hash (the next revision).
    pub fn publish_directory(
        ctx: Context<PublishDirectory>,
        args: PublishDirectoryArgs,
    ) -> Result<()> {
        handle_publish_directory(ctx, args)
    }

    // ---- providers ---------------------------------------------------------

    /// A provider registers itself (pending until verified).
    pub fn register_provider(
        ctx: Context<RegisterProvider>,
        args: RegisterProviderArgs,
    ) -> Result<()> {
        handle_register_provider(ctx, args)
    }

    /// The registry authority verifies a pending provider.
    pub fn verify_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
        handle_verify_provider(ctx)
    }

    /// The registry authority suspends a pending or verified provider.
    pub fn suspend_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
        handle_suspend_provider(ctx)
    }

    /// The registry authority reinstates a suspended provider.
    pub fn reinstate_provider(ctx: Context<SetProviderStatus>) -> Result<()> {
        handle_reinstate_provider(ctx)
    }

    /// Anyone verifies a provider through a licence attestation of the registry's credential policy.
    pub fn verify_provider_by_attestation(
        ctx: Context<VerifyProviderByAttestation>,
        args: VerifyProviderByAttestationArgs,
    ) -> Result<()> {
        handle_verify_provider_by_attestation(ctx, args)
    }

    /// Anyone suspends a provider whose licence attestation expired, was closed or no longer matches.
    pub fn lapse_provider(ctx: Context<LapseProvider>) -> Result<()> {
        handle_lapse_provider(ctx)
    }

    /// The provider's current key hands signing to a new key (both sign).
    pub fn rotate_provider_key(ctx: Context<RotateProviderKey>) -> Result<()> {
        handle_rotate_provider_key(ctx)
    }

    /// The registry authority gives or takes a provider's roles (the emergency role).
    pub fn set_provider_roles(
        ctx: Context<SetProviderRoles>,
        args: SetProviderRolesArgs,
    ) -> Result<()> {
        handle_set_provider_roles(ctx, args)
    }

    // ---- patients ----------------------------------------------------------

    /// A patient registers (and opens log page 0).
    pub fn register_patient(ctx: Context<RegisterPatient>) -> Result<()> {
        handle_register_patient(ctx)
    }

    /// The patient's authority hands control to a new key (both sign).
    pub fn rotate_patient_authority(ctx: Context<RotatePatientAuthority>) -> Result<()> {
        handle_rotate_patient_authority(ctx)
    }

    /// The patient's authority sets its emergency preferences (opt out, excluded categories).
    pub fn set_emergency_preferences(
        ctx: Context<SetEmergencyPreferences>,
        args: EmergencyPreferences,
    ) -> Result<()> {
        handle_set_emergency_preferences(ctx, args)
    }

    // ---- records -----------------------------------------------------------

    /// The patient's authority adds a record pointer.
    pub fn add_record(ctx: Context<AddRecord>, args: AddRecordArgs) -> Result<()> {
        handle_add_record(ctx, args)
    }

    // ---- consents ----------------------------------------------------------

    /// The patient's authority grants a provider a consent.
    pub fn grant_consent(ctx: Context<GrantConsent>, terms: ConsentTerms) -> Result<()> {
        handle_grant_consent(ctx, terms)
    }

    /// The patient's authority changes a consent's scope, window, cap, range or renewal policy.
    pub fn update_consent(ctx: Context<UpdateConsent>, terms: ConsentTerms) -> Result<()> {
        handle_update_consent(ctx, terms)
    }

    /// The patient's authority revokes a consent (closes it; rent back to the authority).
    pub fn revoke_consent(ctx: Context<RevokeConsent>) -> Result<()> {
        handle_revoke_consent(ctx)
    }

    /// Anyone extends a consent by one period, within the patient's renewal policy.
    pub fn renew_consent(ctx: Context<RenewConsent>) -> Result<()> {
        handle_renew_consent(ctx)
    }

    // ---- access and the log ------------------------------------------------

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

    // ---- emergency access --------------------------------------------------

    /// The registry authority sets the emergency policy (longest window, cooldown).
    pub fn set_emergency_policy(
        ctx: Context<SetEmergencyPolicy>,
        args: EmergencyPolicy,
    ) -> Result<()> {
        handle_set_emergency_policy(ctx, args)
    }

    /// A provider with the emergency role opens a window for a patient, with a coded reason; logged.
    pub fn open_emergency(ctx: Context<OpenEmergency>, args: OpenEmergencyArgs) -> Result<()> {
        handle_open_emergency(ctx, args)
    }

    /// A provider reads a record inside its open window; the emergency gate decides; always logged.
    pub fn emergency_access(ctx: Context<EmergencyAccess>) -> Result<AccessResult> {
        handle_emergency_access(ctx)
    }

    /// The provider closes its window early.
    pub fn close_emergency(ctx: Context<CloseEmergency>) -> Result<()> {
        handle_close_emergency(ctx)
    }

    /// The patient ends a window at once.
    pub fn end_emergency(ctx: Context<EndEmergency>) -> Result<()> {
        handle_end_emergency(ctx)
    }

    /// The registry authority records its verdict on an ended window, once.
    pub fn review_emergency(
        ctx: Context<ReviewEmergency>,
        args: ReviewEmergencyArgs,
    ) -> Result<()> {
        handle_review_emergency(ctx, args)
    }

    /// The patient acknowledges a window, once.
    pub fn acknowledge_emergency(ctx: Context<AcknowledgeEmergency>) -> Result<()> {
        handle_acknowledge_emergency(ctx)
    }

    // ---- guardians ---------------------------------------------------------

    /// The patient's authority sets, replaces or removes its guardians (keys, threshold, mode).
    pub fn set_guardians(ctx: Context<SetGuardians>, args: SetGuardiansArgs) -> Result<()> {
        handle_set_guardians(ctx, args)
    }

    /// A guardian proposes an action for the patient (its approval counts).
    pub fn propose_guardian_action(
        ctx: Context<ProposeGuardianAction>,
        args: ProposalAction,
    ) -> Result<()> {
        handle_propose_guardian_action(ctx, args)
    }

    /// Another guardian approves an open proposal, once.
    pub fn approve_guardian_action(ctx: Context<ApproveGuardianAction>) -> Result<()> {
        handle_approve_guardian_action(ctx)
    }

    /// A guardian executes an approved grant (the patient's grant, made by the guardians).
    pub fn execute_guardian_grant(ctx: Context<ExecuteGuardianGrant>) -> Result<()> {
        handle_execute_guardian_grant(ctx)
    }

    /// A guardian executes an approved update (the patient's update, made by the guardians).
    pub fn execute_guardian_update(ctx: Context<ExecuteGuardianUpdate>) -> Result<()> {
        handle_execute_guardian_update(ctx)
    }

    /// A guardian executes an approved recovery or hand-over (the new key co-signs).
    pub fn execute_guardian_recovery(ctx: Context<ExecuteGuardianRecovery>) -> Result<()> {
        handle_execute_guardian_recovery(ctx)
    }

    /// A guardian executes an approved change of the patient's emergency preferences.
    pub fn execute_guardian_preferences(ctx: Context<ExecuteGuardianPreferences>) -> Result<()> {
        handle_execute_guardian_preferences(ctx)
    }

    /// A guardian executes an approved enrolment in a research study.
    pub fn execute_guardian_enroll(ctx: Context<ExecuteGuardianEnroll>) -> Result<()> {
        handle_execute_guardian_enroll(ctx)
    }

    /// Any one guardian revokes a consent at once (no proposal).
    pub fn guardian_revoke_consent(ctx: Context<GuardianRevokeConsent>) -> Result<()> {
        handle_guardian_revoke_consent(ctx)
    }

    // --- research studies ---

    /// A verified researcher creates a study (proposed until approved).
    pub fn create_study(ctx: Context<CreateStudy>, args: CreateStudyArgs) -> Result<()> {
        handle_create_study(ctx, args)
    }

    /// The registry authority approves a proposed study: enrolment opens.
    pub fn approve_study(ctx: Context<ApproveStudy>) -> Result<()> {
        handle_approve_study(ctx)
    }

    /// The sponsor or the registry authority closes a study for good.
    pub fn close_study(ctx: Context<CloseStudy>) -> Result<()> {
        handle_close_study(ctx)
    }

    /// The patient's authority enrols the patient in an approved study.
    pub fn enroll_in_study(ctx: Context<EnrollInStudy>, args: EnrollArgs) -> Result<()> {
        handle_enroll_in_study(ctx, args)
    }

    /// The patient's authority withdraws the patient from a study, at once.
    pub fn withdraw_from_study(ctx: Context<WithdrawFromStudy>) -> Result<()> {
        handle_withdraw_from_study(ctx)
    }

    /// Any one guardian withdraws the patient from a study at once (no proposal).
    pub fn guardian_withdraw_from_study(ctx: Context<GuardianWithdrawFromStudy>) -> Result<()> {
        handle_guardian_withdraw_from_study(ctx)
    }

    /// The study's custodian records an answer before releasing it.
    pub fn record_release(ctx: Context<RecordRelease>, facts: ReleaseFacts) -> Result<()> {
        handle_record_release(ctx, facts)
    }
}
