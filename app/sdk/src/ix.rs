//! One builder per instruction, from the program's generated account and
//! instruction-data types. For each instruction `x`, `x_accounts(..)`
//! returns the generated `accounts::X` struct (every address by name) and
//! `x(..)` the ready `Instruction`. A test that substitutes an account
//! writes `build(AccessRecord { consent: fake, ..access_record_accounts(..) }, data)`:
//! by name, so adding an account can never retarget it.
//!
//! Patients and providers are named by id; `authority` / `signer` is the key
//! that currently signs for them.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use health_data_exchange::codes::{
    EmergencyReason, GuardianMode, IdentifierSystem, ProviderKind, Purpose, Verdict,
};
use health_data_exchange::instructions::{
    AccessArgs, AddRecordArgs, CreateStudyArgs, EnrollArgs, InitializeRegistryArgs,
    OpenEmergencyArgs, ProposeRegistryAuthorityArgs, PublishDirectoryArgs, RegisterProviderArgs,
    ReviewEmergencyArgs, SetGuardiansArgs, SetPausedArgs, SetProviderRolesArgs,
    VerifyProviderByAttestationArgs, WriteRecordArgs,
};
use health_data_exchange::{
    accounts, instruction, ConsentTerms, CredentialPolicy, EmergencyPolicy, EmergencyPreferences,
    ProposalAction, ReleaseFacts, StudyTerms, ID,
};

use crate::pda;

/// An instruction to the program from its accounts struct and data.
pub fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn initialize_registry_accounts(
    payer: Pubkey,
    upgrade_authority: Pubkey,
) -> accounts::InitializeRegistry {
    accounts::InitializeRegistry {
        payer,
        upgrade_authority,
        program_data: pda::program_data(),
        registry: pda::registry().0,
        system_program: system_program::ID,
    }
}

pub fn initialize_registry(
    payer: Pubkey,
    upgrade_authority: Pubkey,
    authority: Pubkey,
) -> Instruction {
    build(
        initialize_registry_accounts(payer, upgrade_authority),
        instruction::InitializeRegistry {
            args: InitializeRegistryArgs { authority },
        },
    )
}

pub fn propose_registry_authority(authority: Pubkey, new_authority: Pubkey) -> Instruction {
    build(
        accounts::ProposeRegistryAuthority {
            authority,
            registry: pda::registry().0,
        },
        instruction::ProposeRegistryAuthority {
            args: ProposeRegistryAuthorityArgs { new_authority },
        },
    )
}

pub fn accept_registry_authority(new_authority: Pubkey) -> Instruction {
    build(
        accounts::AcceptRegistryAuthority {
            new_authority,
            registry: pda::registry().0,
        },
        instruction::AcceptRegistryAuthority {},
    )
}

pub fn set_paused(authority: Pubkey, paused: bool) -> Instruction {
    build(
        accounts::SetPaused {
            authority,
            registry: pda::registry().0,
        },
        instruction::SetPaused {
            args: SetPausedArgs { paused },
        },
    )
}

pub fn register_provider_accounts(id: Pubkey) -> accounts::RegisterProvider {
    accounts::RegisterProvider {
        id,
        registry: pda::registry().0,
        provider: pda::provider(&id).0,
        system_program: system_program::ID,
    }
}

/// `id` signs and becomes the provider's id and first key, committed to a
/// credential of no named identifier system (see [`register_provider_npi`]).
pub fn register_provider(
    id: Pubkey,
    kind: ProviderKind,
    credential_commitment: [u8; 32],
) -> Instruction {
    register_provider_args(
        id,
        RegisterProviderArgs {
            kind,
            credential_commitment,
            identifier_system: IdentifierSystem::Unspecified,
        },
    )
}

