//! One builder per instruction. Each returns a ready `Instruction` built from
//! the program's generated account and instruction-data types.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::instructions::{
    AddRecordArgs, InitializeRegistryArgs, RegisterProviderArgs, WriteRecordArgs,
};
use health_data_exchange::{accounts, instruction, ConsentTerms, ID};

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn initialize_registry(
    payer: Pubkey,
    upgrade_authority: Pubkey,
    args: InitializeRegistryArgs,
) -> Instruction {
    build(
        accounts::InitializeRegistry {
            payer,
            upgrade_authority,
            program_data: pda::program_data(),
            registry: pda::registry().0,
            system_program: system_program::ID,
        },
        instruction::InitializeRegistry { args },
    )
}

pub fn propose_registry_authority(authority: Pubkey, new_authority: Pubkey) -> Instruction {
    build(
        accounts::ProposeRegistryAuthority {
            authority,
            registry: pda::registry().0,
        },
        instruction::ProposeRegistryAuthority { new_authority },
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
        instruction::SetPaused { paused },
    )
}

pub fn register_provider(
    signer: Pubkey,
    kind: ProviderKind,
    credential_commitment: [u8; 32],
) -> Instruction {
    build(
        accounts::RegisterProvider {
            signer,
            provider: pda::provider(&signer).0,
            system_program: system_program::ID,
        },
        instruction::RegisterProvider {
            args: RegisterProviderArgs {
                kind,
                credential_commitment,
            },
        },
    )
}

fn status_accounts(authority: Pubkey, provider_signer: &Pubkey) -> accounts::SetProviderStatus {
    accounts::SetProviderStatus {
        authority,
        registry: pda::registry().0,
        provider: pda::provider(provider_signer).0,
    }
}

pub fn verify_provider(authority: Pubkey, provider_signer: &Pubkey) -> Instruction {
    build(
        status_accounts(authority, provider_signer),
        instruction::VerifyProvider {},
    )
}

pub fn suspend_provider(authority: Pubkey, provider_signer: &Pubkey) -> Instruction {
    build(
        status_accounts(authority, provider_signer),
        instruction::SuspendProvider {},
    )
}

pub fn reinstate_provider(authority: Pubkey, provider_signer: &Pubkey) -> Instruction {
    build(
        status_accounts(authority, provider_signer),
        instruction::ReinstateProvider {},
    )
}

pub fn register_patient(owner: Pubkey) -> Instruction {
    build(
        accounts::RegisterPatient {
            owner,
            patient: pda::patient(&owner).0,
            log_page: pda::log_page(&owner, 0).0,
            system_program: system_program::ID,
        },
        instruction::RegisterPatient {},
    )
}

/// `index` is the patient's current `record_count`.
pub fn add_record(
    owner: Pubkey,
    index: u32,
    category: u8,
    locator: Vec<u8>,
    content_hash: [u8; 32],
) -> Instruction {
    build(
        accounts::AddRecord {
            owner,
            patient: pda::patient(&owner).0,
            record: pda::record(&owner, index).0,
            system_program: system_program::ID,
        },
        instruction::AddRecord {
            args: AddRecordArgs {
                category,
                locator,
                content_hash,
            },
        },
    )
}

pub fn grant_consent(owner: Pubkey, provider_signer: &Pubkey, terms: ConsentTerms) -> Instruction {
    build(
        accounts::GrantConsent {
            owner,
            patient: pda::patient(&owner).0,
            provider: pda::provider(provider_signer).0,
            consent: pda::consent(&owner, provider_signer).0,
            system_program: system_program::ID,
        },
        instruction::GrantConsent { terms },
    )
}

pub fn update_consent(owner: Pubkey, provider_signer: &Pubkey, terms: ConsentTerms) -> Instruction {
    build(
        accounts::UpdateConsent {
            owner,
            consent: pda::consent(&owner, provider_signer).0,
        },
        instruction::UpdateConsent { terms },
    )
}

pub fn revoke_consent(owner: Pubkey, provider_signer: &Pubkey) -> Instruction {
    build(
        accounts::RevokeConsent {
            owner,
            consent: pda::consent(&owner, provider_signer).0,
        },
        instruction::RevokeConsent {},
    )
}

/// `log_page` is the patient's current page index (`Patient::current_log_page`).
pub fn access_record(
    provider_signer: Pubkey,
    patient: &Pubkey,
    record_index: u32,
    log_page: u32,
    purpose: u8,
) -> Instruction {
    build(
        accounts::AccessRecord {
            provider_signer,
            provider: pda::provider(&provider_signer).0,
            registry: pda::registry().0,
            record: pda::record(patient, record_index).0,
            consent: pda::consent(patient, &provider_signer).0,
            log_page: pda::log_page(patient, log_page).0,
        },
        instruction::AccessRecord { purpose },
    )
}

/// `next_index` is the patient's `record_count`; `log_page` its current page.
pub fn write_record(
    provider_signer: Pubkey,
    patient: &Pubkey,
    next_index: u32,
    log_page: u32,
    args: WriteRecordArgs,
) -> Instruction {
    build(
        accounts::WriteRecord {
            provider_signer,
            provider: pda::provider(&provider_signer).0,
            registry: pda::registry().0,
            patient: pda::patient(patient).0,
            consent: pda::consent(patient, &provider_signer).0,
            record: pda::record(patient, next_index).0,
            log_page: pda::log_page(patient, log_page).0,
            system_program: system_program::ID,
        },
        instruction::WriteRecord { args },
    )
}

/// `current_page` is the patient's current (full) page index.
pub fn open_log_page(payer: Pubkey, patient: &Pubkey, current_page: u32) -> Instruction {
    build(
        accounts::OpenLogPage {
            payer,
            patient: pda::patient(patient).0,
            current_page: pda::log_page(patient, current_page).0,
            next_page: pda::log_page(patient, current_page + 1).0,
            system_program: system_program::ID,
        },
        instruction::OpenLogPage {},
    )
}
