//! The eleven attack classes of the public sealevel-attacks catalogue, one
//! module each. Every attack is a transaction built by hand (explicit
//! account metas and instruction data), not through the SDK's builders.
//! SECURITY.md lists each class, our defence and the test.

use anchor_lang::InstructionData;
use solana_sdk::instruction::{AccountMeta, Instruction};

pub use hdx::transport::Transport;
pub use hdx_tests::*;

mod account_data_matching;
mod arbitrary_cpi;
mod bump_canonicalisation;
mod closing_accounts;
mod duplicate_mutable_accounts;
mod missing_signer;
mod owner_checks;
mod pda_sharing;
mod races;
mod reinitialisation;
mod sysvar_spoofing;
mod type_cosplay;

/// An instruction to our program with hand-written accounts.
pub fn raw(accounts: Vec<AccountMeta>, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: health_data_exchange::ID,
        accounts,
        data: data.data(),
    }
}

pub fn w(key: Pubkey) -> AccountMeta {
    AccountMeta::new(key, false)
}
pub fn r(key: Pubkey) -> AccountMeta {
    AccountMeta::new_readonly(key, false)
}
pub fn rs(key: Pubkey) -> AccountMeta {
    AccountMeta::new_readonly(key, true)
}

/// A world: a verified provider `p` with a live broad read/write consent from
/// `alice` (one lab record), and `bob` with one record and no consent.
pub struct World {
    pub f: Fixture,
    pub p: Keypair,
    pub alice: Keypair,
    pub bob: Keypair,
}

pub fn world() -> World {
    let f = Fixture::new();
    let p = f.verified_provider();
    let alice = f.patient();
    let bob = f.patient();
    f.record(&alice, Category::LabResults);
    f.record(&bob, Category::LabResults);
    f.grant_all(&alice, &p, hdx::codes::MODE_READ | hdx::codes::MODE_WRITE);
    World { f, p, alice, bob }
}

/// `access_record` for record 0 of `patient`, with the accounts spelled out.
/// Order: provider_signer, provider, registry, record, consent, log_page.
pub fn access_metas(provider: &Pubkey, patient: &Pubkey) -> Vec<AccountMeta> {
    use hdx::pda;
    vec![
        rs(*provider),
        r(pda::provider(provider).0),
        r(pda::registry().0),
        r(pda::record(patient, 0).0),
        r(pda::consent(patient, provider).0),
        w(pda::log_page(patient, 0).0),
    ]
}

pub fn access_data(purpose: u8) -> health_data_exchange::instruction::AccessRecord {
    health_data_exchange::instruction::AccessRecord { purpose }
}
