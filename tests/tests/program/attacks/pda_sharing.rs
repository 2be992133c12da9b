//! Class: PDA sharing — one PDA usable for two patients or providers.

use super::*;
use hdx_sdk::pda;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::Consent;

#[test]
fn every_pda_is_bound_to_its_own_ids() {
    // PDA sharing: seeds include both parties' ids, and the stored ids are checked.
    let w = world();
    let q = w.f.verified_provider();
    let (a, b, p) = (w.alice.pubkey(), w.bob.pubkey(), w.p.pubkey());
    assert_ne!(pda::consent(&a, &p).0, pda::consent(&b, &p).0);
    assert_ne!(pda::consent(&a, &p).0, pda::consent(&a, &q.pubkey()).0);
    assert_ne!(
        pda::consent(&a, &p).0,
        pda::consent(&p, &a).0,
        "argument order matters"
    );
    let c: Consent = w.f.decode(&pda::consent(&a, &p).0);
    assert_eq!((c.patient, c.provider), (a, p));

    // q presents Alice's consent for p: shared for another provider -> refused.
    w.f.fails_with(
        &[w.ix(AccessRecord {
            consent: pda::consent(&a, &p).0,
            ..w.f.access_accounts(&q, &w.alice, 0)
        })],
        &q,
        &[],
        hdx(HdxError::ConsentMismatch),
    );
    // p presents Alice's consent for Bob's record: shared for another patient -> refused.
    w.f.fails_with(
        &[w.ix(AccessRecord {
            consent: pda::consent(&a, &p).0,
            ..w.access(&w.bob)
        })],
        &w.p,
        &[],
        hdx(HdxError::ConsentMismatch),
    );
}
