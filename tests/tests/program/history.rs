//! The consent history: every transaction that changes a patient's consent
//! carries the patient's consent-history address, checked by the program, so
//! the history (read back from events) is complete; an access never carries
//! it; another address is refused.

use anchor_lang::error::ErrorCode as Anchor;
use hdx_sdk::codes::MODE_READ;
use hdx_sdk::history::{self, Ending, Origin};
use hdx_sdk::{ix, pda};
use hdx_tests::*;
use health_data_exchange::accounts;
use health_data_exchange::instruction;
use health_data_exchange::state::Consent;
use health_data_exchange::ConsentTerms;

#[test]
fn every_consent_change_and_nothing_else_is_listed_under_the_history_address() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    f.record(&patient, Category::LabResults);
    let granted = f.renewable(1);
    f.grant(&patient, &provider, granted);
    let t1 = f.now();
    f.access(&provider, &patient, 0, Purpose::Treatment)
        .expect("granted");
    f.advance(DAY);
    let updated = ConsentTerms {
        purposes: Purpose::Treatment.bit() | Purpose::Research.bit(),
        ..granted
    };
    f.update(&patient, &provider, updated);
    let t2 = f.now();
    f.access(&provider, &patient, 0, Purpose::Research)
        .expect("granted");
    f.advance(8 * DAY); // day 9 of 10: due
    let anyone = f.funded();
    f.ok(&[ix::renew_consent(&pt, &p)], &anyone, &[]);
    let t3 = f.now();
    f.advance(DAY);
    f.revoke(&patient, &provider);
    let t4 = f.now();
    f.advance(DAY);
    let again = f.terms(
        Category::LabResults.bit(),
        MODE_READ,
        Purpose::Treatment.bit(),
        5,
    );
    f.grant(&patient, &provider, again);
    let t5 = f.now();
    f.access(&provider, &patient, 0, Purpose::Treatment)
        .expect("granted");

    // Five transactions under the address: the five changes, no access.
    let listed =
        history::all_signatures(f.client.transport.as_ref(), &pda::consent_history(&pt).0).unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|s| s.succeeded));

    let accounts = f.client.consents(Some(&pt), None).unwrap();
    let versions = history::consent_history(f.client.transport.as_ref(), &pt, &accounts).unwrap();
    let summary: Vec<_> = versions
        .iter()
        .map(|v| (v.revision, v.origin, v.since, v.ended))
        .collect();
    assert_eq!(
        summary,
        [
            (1, Origin::Granted, t1, Some((t2, Ending::Updated))),
            (2, Origin::Updated, t2, Some((t3, Ending::Renewed))),
            (3, Origin::Renewed, t3, Some((t4, Ending::Revoked))),
            (4, Origin::Granted, t5, None),
        ]
    );
    assert_eq!(versions[0].terms, granted);
    assert_eq!(versions[1].terms, updated);
    assert_eq!(
        versions[2].terms,
        ConsentTerms {
            expires_at: updated.expires_at + 10 * DAY,
            ..updated
        }
    );
    assert_eq!(versions[3].terms, again);
    assert!(versions.iter().all(|v| v.provider == p && v.patient == pt));
    // Each logged access names the version in force, which the history has.
    let revisions: Vec<u32> = f.log(&pt).entries().iter().map(|e| e.entry.basis).collect();
    assert_eq!(revisions, [1, 2, 4]);
}

#[test]
fn a_consent_change_naming_another_history_address_is_refused() {
    let f = Fixture::new();
    let provider = f.verified_provider();
    let patient = f.patient();
    let other = f.patient();
    let (pt, p) = (patient.pubkey(), provider.pubkey());
    let wrong = [
        pda::consent_history(&other.pubkey()).0,
        Pubkey::new_unique(),
    ];
    let seeds = Anchor::ConstraintSeeds as u32;
    let terms = f.renewable(1);
    for address in wrong {
        let grant = ix::build(
            accounts::GrantConsent {
                consent_history: address,
                ..ix::grant_consent_accounts(pt, &pt, &p)
            },
            instruction::GrantConsent { terms },
        );
        f.fails_with(&[grant], &patient, &[], seeds);
    }
    f.grant(&patient, &provider, terms);
    for address in wrong {
        let update = ix::build(
            accounts::UpdateConsent {
                consent_history: address,
                ..ix::update_consent_accounts(pt, &pt, &p)
            },
            instruction::UpdateConsent { terms },
        );
        f.fails_with(&[update], &patient, &[], seeds);
        let revoke = ix::build(
            accounts::RevokeConsent {
                consent_history: address,
                ..ix::revoke_consent_accounts(pt, &pt, &p)
            },
            instruction::RevokeConsent {},
        );
        f.fails_with(&[revoke], &patient, &[], seeds);
    }
    f.advance(9 * DAY);
    let anyone = f.funded();
    for address in wrong {
        let renew = ix::build(
            accounts::RenewConsent {
                consent_history: address,
                ..ix::renew_consent_accounts(&pt, &p)
            },
            instruction::RenewConsent {},
        );
        f.fails_with(&[renew], &anyone, &[], seeds);
    }
    // Nothing changed: still revision 1, nothing under any address but the grant.
    let c: Consent = f.decode(&pda::consent(&pt, &p).0);
    assert_eq!(c.revision, 1);
    let listed =
        history::all_signatures(f.client.transport.as_ref(), &pda::consent_history(&pt).0).unwrap();
    assert_eq!(listed.iter().filter(|s| s.succeeded).count(), 1);
}