/// `id` signs and becomes the provider's id and first key, committed to its
/// NPI under `salt` ([`crate::credential::npi_commitment`]): the directory
/// can then name it.
pub fn register_provider_npi(
    id: Pubkey,
    kind: ProviderKind,
    salt: &[u8; 32],
    npi: &crate::credential::Npi,
) -> Instruction {
    register_provider_args(
        id,
        RegisterProviderArgs {
            kind,
            credential_commitment: crate::credential::npi_commitment(salt, npi),
            identifier_system: IdentifierSystem::UsNpi,
        },
    )
}

pub fn register_provider_args(id: Pubkey, args: RegisterProviderArgs) -> Instruction {
    build(
        register_provider_accounts(id),
        instruction::RegisterProvider { args },
    )
}

pub fn set_credential_policy(authority: Pubkey, policy: CredentialPolicy) -> Instruction {
    build(
        accounts::SetCredentialPolicy {
            authority,
            registry: pda::registry().0,
        },
        instruction::SetCredentialPolicy { args: policy },
    )
}

pub fn publish_directory_accounts(authority: Pubkey, payer: Pubkey) -> accounts::PublishDirectory {
    accounts::PublishDirectory {
        authority,
        payer,
        registry: pda::registry().0,
        directory: pda::directory().0,
        system_program: system_program::ID,
    }
}

/// The registry authority publishes a directory bundle's hash; `payer` pays
/// the directory's rent at the first publication.
pub fn publish_directory(
    authority: Pubkey,
    payer: Pubkey,
    bundle_sha256: [u8; 32],
    entries: u32,
) -> Instruction {
    build(
        publish_directory_accounts(authority, payer),
        instruction::PublishDirectory {
            args: PublishDirectoryArgs {
                bundle_sha256,
                entries,
            },
        },
    )
}

pub fn verify_provider_by_attestation_accounts(
    caller: Pubkey,
    provider_id: &Pubkey,
    attestation: Pubkey,
) -> accounts::VerifyProviderByAttestation {
    accounts::VerifyProviderByAttestation {
        caller,
        registry: pda::registry().0,
        provider: pda::provider(provider_id).0,
        attestation,
    }
}

/// Anyone (`caller` signs) verifies the provider through its attestation
/// under `policy` (the address and its bump computed here).
pub fn verify_provider_by_attestation(
    caller: Pubkey,
    provider_id: &Pubkey,
    policy: &CredentialPolicy,
) -> Instruction {
    let (attestation, attestation_bump) =
        pda::attestation(&policy.credential, &policy.schema, provider_id);
    build(
        verify_provider_by_attestation_accounts(caller, provider_id, attestation),
        instruction::VerifyProviderByAttestation {
            args: VerifyProviderByAttestationArgs { attestation_bump },
        },
    )
}

pub fn lapse_provider_accounts(
    provider_id: &Pubkey,
    attestation: Pubkey,
) -> accounts::LapseProvider {
    accounts::LapseProvider {
        registry: pda::registry().0,
        provider: pda::provider(provider_id).0,
        attestation,
    }
}

/// Anyone suspends a provider whose stored attestation (`attestation`) no longer holds.
pub fn lapse_provider(provider_id: &Pubkey, attestation: Pubkey) -> Instruction {
    build(
        lapse_provider_accounts(provider_id, attestation),
        instruction::LapseProvider {},
    )
}

pub fn provider_status_accounts(
    authority: Pubkey,
    provider_id: &Pubkey,
) -> accounts::SetProviderStatus {
    accounts::SetProviderStatus {
        authority,
        registry: pda::registry().0,
        provider: pda::provider(provider_id).0,
    }
}

pub fn verify_provider(authority: Pubkey, provider_id: &Pubkey) -> Instruction {
    build(
        provider_status_accounts(authority, provider_id),
        instruction::VerifyProvider {},
    )
}

pub fn suspend_provider(authority: Pubkey, provider_id: &Pubkey) -> Instruction {
    build(
        provider_status_accounts(authority, provider_id),
        instruction::SuspendProvider {},
    )
}

