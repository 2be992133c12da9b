//! Events are visible in native runs and carry who, what and the outcome.

use hdx::codes::MODE_READ;
use hdx::events::{parse_logs, HdxEvent};
use hdx::ix;
use hdx_tests::*;
use health_data_exchange::events::*;

#[test]
fn every_state_change_emits_its_event() {
    let f = Fixture::new();
    let p = f.funded();
    let r = f.ok(
        &[ix::register_provider(
            p.pubkey(),
            health_data_exchange::codes::ProviderKind::Laboratory,
            [1; 32],
        )],
        &p,
        &[],
    );
    assert!(
        matches!(&parse_logs(&r.logs)[..], [HdxEvent::ProviderRegistered(e)] if e.provider == p.pubkey())
    );
    let r = f.ok(
        &[ix::verify_provider(f.authority.pubkey(), &p.pubkey())],
        &f.authority,
        &[],
    );
    assert!(
        matches!(&parse_logs(&r.logs)[..], [HdxEvent::ProviderStatusChanged(e)] if e.status == hdx::codes::ProviderStatus::Verified)
    );
    let patient = f.funded();
    let r = f.ok(&[ix::register_patient(patient.pubkey())], &patient, &[]);
    assert!(matches!(
        &parse_logs(&r.logs)[..],
        [HdxEvent::PatientRegistered(_)]
    ));
    let r = f.ok(
        &[ix::add_record(
            patient.pubkey(),
            0,
            0,
            b"v://1".to_vec(),
            [1; 32],
        )],
        &patient,
        &[],
    );
    assert!(
        matches!(&parse_logs(&r.logs)[..], [HdxEvent::RecordAdded(e)] if e.index == 0 && e.author == patient.pubkey())
    );
    let terms = f.terms(1, MODE_READ, 1, 30);
    let r = f.ok(
        &[ix::grant_consent(patient.pubkey(), &p.pubkey(), terms)],
        &patient,
        &[],
    );
    assert!(
        matches!(&parse_logs(&r.logs)[..], [HdxEvent::ConsentGranted(e)] if e.expires_at == terms.expires_at)
    );
    let r = f.ok(
        &[ix::update_consent(patient.pubkey(), &p.pubkey(), terms)],
        &patient,
        &[],
    );
    assert!(matches!(
        &parse_logs(&r.logs)[..],
        [HdxEvent::ConsentUpdated(_)]
    ));
    let r = f.ok(
        &[ix::access_record(p.pubkey(), &patient.pubkey(), 0, 0, 0)],
        &p,
        &[],
    );
    match &parse_logs(&r.logs)[..] {
        [HdxEvent::AccessRecorded(e)] => assert_eq!(
            e,
            &AccessRecorded {
                patient: patient.pubkey(),
                provider: p.pubkey(),
                sequence: 0,
                record_index: 0,
                category: 0,
                action: 0,
                purpose: 0,
                outcome: Outcome::Granted.code(),
            }
        ),
        other => panic!("{other:?}"),
    }
    let r = f.ok(
        &[ix::revoke_consent(patient.pubkey(), &p.pubkey())],
        &patient,
        &[],
    );
    assert!(matches!(
        &parse_logs(&r.logs)[..],
        [HdxEvent::ConsentRevoked(_)]
    ));
    let r = f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    assert!(matches!(
        &parse_logs(&r.logs)[..],
        [HdxEvent::PausedSet(PausedSet { paused: true })]
    ));
}

#[test]
fn published_memcmp_offsets_match_real_account_bytes() {
    use hdx::accounts::offsets;
    use hdx::pda;
    let f = Fixture::new();
    let (provider, patient, _) = f.lab_consent();
    let (p, pt) = (provider.pubkey(), patient.pubkey());
    let bytes = |addr: Pubkey| f.account(&addr).unwrap().data;
    let at = |data: &[u8], off: usize| Pubkey::try_from(&data[off..off + 32]).unwrap();

    let prov = bytes(pda::provider(&p).0);
    assert_eq!(at(&prov, offsets::PROVIDER_SIGNER), p);
    assert_eq!(
        prov[offsets::PROVIDER_STATUS],
        hdx::codes::ProviderStatus::Verified as u8
    );
    assert_eq!(
        prov[offsets::PROVIDER_KIND],
        health_data_exchange::codes::ProviderKind::Hospital as u8
    );
    assert_eq!(at(&bytes(pda::patient(&pt).0), offsets::PATIENT_OWNER), pt);
    let rec = bytes(pda::record(&pt, 0).0);
    assert_eq!(
        (
            at(&rec, offsets::RECORD_PATIENT),
            at(&rec, offsets::RECORD_AUTHOR)
        ),
        (pt, pt)
    );
    let consent = bytes(pda::consent(&pt, &p).0);
    assert_eq!(
        (
            at(&consent, offsets::CONSENT_PATIENT),
            at(&consent, offsets::CONSENT_PROVIDER)
        ),
        (pt, p)
    );
    assert_eq!(
        at(&bytes(pda::log_page(&pt, 0).0), offsets::LOG_PAGE_PATIENT),
        pt
    );
}
