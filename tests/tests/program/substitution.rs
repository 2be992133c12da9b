//! Substitution attempts on `access_record`: another patient's consent or
//! record, another provider's account, an account not owned by the program,
//! an account of the wrong type, a fake "no consent" address. Every
//! substitution names the account it replaces (`AccessRecord { x, ..base }`).

use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::MODE_READ;
use hdx_sdk::pda;
use hdx_tests::*;
use health_data_exchange::accounts::AccessRecord;
use health_data_exchange::error::HdxError;

struct World {
    f: Fixture,
    p: Keypair,
    q: Keypair,
    alice: Keypair,
    bob: Keypair,
}

fn world() -> World {
    let f = Fixture::new();
    let p = f.verified_provider();
    let q = f.verified_provider();
    let alice = f.patient();
    let bob = f.patient();
    f.record(&alice, Category::LabResults);
    f.record(&bob, Category::LabResults);
    // Bob consents to p; Alice consents to q only.
    f.grant_all(&bob, &p, MODE_READ);
    f.grant_all(&alice, &q, MODE_READ);
    World {
        f,
        p,
        q,
        alice,
        bob,
    }
}

impl World {
    /// p reads `patient`'s record 0.
    fn base(&self, patient: &Keypair) -> AccessRecord {
        self.f.access_accounts(&self.p, patient, 0)
    }

    fn refused(&self, accounts: AccessRecord, code: u32) {
        self.f.fails_with(
            &[self.f.access_ix(accounts, Purpose::Treatment)],
            &self.p,
            &[],
            code,
        );
    }
}

#[test]
fn another_patients_consent_is_refused() {
    let w = world();
    // p reads Alice's record presenting Bob's consent (which names p).
    w.refused(
        AccessRecord {
            consent: pda::consent(&w.bob.pubkey(), &w.p.pubkey()).0,
            ..w.base(&w.alice)
        },
        hdx(HdxError::ConsentMismatch),
    );
    assert_eq!(w.f.log_len(&w.alice.pubkey()), 0);
}

#[test]
fn another_providers_consent_is_refused() {
    let w = world();
    // p presents Alice's consent for q.
    w.refused(
        AccessRecord {
            consent: pda::consent(&w.alice.pubkey(), &w.q.pubkey()).0,
            ..w.base(&w.alice)
        },
        hdx(HdxError::ConsentMismatch),
    );
}

#[test]
fn another_patients_record_with_this_patients_log_is_refused() {
    let w = world();
    // Bob's log and consent, Alice's record.
    w.refused(
        AccessRecord {
            record: pda::record(&w.alice.pubkey(), 0).0,
            ..w.base(&w.bob)
        },
        hdx(HdxError::LogPagePatientMismatch),
    );
    assert_eq!(w.f.log_len(&w.bob.pubkey()), 0);
}

#[test]
fn another_providers_account_is_refused() {
    let w = world();
    w.refused(
        AccessRecord {
            provider: pda::provider(&w.q.pubkey()).0,
            ..w.base(&w.bob)
        },
        hdx(HdxError::NotProviderKey),
    );
}

#[test]
fn an_account_not_owned_by_the_program_is_refused() {
    let w = world();
    // A system-owned account holding a copy of a real record's bytes.
    let real = w.f.account(&pda::record(&w.bob.pubkey(), 0).0).unwrap();
    let forged = Pubkey::new_unique();
    w.f.ledger().set_account(
        &forged,
        solana_sdk::account::Account {
            owner: anchor_lang::system_program::ID,
            ..real
        },
    );
    w.refused(
        AccessRecord {
            record: forged,
            ..w.base(&w.bob)
        },
        anchor(Anchor::AccountOwnedByWrongProgram),
    );
}

#[test]
fn an_account_of_the_wrong_type_is_refused() {
    let w = world();
    // A consent where a record is expected, a record where the log page is
    // expected, a record where the consent is expected.
    let consent = pda::consent(&w.bob.pubkey(), &w.p.pubkey()).0;
    let record = pda::record(&w.bob.pubkey(), 0).0;
    for accounts in [
        AccessRecord {
            record: consent,
            ..w.base(&w.bob)
        },
        AccessRecord {
            log_page: record,
            ..w.base(&w.bob)
        },
        AccessRecord {
            consent: record,
            ..w.base(&w.bob)
        },
    ] {
        w.refused(accounts, anchor(Anchor::AccountDiscriminatorMismatch));
    }
    assert_eq!(w.f.log_len(&w.bob.pubkey()), 0);
}

#[test]
fn a_fake_empty_consent_address_cannot_claim_no_consent() {
    let w = world();
    w.refused(
        AccessRecord {
            consent: Pubkey::new_unique(),
            ..w.base(&w.bob)
        },
        hdx(HdxError::ConsentAddressMismatch),
    );
    assert_eq!(w.f.log_len(&w.bob.pubkey()), 0);
}

#[test]
fn a_signer_other_than_the_providers_key_cannot_use_its_account() {
    let w = world();
    let mallory = w.f.funded();
    w.f.fails_with(
        &[w.f.access_ix(
            AccessRecord {
                signer: mallory.pubkey(),
                ..w.base(&w.bob)
            },
            Purpose::Treatment,
        )],
        &mallory,
        &[],
        hdx(HdxError::NotProviderKey),
    );
}