pub fn reinstate_provider(authority: Pubkey, provider_id: &Pubkey) -> Instruction {
    build(
        provider_status_accounts(authority, provider_id),
        instruction::ReinstateProvider {},
    )
}

pub fn rotate_provider_key_accounts(
    signer: Pubkey,
    new_key: Pubkey,
    provider_id: &Pubkey,
) -> accounts::RotateProviderKey {
    accounts::RotateProviderKey {
        signer,
        new_key,
        provider: pda::provider(provider_id).0,
    }
}

/// `signer` (the current key) and `new_key` both sign.
pub fn rotate_provider_key(signer: Pubkey, new_key: Pubkey, provider_id: &Pubkey) -> Instruction {
    build(
        rotate_provider_key_accounts(signer, new_key, provider_id),
        instruction::RotateProviderKey {},
    )
}

pub fn register_patient_accounts(id: Pubkey) -> accounts::RegisterPatient {
    accounts::RegisterPatient {
        id,
        patient: pda::patient(&id).0,
        log_page: pda::log_page(&id, 0).0,
        system_program: system_program::ID,
    }
}

/// `id` signs and becomes the patient's id and first authority.
pub fn register_patient(id: Pubkey) -> Instruction {
    build(
        register_patient_accounts(id),
        instruction::RegisterPatient {},
    )
}

pub fn rotate_patient_authority_accounts(
    authority: Pubkey,
    new_authority: Pubkey,
    patient_id: &Pubkey,
) -> accounts::RotatePatientAuthority {
    accounts::RotatePatientAuthority {
        authority,
        new_authority,
        patient: pda::patient(patient_id).0,
    }
}

/// `authority` (the current one) and `new_authority` both sign.
pub fn rotate_patient_authority(
    authority: Pubkey,
    new_authority: Pubkey,
    patient_id: &Pubkey,
) -> Instruction {
    build(
        rotate_patient_authority_accounts(authority, new_authority, patient_id),
        instruction::RotatePatientAuthority {},
    )
}

/// `index` is the patient's current `record_count`.
pub fn add_record_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    index: u32,
) -> accounts::AddRecord {
    accounts::AddRecord {
        authority,
        patient: pda::patient(patient_id).0,
        record: pda::record(patient_id, index).0,
        system_program: system_program::ID,
    }
}

pub fn add_record(
    authority: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    args: AddRecordArgs,
) -> Instruction {
    build(
        add_record_accounts(authority, patient_id, index),
        instruction::AddRecord { args },
    )
}

pub fn grant_consent_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
) -> accounts::GrantConsent {
    accounts::GrantConsent {
        authority,
        patient: pda::patient(patient_id).0,
        provider: pda::provider(provider_id).0,
        consent: pda::consent(patient_id, provider_id).0,
        consent_history: pda::consent_history(patient_id).0,
        system_program: system_program::ID,
    }
}

pub fn grant_consent(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
    terms: ConsentTerms,
) -> Instruction {
    build(
        grant_consent_accounts(authority, patient_id, provider_id),
        instruction::GrantConsent { terms },
    )
}

pub fn update_consent_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
) -> accounts::UpdateConsent {
    accounts::UpdateConsent {
        authority,
        patient: pda::patient(patient_id).0,
        consent: pda::consent(patient_id, provider_id).0,
        consent_history: pda::consent_history(patient_id).0,
    }
}

pub fn update_consent(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
    terms: ConsentTerms,
) -> Instruction {
    build(
        update_consent_accounts(authority, patient_id, provider_id),
        instruction::UpdateConsent { terms },
    )
}

pub fn revoke_consent_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
) -> accounts::RevokeConsent {
    accounts::RevokeConsent {
        authority,
        patient: pda::patient(patient_id).0,
        consent: pda::consent(patient_id, provider_id).0,
        consent_history: pda::consent_history(patient_id).0,
    }
}

pub fn revoke_consent(authority: Pubkey, patient_id: &Pubkey, provider_id: &Pubkey) -> Instruction {
    build(
        revoke_consent_accounts(authority, patient_id, provider_id),
        instruction::RevokeConsent {},
    )
}

