//! Invariant 6: no personal health information on-chain. Walks every account
//! and event type in the committed IDL: no strings at all, and the only byte
//! vector is the bounded record locator.

use hdx::errors::IDL_JSON;

#[test]
fn invariant_6_no_account_or_event_field_can_carry_free_text() {
    let idl: serde_json::Value = serde_json::from_str(IDL_JSON).unwrap();
    let names: Vec<&str> = idl["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(idl["events"].as_array().unwrap())
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Record") && names.contains(&"AccessRecorded"));
    let mut checked = 0;
    for ty in idl["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if !names.contains(&name) {
            continue;
        }
        for field in ty["type"]["fields"].as_array().into_iter().flatten() {
            let fname = field["name"].as_str().unwrap();
            let t = field["type"].to_string();
            assert!(!t.contains("string"), "{name}.{fname} is a string: {t}");
            if t.contains("bytes") || t.contains("vec") {
                assert_eq!(
                    (name, fname),
                    ("Record", "locator"),
                    "{name}.{fname} is an unbounded vector: {t}"
                );
            }
            for banned in ["name", "birth", "dob", "diagnosis", "reason_text", "note"] {
                assert!(!fname.contains(banned), "{name}.{fname} looks like PHI");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "walked {checked} fields");
    let max = health_data_exchange::state::MAX_LOCATOR_LEN;
    assert_eq!(max, 128, "the locator bound is documented as 128 bytes");
}
