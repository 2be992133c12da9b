//! Invariant 6: no personal health information on-chain. Walks every account
//! and event type in the committed IDL, and every type they contain: no
//! strings at all, and the only byte vector is the bounded record locator.

use std::collections::BTreeSet;

use hdx_tests::IDL_JSON;

#[test]
fn invariant_6_no_account_or_event_field_can_carry_free_text() {
    let idl: serde_json::Value = serde_json::from_str(IDL_JSON).unwrap();
    let types = idl["types"].as_array().unwrap();
    let mut pending: Vec<String> = idl["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(idl["events"].as_array().unwrap())
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert!(pending.contains(&"Record".into()) && pending.contains(&"AccessRecorded".into()));
    let mut seen = BTreeSet::new();
    let mut checked = 0;
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let ty = types
            .iter()
            .find(|t| t["name"] == name.as_str())
            .unwrap_or_else(|| panic!("type {name} is in the IDL"));
        for field in ty["type"]["fields"].as_array().into_iter().flatten() {
            let fname = field["name"].as_str().unwrap();
            let t = field["type"].to_string();
            assert!(!t.contains("string"), "{name}.{fname} is a string: {t}");
            if t.contains("bytes") || t.contains("vec") {
                assert_eq!(
                    (name.as_str(), fname),
                    ("Record", "locator"),
                    "{name}.{fname} is an unbounded vector: {t}"
                );
            }
            for banned in ["name", "birth", "dob", "diagnosis", "reason_text", "note"] {
                assert!(!fname.contains(banned), "{name}.{fname} looks like PHI");
            }
            // Walk into contained types (ConsentTerms inside events, ...).
            if let Some(inner) = field["type"]["defined"]["name"].as_str() {
                pending.push(inner.to_string());
            }
            checked += 1;
        }
    }
    assert!(seen.contains("ConsentTerms"), "nested types are walked");
    assert!(checked > 80, "walked {checked} fields");
    let max = health_data_exchange::state::MAX_LOCATOR_LEN;
    assert_eq!(max, 128, "the locator bound is documented as 128 bytes");
}

#[test]
fn the_idl_publishes_every_code_table_as_constants() {
    // A client in any language names codes from the IDL alone.
    let idl: serde_json::Value = serde_json::from_str(IDL_JSON).unwrap();
    let constants: Vec<(&str, &str)> = idl["constants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["value"].as_str().unwrap()))
        .collect();
    let value = |name: &str| {
        constants
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("constant {name} in the IDL"))
    };
    use health_data_exchange::codes::*;
    for c in Category::ALL {
        let name = format!("CATEGORY_{}", c.name().to_uppercase().replace('-', "_"));
        assert_eq!(value(&name), c.code().to_string());
    }
    for p in Purpose::ALL {
        let name = format!("PURPOSE_{}", p.name().to_uppercase().replace('-', "_"));
        assert_eq!(value(&name), p.code().to_string());
        assert_eq!(value(&format!("{name}_HL7")), format!("{:?}", p.hl7_code()));
    }
    for o in Outcome::ALL {
        let snake: String = o
            .name()
            .chars()
            .enumerate()
            .flat_map(|(i, ch)| {
                let sep = (i > 0 && ch.is_uppercase()).then_some('_');
                sep.into_iter().chain(ch.to_uppercase())
            })
            .collect();
        assert_eq!(value(&format!("OUTCOME_{snake}")), o.code().to_string());
    }
    for a in Action::ALL {
        assert_eq!(
            value(&format!(
                "ACTION_{}",
                a.name().to_uppercase().replace('-', "_")
            )),
            a.code().to_string()
        );
    }
    for k in ProviderKind::ALL {
        assert_eq!(
            value(&format!("PROVIDER_KIND_{}", k.name().to_uppercase())),
            k.code().to_string()
        );
    }
    for s in ProviderStatus::ALL {
        assert_eq!(
            value(&format!("PROVIDER_STATUS_{}", s.name().to_uppercase())),
            s.code().to_string()
        );
    }
    for v in Verdict::ALL {
        assert_eq!(
            value(&format!(
                "VERDICT_{}",
                v.name().to_uppercase().replace('-', "_")
            )),
            v.code().to_string()
        );
    }
    for e in EndedBy::ALL {
        assert_eq!(
            value(&format!(
                "ENDED_BY_{}",
                e.name().to_uppercase().replace('-', "_")
            )),
            e.code().to_string()
        );
    }
    for r in EmergencyReason::ALL {
        assert_eq!(
            value(&format!(
                "EMERGENCY_REASON_{}",
                r.name().to_uppercase().replace('-', "_")
            )),
            r.code().to_string()
        );
    }
    for m in GuardianMode::ALL {
        assert_eq!(
            value(&format!(
                "GUARDIAN_MODE_{}",
                m.name().to_uppercase().replace('-', "_")
            )),
            m.code().to_string()
        );
    }
    for k in ProposalKind::ALL {
        assert_eq!(
            value(&format!(
                "PROPOSAL_{}",
                k.name().to_uppercase().replace('-', "_")
            )),
            k.code().to_string()
        );
    }
    assert_eq!(value("ROLE_EMERGENCY"), ROLE_EMERGENCY.to_string());
    assert_eq!(value("PURPOSE_EMERGENCY_TREATMENT_HL7"), "\"ETREAT\"");
    assert_eq!(value("MODE_READ"), MODE_READ.to_string());
    assert_eq!(value("MODE_WRITE"), MODE_WRITE.to_string());
}
