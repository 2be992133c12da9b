use hdx::codes::MODE_READ;
use hdx_tests::*;

#[test]
fn granted_access_returns_locator_and_logs() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let rec = f.record(&patient, Category::LabResults);
    f.grant_read(
        &patient,
        &provider,
        Category::LabResults,
        Purpose::Treatment,
    );
    let g = f
        .access(&provider, &patient, rec, Purpose::Treatment)
        .unwrap();
    assert_eq!(g.locator, b"vault://0".to_vec());
    let _ = MODE_READ;
    f.expect_denied(
        &provider,
        &patient,
        rec,
        Purpose::Research,
        Outcome::PurposeNotPermitted,
    );
    let log = f.client.log(&patient.pubkey()).unwrap();
    assert_eq!(log.entries().len(), 2);
    log.verify().unwrap();
}
