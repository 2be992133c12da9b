//! The program-derived addresses a release reads, remembered: deriving one
//! searches bump seeds, hashing and testing a curve point per try (a few
//! per cent of a release's CPU, five addresses each time). A derivation is a
//! pure function of its seeds, so a remembered address is always right; the
//! memory is bounded (forgotten all at once when full).

use std::collections::HashMap;
use std::sync::Mutex;

use anchor_lang::prelude::Pubkey;

/// What an address is derived from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Seeds {
    Provider(Pubkey),
    Patient(Pubkey),
    LogPage(Pubkey, u32),
    Record(Pubkey, u32),
    Consent(Pubkey, Pubkey),
}

impl Seeds {
    fn derive(self) -> Pubkey {
        use hdx_sdk::pda;
        match self {
            Seeds::Provider(id) => pda::provider(&id).0,
            Seeds::Patient(id) => pda::patient(&id).0,
            Seeds::LogPage(patient, page) => pda::log_page(&patient, page).0,
            Seeds::Record(patient, index) => pda::record(&patient, index).0,
            Seeds::Consent(patient, provider) => pda::consent(&patient, &provider).0,
        }
    }
}

/// Remembered derivations, at most `capacity` of them.
pub struct Addresses {
    known: Mutex<HashMap<Seeds, Pubkey>>,
    capacity: usize,
}

impl Addresses {
    /// About 100 bytes an address: 16,384 of them hold under 2 MB.
    pub const CAPACITY: usize = 16_384;

    pub fn new(capacity: usize) -> Addresses {
        Addresses {
            known: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The address `seeds` derive (remembered, or derived now and remembered).
    pub fn of(&self, seeds: Seeds) -> Pubkey {
        let known = || self.known.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(address) = known().get(&seeds) {
            return *address;
        }
        // Derived outside the lock: releases beside this one are not held up.
        let address = seeds.derive();
        let mut known = known();
        if known.len() >= self.capacity {
            known.clear();
        }
        known.insert(seeds, address);
        address
    }

    /// How many are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_address_is_the_derived_one_and_memory_stays_bounded() {
        let addresses = Addresses::new(3);
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let all = [
            Seeds::Provider(a),
            Seeds::Patient(a),
            Seeds::LogPage(a, 0),
            Seeds::LogPage(a, u32::MAX),
            Seeds::Record(a, 0),
            Seeds::Record(b, 0),
            Seeds::Consent(a, b),
            Seeds::Consent(b, a),
        ];
        for round in 0..3 {
            for seeds in all {
                assert_eq!(
                    addresses.of(seeds),
                    seeds.derive(),
                    "{seeds:?}, round {round}"
                );
                assert!(addresses.len() <= 3, "{} remembered", addresses.len());
            }
        }
        // Same seeds of another kind are another address.
        assert_ne!(
            addresses.of(Seeds::Provider(a)),
            addresses.of(Seeds::Patient(a))
        );
        assert_eq!(
            addresses.of(Seeds::Record(a, 1)),
            hdx_sdk::pda::record(&a, 1).0
        );
    }
}
