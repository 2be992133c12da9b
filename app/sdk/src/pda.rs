//! Program-derived addresses, from the program's own seed constants.
//! Patients and providers are named by their stable id (the key that
//! registered them), never by the key that currently signs for them.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use health_data_exchange::state::seeds;
use health_data_exchange::ID;

pub fn registry() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::REGISTRY], &ID)
}

/// The provider directory's hash account (one).
pub fn directory() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::DIRECTORY], &ID)
}

/// A provider's licence attestation under a credential policy: the
/// attestation service's address for (issuer credential, schema, provider id).
pub fn attestation(credential: &Pubkey, schema: &Pubkey, provider_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            health_data_exchange::state::ATTESTATION_SEED,
            credential.as_ref(),
            schema.as_ref(),
            provider_id.as_ref(),
        ],
        &health_data_exchange::codes::ATTESTATION_PROGRAM_ID,
    )
}

pub fn provider(provider_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::PROVIDER, provider_id.as_ref()], &ID)
}

pub fn patient(patient_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::PATIENT, patient_id.as_ref()], &ID)
}

pub fn record(patient_id: &Pubkey, index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::RECORD, patient_id.as_ref(), &index.to_le_bytes()],
        &ID,
    )
}

pub fn consent(patient_id: &Pubkey, provider_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::CONSENT, patient_id.as_ref(), provider_id.as_ref()],
        &ID,
    )
}

pub fn log_page(patient_id: &Pubkey, page_index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::LOG, patient_id.as_ref(), &page_index.to_le_bytes()],
        &ID,
    )
}

/// The program's ProgramData account (upgradeable loader), whose upgrade
/// authority may initialise the registry.
pub fn program_data() -> Pubkey {
    Pubkey::find_program_address(&[ID.as_ref()], &bpf_loader_upgradeable::ID).0
}

/// The patient's consent-history address: no account lives there; every
/// consent change of the patient carries it (list them with
/// `getSignaturesForAddress`).
pub fn consent_history(patient_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::CONSENT_HISTORY, patient_id.as_ref()], &ID)
}

/// The patient's emergency window number `index`.
pub fn emergency_window(patient_id: &Pubkey, index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::EMERGENCY, patient_id.as_ref(), &index.to_le_bytes()],
        &ID,
    )
}

/// The (patient, provider) emergency tracker: the cooldown's clock.
pub fn emergency_tracker(patient_id: &Pubkey, provider_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            seeds::EMERGENCY_TRACKER,
            patient_id.as_ref(),
            provider_id.as_ref(),
        ],
        &ID,
    )
}

/// The patient's guardian set.
pub fn guardian_set(patient_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::GUARDIANS, patient_id.as_ref()], &ID)
}

/// The guardians' proposal number `index` for a patient.
pub fn proposal(patient_id: &Pubkey, index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::PROPOSAL, patient_id.as_ref(), &index.to_le_bytes()],
        &ID,
    )
}

/// Study `number` of the sponsor (a provider, by id).
pub fn study(sponsor_id: &Pubkey, number: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::STUDY, sponsor_id.as_ref(), &number.to_le_bytes()],
        &ID,
    )
}

/// The patient's enrolment in `study` (the study's address).
pub fn enrollment(study: &Pubkey, patient_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::ENROLLMENT, study.as_ref(), patient_id.as_ref()],
        &ID,
    )
}

/// Release `index` of `study` (the study's address): its log's entry `index`.
pub fn study_release(study: &Pubkey, index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::STUDY_RELEASE, study.as_ref(), &index.to_le_bytes()],
        &ID,
    )
}
