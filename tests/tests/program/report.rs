//! The cost budgets of DESIGN.md (through the shipped benchmark) and the demo story.

use hdx::cost::budget;

#[test]
fn cost_budgets_are_met_by_the_shipped_benchmark() {
    let r = hdx::cost::run().expect("benchmark runs");
    assert!(r.budget_failures().is_empty(), "{:?}", r.budget_failures());
    assert!(r.log_bytes_per_access <= budget::LOG_BYTES_PER_ACCESS);
    assert!(r.log_rent_per_access <= budget::LOG_RENT_PER_ACCESS);
    assert!(r.consent_account_bytes <= budget::CONSENT_ACCOUNT_BYTES);
    assert!(r.access_tx_bytes <= budget::ACCESS_TX_BYTES);
    assert_eq!(r.access_writable_accounts, 2, "fee payer + log page only");
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