pub fn renew_consent_accounts(patient_id: &Pubkey, provider_id: &Pubkey) -> accounts::RenewConsent {
    accounts::RenewConsent {
        patient: pda::patient(patient_id).0,
        provider: pda::provider(provider_id).0,
        consent: pda::consent(patient_id, provider_id).0,
        consent_history: pda::consent_history(patient_id).0,
    }
}

/// Permissionless: no signer but the fee payer.
pub fn renew_consent(patient_id: &Pubkey, provider_id: &Pubkey) -> Instruction {
    build(
        renew_consent_accounts(patient_id, provider_id),
        instruction::RenewConsent {},
    )
}

/// `log_page` is the patient's current page index (`Patient::current_log_page`).
pub fn access_record_accounts(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    record_index: u32,
    log_page: u32,
) -> accounts::AccessRecord {
    accounts::AccessRecord {
        signer,
        provider: pda::provider(provider_id).0,
        registry: pda::registry().0,
        record: pda::record(patient_id, record_index).0,
        consent: pda::consent(patient_id, provider_id).0,
        log_page: pda::log_page(patient_id, log_page).0,
    }
}

pub fn access_record(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    record_index: u32,
    log_page: u32,
    purpose: Purpose,
) -> Instruction {
    build(
        access_record_accounts(signer, provider_id, patient_id, record_index, log_page),
        instruction::AccessRecord {
            args: AccessArgs { purpose },
        },
    )
}

/// `next_index` is the patient's `record_count`; `log_page` its current page.
pub fn write_record_accounts(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    next_index: u32,
    log_page: u32,
) -> accounts::WriteRecord {
    accounts::WriteRecord {
        signer,
        provider: pda::provider(provider_id).0,
        registry: pda::registry().0,
        patient: pda::patient(patient_id).0,
        consent: pda::consent(patient_id, provider_id).0,
        record: pda::record(patient_id, next_index).0,
        log_page: pda::log_page(patient_id, log_page).0,
        system_program: system_program::ID,
    }
}

pub fn write_record(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    next_index: u32,
    log_page: u32,
    args: WriteRecordArgs,
) -> Instruction {
    build(
        write_record_accounts(signer, provider_id, patient_id, next_index, log_page),
        instruction::WriteRecord { args },
    )
}

/// `current_page` is the patient's current (full) page index.
pub fn open_log_page_accounts(
    payer: Pubkey,
    patient_id: &Pubkey,
    current_page: u32,
) -> accounts::OpenLogPage {
    accounts::OpenLogPage {
        payer,
        patient: pda::patient(patient_id).0,
        current_page: pda::log_page(patient_id, current_page).0,
        next_page: pda::log_page(patient_id, current_page + 1).0,
        system_program: system_program::ID,
    }
}

pub fn open_log_page(payer: Pubkey, patient_id: &Pubkey, current_page: u32) -> Instruction {
    build(
        open_log_page_accounts(payer, patient_id, current_page),
        instruction::OpenLogPage {},
    )
}

// ---- emergency access -------------------------------------------------------

pub fn set_emergency_policy_accounts(authority: Pubkey) -> accounts::SetEmergencyPolicy {
    accounts::SetEmergencyPolicy {
        authority,
        registry: pda::registry().0,
    }
}

/// The registry authority sets the longest emergency window and the cooldown.
pub fn set_emergency_policy(authority: Pubkey, max_secs: u32, cooldown_secs: u32) -> Instruction {
    build(
        set_emergency_policy_accounts(authority),
        instruction::SetEmergencyPolicy {
            args: EmergencyPolicy {
                max_secs,
                cooldown_secs,
            },
        },
    )
}

pub fn set_provider_roles_accounts(
    authority: Pubkey,
    provider_id: &Pubkey,
) -> accounts::SetProviderRoles {
    accounts::SetProviderRoles {
        authority,
        registry: pda::registry().0,
        provider: pda::provider(provider_id).0,
    }
}

