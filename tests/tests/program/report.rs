//! The cost budgets of docs/DESIGN.md (through the shipped benchmark) and the demo story.

use hdx::cost::budget;
use hdx_tests::*;

#[test]
fn cost_budgets_are_met_by_the_shipped_benchmark() {
    let r = hdx::cost::run().expect("benchmark runs");
    assert!(r.budget_failures().is_empty(), "{:?}", r.budget_failures());
    assert!(r.log_bytes_per_access <= budget::LOG_BYTES_PER_ACCESS);
    assert!(r.log_rent_per_access <= budget::LOG_RENT_PER_ACCESS);
    assert!(r.consent_account_bytes <= budget::CONSENT_ACCOUNT_BYTES);
    assert!(r.access_tx_bytes <= budget::ACCESS_TX_BYTES);
    assert_eq!(
        r.access_writable_accounts, 3,
        "fee payer, log page, consent; never a global account"
    );
    assert!(r.log_bytes_per_access <= 32.0);
    assert!(r.log_rent_per_access <= 222_720);
    assert!(r.consent_account_bytes <= 160);
    assert_eq!(
        r.access_loaded_bytes_first, r.access_loaded_bytes_after_1000,
        "access work independent of log length"
    );
    let access = r
        .instructions
        .iter()
        .find(|i| i.instruction == "access_record (granted)")
        .unwrap();
    assert!(access.accounts_created.is_empty());
    assert!(r.enrollment_account_bytes <= budget::ENROLLMENT_ACCOUNT_BYTES);
    assert!(r.study_release_bytes <= budget::STUDY_RELEASE_BYTES);
    assert_eq!(
        r.study_release_writable_accounts, 3,
        "custodian, study, release; never a patient's account"
    );
}

#[test]
fn demo_story_runs_and_the_chain_verifies() {
    let mut out = Vec::new();
    hdx::demo::run(&mut out).expect("every demo step behaves as expected");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(hdx::demo::CHAIN_VERIFIED));
    for outcome in ["Granted", "CategoryNotPermitted", "NoConsent", "Expired"] {
        assert!(text.contains(outcome), "{outcome} in the trail");
    }
}

#[test]
fn an_access_writes_only_its_log_page_and_its_consent_never_a_global_account() {
    let (p, t) = (Pubkey::new_unique(), Pubkey::new_unique());
    let i = hdx_sdk::ix::access_record(p, &p, &t, 0, 7, Purpose::Treatment);
    let writable: Vec<Pubkey> = i
        .accounts
        .iter()
        .filter(|m| m.is_writable)
        .map(|m| m.pubkey)
        .collect();
    assert_eq!(
        writable,
        [
            hdx_sdk::pda::consent(&t, &p).0,
            hdx_sdk::pda::log_page(&t, 7).0
        ]
    );
    assert!(i
        .accounts
        .iter()
        .any(|m| m.pubkey == hdx_sdk::pda::registry().0 && !m.is_writable));
}
