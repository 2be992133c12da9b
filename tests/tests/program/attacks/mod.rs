//! The eleven attack classes of the public sealevel-attacks catalogue, one
//! module each, plus pre-funding (griefing account creation). Every attack
//! substitutes accounts by name into the generated accounts struct
//! (`AccessRecord { consent: x, ..base }`), or flips a named account's
//! signer/writable flag, so adding an account can never silently change
//! what an attack attacks. SECURITY.md lists each class, our defence and the test.

use solana_sdk::instruction::Instruction;

pub use hdx_sdk::transport::Transport;
pub use hdx_tests::*;
pub use health_data_exchange::accounts::AccessRecord;

mod account_data_matching;
mod arbitrary_cpi;
mod bump_canonicalisation;
mod closing_accounts;
mod duplicate_mutable_accounts;
mod emergency;
mod guardians;
mod missing_signer;
mod owner_checks;
mod pda_sharing;
mod prefunding;
mod races;
mod reinitialisation;
mod studies;
mod sysvar_spoofing;
mod type_cosplay;

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
    f.grant_all(
        &alice,
        &p,
        hdx_sdk::codes::MODE_READ | hdx_sdk::codes::MODE_WRITE,
    );
    World { f, p, alice, bob }
}

impl World {
    /// `access_record`'s accounts for `p` reading `patient`'s record 0: the
    /// base every attack substitutes into, by name.
    pub fn access(&self, patient: &Keypair) -> AccessRecord {
        self.f.access_accounts(&self.p, patient, 0)
    }

    /// The instruction from (substituted) accounts, for treatment.
    pub fn ix(&self, accounts: AccessRecord) -> Instruction {
        self.f.access_ix(accounts, Purpose::Treatment)
    }
}