/// The registry authority sets a provider's roles (`codes::ROLE_EMERGENCY`).
pub fn set_provider_roles(authority: Pubkey, provider_id: &Pubkey, roles: u8) -> Instruction {
    build(
        set_provider_roles_accounts(authority, provider_id),
        instruction::SetProviderRoles {
            args: SetProviderRolesArgs { roles },
        },
    )
}

pub fn set_emergency_preferences_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
) -> accounts::SetEmergencyPreferences {
    accounts::SetEmergencyPreferences {
        authority,
        patient: pda::patient(patient_id).0,
    }
}

/// The patient opts out of emergency access, or excludes categories from it.
pub fn set_emergency_preferences(
    authority: Pubkey,
    patient_id: &Pubkey,
    opt_out: bool,
    excluded: u16,
) -> Instruction {
    build(
        set_emergency_preferences_accounts(authority, patient_id),
        instruction::SetEmergencyPreferences {
            args: EmergencyPreferences { opt_out, excluded },
        },
    )
}

/// `window` is the patient's `emergency_windows` (the next window's index);
/// `log_page` its current page.
pub fn open_emergency_accounts(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    window: u32,
    log_page: u32,
) -> accounts::OpenEmergency {
    accounts::OpenEmergency {
        signer,
        provider: pda::provider(provider_id).0,
        registry: pda::registry().0,
        patient: pda::patient(patient_id).0,
        window: pda::emergency_window(patient_id, window).0,
        tracker: pda::emergency_tracker(patient_id, provider_id).0,
        log_page: pda::log_page(patient_id, log_page).0,
        system_program: system_program::ID,
    }
}

pub fn open_emergency(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    window: u32,
    log_page: u32,
    reason: EmergencyReason,
    duration_secs: u32,
) -> Instruction {
    build(
        open_emergency_accounts(signer, provider_id, patient_id, window, log_page),
        instruction::OpenEmergency {
            args: OpenEmergencyArgs {
                reason,
                duration_secs,
            },
        },
    )
}

pub fn emergency_access_accounts(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    record_index: u32,
    window: u32,
    log_page: u32,
) -> accounts::EmergencyAccess {
    accounts::EmergencyAccess {
        signer,
        provider: pda::provider(provider_id).0,
        registry: pda::registry().0,
        patient: pda::patient(patient_id).0,
        record: pda::record(patient_id, record_index).0,
        window: pda::emergency_window(patient_id, window).0,
        log_page: pda::log_page(patient_id, log_page).0,
    }
}

/// An emergency read of one record inside window `window`.
pub fn emergency_access(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    record_index: u32,
    window: u32,
    log_page: u32,
) -> Instruction {
    build(
        emergency_access_accounts(
            signer,
            provider_id,
            patient_id,
            record_index,
            window,
            log_page,
        ),
        instruction::EmergencyAccess {},
    )
}

pub fn close_emergency_accounts(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    window: u32,
) -> accounts::CloseEmergency {
    accounts::CloseEmergency {
        signer,
        provider: pda::provider(provider_id).0,
        window: pda::emergency_window(patient_id, window).0,
        tracker: pda::emergency_tracker(patient_id, provider_id).0,
    }
}

/// The provider closes its window early.
pub fn close_emergency(
    signer: Pubkey,
    provider_id: &Pubkey,
    patient_id: &Pubkey,
    window: u32,
) -> Instruction {
    build(
        close_emergency_accounts(signer, provider_id, patient_id, window),
        instruction::CloseEmergency {},
    )
}

pub fn end_emergency_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
    window: u32,
) -> accounts::EndEmergency {
    accounts::EndEmergency {
        authority,
        patient: pda::patient(patient_id).0,
        window: pda::emergency_window(patient_id, window).0,
        tracker: pda::emergency_tracker(patient_id, provider_id).0,
    }
}

