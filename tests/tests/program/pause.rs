//! Pausing: access and write are refused (no entry); revocation, key
//! rotation and renewal still work.

use hdx_sdk::codes::{MODE_READ, MODE_WRITE};
use hdx_sdk::ix;
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::state::Registry;

#[test]
fn pause_refuses_access_and_write_but_never_revocation() {
    let f = Fixture::new();
    let p = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(&patient, &p, MODE_WRITE | MODE_READ);
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    assert!(f.decode::<Registry>(&f.registry_address()).paused);

    f.fails_with(
        &[f.access_ix(f.access_accounts(&p, &patient, rec), Purpose::Treatment)],
        &p,
        &[],
        hdx(HdxError::ProgramPaused),
    );
    f.fails_with(
        &[f.write_ix(f.write_accounts(&p, &patient), f.write_args())],
        &p,
        &[],
        hdx(HdxError::ProgramPaused),
    );
    assert_eq!(f.log_len(&patient.pubkey()), 0);

    f.revoke(&patient, &p);
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), false)],
        &f.authority,
        &[],
    );
    f.expect_denied(&p, &patient, rec, Purpose::Treatment, Outcome::NoConsent);
}
