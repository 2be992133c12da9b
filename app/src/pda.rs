//! Program-derived addresses, from the program's own seed constants.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use health_data_exchange::state::seeds;
use health_data_exchange::ID;

pub fn registry() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::REGISTRY], &ID)
}

pub fn provider(signer: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::PROVIDER, signer.as_ref()], &ID)
}

pub fn patient(owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::PATIENT, owner.as_ref()], &ID)
}

pub fn record(patient: &Pubkey, index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::RECORD, patient.as_ref(), &index.to_le_bytes()],
        &ID,
    )
}

pub fn consent(patient: &Pubkey, provider: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::CONSENT, patient.as_ref(), provider.as_ref()], &ID)
}

pub fn log_page(patient: &Pubkey, page_index: u32) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::LOG, patient.as_ref(), &page_index.to_le_bytes()],
        &ID,
    )
}

/// The program's ProgramData account (upgradeable loader), whose upgrade
/// authority may initialise the registry.
pub fn program_data() -> Pubkey {
    Pubkey::find_program_address(&[ID.as_ref()], &bpf_loader_upgradeable::ID).0
}