/// The patient ends window `window` (opened by `provider_id`) at once.
pub fn end_emergency(
    authority: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
    window: u32,
) -> Instruction {
    build(
        end_emergency_accounts(authority, patient_id, provider_id, window),
        instruction::EndEmergency {},
    )
}

pub fn review_emergency_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    window: u32,
) -> accounts::ReviewEmergency {
    accounts::ReviewEmergency {
        authority,
        registry: pda::registry().0,
        window: pda::emergency_window(patient_id, window).0,
    }
}

/// The registry authority's verdict on an ended window.
pub fn review_emergency(
    authority: Pubkey,
    patient_id: &Pubkey,
    window: u32,
    verdict: Verdict,
) -> Instruction {
    build(
        review_emergency_accounts(authority, patient_id, window),
        instruction::ReviewEmergency {
            args: ReviewEmergencyArgs { verdict },
        },
    )
}

pub fn acknowledge_emergency_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    window: u32,
) -> accounts::AcknowledgeEmergency {
    accounts::AcknowledgeEmergency {
        authority,
        patient: pda::patient(patient_id).0,
        window: pda::emergency_window(patient_id, window).0,
    }
}

/// The patient acknowledges a window.
pub fn acknowledge_emergency(authority: Pubkey, patient_id: &Pubkey, window: u32) -> Instruction {
    build(
        acknowledge_emergency_accounts(authority, patient_id, window),
        instruction::AcknowledgeEmergency {},
    )
}

// ---- guardians --------------------------------------------------------------

pub fn set_guardians_accounts(authority: Pubkey, patient_id: &Pubkey) -> accounts::SetGuardians {
    accounts::SetGuardians {
        authority,
        patient: pda::patient(patient_id).0,
        guardian_set: pda::guardian_set(patient_id).0,
        system_program: system_program::ID,
    }
}

/// The patient's authority sets the guardians, threshold and mode
/// (`GuardianMode::None`, no keys, threshold 0: removes them).
pub fn set_guardians(
    authority: Pubkey,
    patient_id: &Pubkey,
    guardians: Vec<Pubkey>,
    threshold: u8,
    mode: GuardianMode,
) -> Instruction {
    build(
        set_guardians_accounts(authority, patient_id),
        instruction::SetGuardians {
            args: SetGuardiansArgs {
                guardians,
                threshold,
                mode,
            },
        },
    )
}

/// `index` is the set's `proposals` (the next proposal's index).
pub fn propose_guardian_action_accounts(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
) -> accounts::ProposeGuardianAction {
    accounts::ProposeGuardianAction {
        guardian,
        patient: pda::patient(patient_id).0,
        guardian_set: pda::guardian_set(patient_id).0,
        proposal: pda::proposal(patient_id, index).0,
        system_program: system_program::ID,
    }
}

/// A guardian proposes `action` as proposal `index` of the patient.
pub fn propose_guardian_action(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    action: ProposalAction,
) -> Instruction {
    build(
        propose_guardian_action_accounts(guardian, patient_id, index),
        instruction::ProposeGuardianAction { args: action },
    )
}

pub fn approve_guardian_action(guardian: Pubkey, patient_id: &Pubkey, index: u32) -> Instruction {
    build(
        accounts::ApproveGuardianAction {
            guardian,
            guardian_set: pda::guardian_set(patient_id).0,
            proposal: pda::proposal(patient_id, index).0,
        },
        instruction::ApproveGuardianAction {},
    )
}

pub fn execute_guardian_grant_accounts(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    provider_id: &Pubkey,
) -> accounts::ExecuteGuardianGrant {
    accounts::ExecuteGuardianGrant {
        guardian,
        patient: pda::patient(patient_id).0,
        guardian_set: pda::guardian_set(patient_id).0,
        proposal: pda::proposal(patient_id, index).0,
        provider: pda::provider(provider_id).0,
        consent: pda::consent(patient_id, provider_id).0,
        consent_history: pda::consent_history(patient_id).0,
        system_program: system_program::ID,
    }
}

