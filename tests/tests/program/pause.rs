//! Pausing: access and write are refused (no entry); revocation still works.

use hdx::codes::MODE_WRITE;
use hdx::ix;
use hdx_tests::*;
use health_data_exchange::error::HdxError;
use health_data_exchange::instructions::WriteRecordArgs;
use health_data_exchange::state::Registry;

#[test]
fn pause_refuses_access_and_write_but_never_revocation() {
    let f = Fixture::new();
    let p = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_all(&patient, &p, MODE_WRITE | hdx::codes::MODE_READ);
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    assert!(f.decode::<Registry>(&f.registry_address()).paused);

    let page = f.current_page(&patient.pubkey());
    f.fails_with(
        &[ix::access_record(
            p.pubkey(),
            &patient.pubkey(),
            rec,
            page,
            0,
        )],
        &p,
        &[],
        hdx(HdxError::ProgramPaused),
    );
    f.fails_with(
        &[ix::write_record(
            p.pubkey(),
            &patient.pubkey(),
            1,
            page,
            WriteRecordArgs {
                category: 0,
                locator: b"x".to_vec(),
                content_hash: [1; 32],
                purpose: 0,
            },
        )],
        &p,
        &[],
        hdx(HdxError::ProgramPaused),
    );
    assert_eq!(f.log_len(&patient.pubkey()), 0);

    f.ok(
        &[ix::revoke_consent(patient.pubkey(), &p.pubkey())],
        &patient,
        &[],
    );
    f.ok(
        &[ix::set_paused(f.authority.pubkey(), false)],
        &f.authority,
        &[],
    );
    f.expect_denied(&p, &patient, rec, Purpose::Treatment, Outcome::NoConsent);
}
