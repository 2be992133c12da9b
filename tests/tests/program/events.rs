//! Events are visible in native runs and carry who, what and the outcome.

use hdx_sdk::codes::{ProviderStatus, MODE_READ};
use hdx_sdk::events::HdxEvent;
use hdx_sdk::ix;
use hdx_tests::*;
use health_data_exchange::codes::Actor;
use health_data_exchange::events::*;
use health_data_exchange::{AddRecordArgs, ConsentTerms};

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
    assert_eq!(
        only(&r),
        HdxEvent::ProviderRegistered(ProviderRegistered {
            provider: p.pubkey(),
            number: 0,
            kind: health_data_exchange::codes::ProviderKind::Laboratory,
            identifier_system: health_data_exchange::codes::IdentifierSystem::Unspecified,
        })
    );
    let r = f.ok(
        &[ix::verify_provider(f.authority.pubkey(), &p.pubkey())],
        &f.authority,
        &[],
    );
    assert_eq!(
        only(&r),
        HdxEvent::ProviderStatusChanged(ProviderStatusChanged {
            provider: p.pubkey(),
            number: 0,
            previous: ProviderStatus::Pending,
            status: ProviderStatus::Verified,
        })
    );
    let patient = f.funded();
    let id = patient.pubkey();
    let r = f.ok(&[ix::register_patient(id)], &patient, &[]);
    assert_eq!(
        only(&r),
        HdxEvent::PatientRegistered(PatientRegistered { patient: id })
    );
    let r = f.ok(
        &[ix::add_record(
            id,
            &id,
            0,
            AddRecordArgs {
                category: Category::LabResults,
                clinical_day: 0,
                locator: b"v://1".to_vec(),
                content_hash: [1; 32],
            },
        )],
        &patient,
        &[],
    );
    assert_eq!(
        only(&r),
        HdxEvent::RecordAdded(RecordAdded {
            patient: id,
            index: 0,
            category: 0,
            author: id,
        })
    );
    let terms = ConsentTerms {
        renewal_period_secs: 10 * DAY as u32,
        renewals_allowed: 1,
        ..f.terms(1, MODE_READ, 1, 10)
    };
    let r = f.ok(
        &[ix::grant_consent(id, &id, &p.pubkey(), terms)],
        &patient,
        &[],
    );
    assert_eq!(
        only(&r),
        HdxEvent::ConsentGranted(ConsentGranted {
            patient: id,
            provider: p.pubkey(),
            revision: 1,
            terms,
            actor: Actor::Patient,
            signer: id,
            proposal: None,
            at: f.now(),
        })
    );
    let r = f.ok(
        &[ix::update_consent(id, &id, &p.pubkey(), terms)],
        &patient,
        &[],
    );
    assert_eq!(
        only(&r),
        HdxEvent::ConsentUpdated(ConsentUpdated {
            patient: id,
            provider: p.pubkey(),
            revision: 2,
            terms,
            actor: Actor::Patient,
            signer: id,
            proposal: None,
            at: f.now(),
        })
    );
    let r = f.ok(
        &[f.access_ix(f.access_accounts(&p, &patient, 0), Purpose::Treatment)],
        &p,
        &[],
    );
    assert_eq!(
        only(&r),
        HdxEvent::AccessRecorded(AccessRecorded {
            patient: id,
            sequence: 0,
            provider: 0,
            time: f.now() as u32,
            record_index: 0,
            basis: 2,
            category: 0,
            action: 0,
            purpose: 0,
            outcome: Outcome::Granted.code(),
        })
    );
    f.advance(9 * DAY);
    let r = f.ok(&[ix::renew_consent(&id, &p.pubkey())], &p, &[]);
    assert_eq!(
        only(&r),
        HdxEvent::ConsentRenewed(ConsentRenewed {
            patient: id,
            provider: p.pubkey(),
            revision: 3,
            expires_at: terms.expires_at + 10 * DAY,
            renewals_used: 1,
            at: f.now(),
        })
    );
    let r = f.ok(&[ix::revoke_consent(id, &id, &p.pubkey())], &patient, &[]);
    assert_eq!(
        only(&r),
        HdxEvent::ConsentRevoked(ConsentRevoked {
            patient: id,
            provider: p.pubkey(),
            revision: 3,
            actor: Actor::Patient,
            signer: id,
            at: f.now(),
        })
    );
    let r = f.ok(
        &[ix::set_paused(f.authority.pubkey(), true)],
        &f.authority,
        &[],
    );
    assert_eq!(only(&r), HdxEvent::PausedSet(PausedSet { paused: true }));
}

/// The one event a transaction emitted.
#[test]
fn published_memcmp_offsets_match_real_account_bytes() {
    use hdx_sdk::accounts::offsets;
    use hdx_sdk::pda;
    let f = Fixture::new();
    let (provider, patient, _) = f.lab_consent();
    let (p, pt) = (provider.pubkey(), patient.pubkey());
    let bytes = |addr: Pubkey| f.account(&addr).unwrap().data;
    let at = |data: &[u8], off: usize| Pubkey::try_from(&data[off..off + 32]).unwrap();

    // Rotate both, so ids and current keys differ and each offset is told apart.
    let new_key = f.rotate_provider(&p, &provider);
    let new_authority = f.rotate_patient(&pt, &patient);
    let prov = bytes(pda::provider(&p).0);
    assert_eq!(at(&prov, offsets::PROVIDER_ID), p);
    assert_eq!(at(&prov, offsets::PROVIDER_SIGNER), new_key.pubkey());
    assert_eq!(
        prov[offsets::PROVIDER_STATUS],
        hdx_sdk::codes::ProviderStatus::Verified.code()
    );
    assert_eq!(
        prov[offsets::PROVIDER_KIND],
        health_data_exchange::codes::ProviderKind::Hospital.code()
    );
    let number = f.client.provider(&p).unwrap().number;
    assert_eq!(
        prov[offsets::PROVIDER_NUMBER..offsets::PROVIDER_NUMBER + 4],
        number.to_le_bytes()
    );
    let pat = bytes(pda::patient(&pt).0);
    assert_eq!(at(&pat, offsets::PATIENT_ID), pt);
    assert_eq!(at(&pat, offsets::PATIENT_AUTHORITY), new_authority.pubkey());
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