pub fn execute_guardian_grant(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    provider_id: &Pubkey,
) -> Instruction {
    build(
        execute_guardian_grant_accounts(guardian, patient_id, index, provider_id),
        instruction::ExecuteGuardianGrant {},
    )
}

pub fn execute_guardian_update(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    provider_id: &Pubkey,
) -> Instruction {
    build(
        accounts::ExecuteGuardianUpdate {
            guardian,
            patient: pda::patient(patient_id).0,
            guardian_set: pda::guardian_set(patient_id).0,
            proposal: pda::proposal(patient_id, index).0,
            consent: pda::consent(patient_id, provider_id).0,
            consent_history: pda::consent_history(patient_id).0,
        },
        instruction::ExecuteGuardianUpdate {},
    )
}

/// A recovery or hand-over; `new_authority` co-signs.
pub fn execute_guardian_recovery(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    new_authority: Pubkey,
) -> Instruction {
    build(
        accounts::ExecuteGuardianRecovery {
            guardian,
            patient: pda::patient(patient_id).0,
            guardian_set: pda::guardian_set(patient_id).0,
            proposal: pda::proposal(patient_id, index).0,
            new_authority,
        },
        instruction::ExecuteGuardianRecovery {},
    )
}

/// A change of the patient's emergency preferences.
pub fn execute_guardian_preferences(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
) -> Instruction {
    build(
        accounts::ExecuteGuardianPreferences {
            guardian,
            patient: pda::patient(patient_id).0,
            guardian_set: pda::guardian_set(patient_id).0,
            proposal: pda::proposal(patient_id, index).0,
        },
        instruction::ExecuteGuardianPreferences {},
    )
}

/// A single guardian revokes a consent at once; the rent goes to the
/// patient's current authority `refund`.
pub fn guardian_revoke_consent(
    guardian: Pubkey,
    patient_id: &Pubkey,
    provider_id: &Pubkey,
    refund: Pubkey,
) -> Instruction {
    build(
        accounts::GuardianRevokeConsent {
            guardian,
            patient: pda::patient(patient_id).0,
            guardian_set: pda::guardian_set(patient_id).0,
            consent: pda::consent(patient_id, provider_id).0,
            refund,
            consent_history: pda::consent_history(patient_id).0,
        },
        instruction::GuardianRevokeConsent {},
    )
}

// --- research studies ---

pub fn create_study_accounts(
    signer: Pubkey,
    sponsor_id: &Pubkey,
    number: u32,
) -> accounts::CreateStudy {
    accounts::CreateStudy {
        signer,
        provider: pda::provider(sponsor_id).0,
        registry: pda::registry().0,
        study: pda::study(sponsor_id, number).0,
        system_program: system_program::ID,
    }
}

/// The sponsor's current key `signer` creates study `number` of `sponsor_id`.
pub fn create_study(
    signer: Pubkey,
    sponsor_id: &Pubkey,
    number: u32,
    terms: StudyTerms,
) -> Instruction {
    build(
        create_study_accounts(signer, sponsor_id, number),
        instruction::CreateStudy {
            args: CreateStudyArgs { number, terms },
        },
    )
}

pub fn approve_study_accounts(authority: Pubkey, study: Pubkey) -> accounts::ApproveStudy {
    accounts::ApproveStudy {
        authority,
        registry: pda::registry().0,
        study,
    }
}

/// The registry authority approves `study` (its address).
pub fn approve_study(authority: Pubkey, study: Pubkey) -> Instruction {
    build(
        approve_study_accounts(authority, study),
        instruction::ApproveStudy {},
    )
}

pub fn close_study_accounts(
    signer: Pubkey,
    sponsor_id: &Pubkey,
    study: Pubkey,
) -> accounts::CloseStudy {
    accounts::CloseStudy {
        signer,
        registry: pda::registry().0,
        provider: pda::provider(sponsor_id).0,
        study,
    }
}

/// The sponsor's current key or the registry authority closes `study`.
pub fn close_study(signer: Pubkey, sponsor_id: &Pubkey, study: Pubkey) -> Instruction {
    build(
        close_study_accounts(signer, sponsor_id, study),
        instruction::CloseStudy {},
    )
}

pub fn enroll_in_study_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    study: Pubkey,
) -> accounts::EnrollInStudy {
    accounts::EnrollInStudy {
        authority,
        patient: pda::patient(patient_id).0,
        study,
        enrollment: pda::enrollment(&study, patient_id).0,
        consent_history: pda::consent_history(patient_id).0,
        system_program: system_program::ID,
    }
}

/// The patient's authority enrols the patient in `study`.
pub fn enroll_in_study(
    authority: Pubkey,
    patient_id: &Pubkey,
    study: Pubkey,
    categories: u16,
    until: i64,
) -> Instruction {
    build(
        enroll_in_study_accounts(authority, patient_id, study),
        instruction::EnrollInStudy {
            args: EnrollArgs { categories, until },
        },
    )
}

pub fn withdraw_from_study_accounts(
    authority: Pubkey,
    patient_id: &Pubkey,
    study: Pubkey,
) -> accounts::WithdrawFromStudy {
    accounts::WithdrawFromStudy {
        authority,
        patient: pda::patient(patient_id).0,
        study,
        enrollment: pda::enrollment(&study, patient_id).0,
        consent_history: pda::consent_history(patient_id).0,
    }
}

/// The patient's authority withdraws the patient from `study`.
pub fn withdraw_from_study(authority: Pubkey, patient_id: &Pubkey, study: Pubkey) -> Instruction {
    build(
        withdraw_from_study_accounts(authority, patient_id, study),
        instruction::WithdrawFromStudy {},
    )
}

/// A guardian executes proposal `index`, an enrolment of the patient in `study`.
pub fn execute_guardian_enroll(
    guardian: Pubkey,
    patient_id: &Pubkey,
    index: u32,
    study: Pubkey,
) -> Instruction {
    build(
        accounts::ExecuteGuardianEnroll {
            guardian,
            patient: pda::patient(patient_id).0,
            guardian_set: pda::guardian_set(patient_id).0,
            proposal: pda::proposal(patient_id, index).0,
            study,
            enrollment: pda::enrollment(&study, patient_id).0,
            consent_history: pda::consent_history(patient_id).0,
            system_program: system_program::ID,
        },
        instruction::ExecuteGuardianEnroll {},
    )
}

/// One guardian withdraws the patient from `study`.
pub fn guardian_withdraw_from_study(
    guardian: Pubkey,
    patient_id: &Pubkey,
    study: Pubkey,
) -> Instruction {
    build(
        accounts::GuardianWithdrawFromStudy {
            guardian,
            patient: pda::patient(patient_id).0,
            guardian_set: pda::guardian_set(patient_id).0,
            study,
            enrollment: pda::enrollment(&study, patient_id).0,
            consent_history: pda::consent_history(patient_id).0,
        },
        instruction::GuardianWithdrawFromStudy {},
    )
}

/// `index` is the study's `releases` (the next release's index).
pub fn record_release_accounts(
    custodian: Pubkey,
    sponsor_id: &Pubkey,
    study: Pubkey,
    index: u32,
) -> accounts::RecordRelease {
    accounts::RecordRelease {
        custodian,
        study,
        provider: pda::provider(sponsor_id).0,
        registry: pda::registry().0,
        release: pda::study_release(&study, index).0,
        system_program: system_program::ID,
    }
}

/// The study's custodian records release `index` of `study`.
pub fn record_release(
    custodian: Pubkey,
    sponsor_id: &Pubkey,
    study: Pubkey,
    index: u32,
    facts: ReleaseFacts,
) -> Instruction {
    build(
        record_release_accounts(custodian, sponsor_id, study, index),
        instruction::RecordRelease { facts },
    )
}
