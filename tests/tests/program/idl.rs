//! The committed IDL documents the whole interface client authors read:
//! every instruction, every account slot of every instruction (no fragment
//! left by a multi-line `/// CHECK:` the IDL builder strips), every field of
//! every account, event and argument type, and every error. A doc line is a
//! fragment when it starts in lower case (the tail of a sentence) or is the
//! builder's leftover of a `CHECK:` line.

use hdx_tests::IDL_JSON;
use serde_json::Value;

fn docs(v: &Value) -> Vec<String> {
    v["docs"]
        .as_array()
        .map(|d| d.iter().map(|l| l.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Documented, and its first line is not the tail of a sentence.
fn complete(what: &str, v: &Value) -> Result<(), String> {
    let d = docs(v);
    match d.first() {
        None => Err(format!("{what} has no docs")),
        Some(first) if first.starts_with(|c: char| c.is_lowercase()) || first.contains("CHECK") => {
            Err(format!("{what} starts with a fragment: {first:?}"))
        }
        Some(_) => Ok(()),
    }
}

#[test]
fn every_instruction_account_field_and_event_field_is_documented_without_fragments() {
    let idl: Value = serde_json::from_str(IDL_JSON).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for i in idl["instructions"].as_array().unwrap() {
        let name = i["name"].as_str().unwrap();
        problems.extend(complete(&format!("instruction {name}"), i).err());
        for a in i["accounts"].as_array().unwrap() {
            let what = format!("account {} of {name}", a["name"].as_str().unwrap());
            problems.extend(complete(&what, a).err());
            checked += 1;
        }
        checked += 1;
    }
    // Every field of every type the IDL defines: accounts, events, arguments,
    // and every variant field of an enum with fields.
    for t in idl["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        for field in t["type"]["fields"].as_array().into_iter().flatten() {
            let what = format!("{name}.{}", field["name"].as_str().unwrap_or("?"));
            problems.extend(complete(&what, field).err());
            checked += 1;
        }
        for variant in t["type"]["variants"].as_array().into_iter().flatten() {
            for field in variant["fields"].as_array().into_iter().flatten() {
                if field.is_object() && field.get("name").is_some() {
                    let what = format!("{name}::{}.{}", variant["name"], field["name"]);
                    problems.extend(complete(&what, field).err());
                    checked += 1;
                }
            }
        }
    }
    for e in idl["errors"].as_array().unwrap() {
        if e["msg"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("error {} has no message", e["name"]));
        }
        checked += 1;
    }
    assert!(
        problems.is_empty(),
        "{} undocumented:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 400, "only {checked} items checked");
    println!("IDL: {checked} instructions, account slots, fields and errors documented");
}

/// The SDK names errors from the program crate (`error::ALL_ERRORS`), not by
/// reading the IDL: every error the IDL publishes is in its table with the
/// same name and message, and nothing else is.
#[test]
fn the_sdk_names_every_program_error_the_idl_publishes_and_no_other() {
    let idl: Value = serde_json::from_str(IDL_JSON).unwrap();
    let published: Vec<(u32, String, String)> = idl["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_u64().unwrap() as u32,
                e["name"].as_str().unwrap().to_string(),
                e["msg"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let program: Vec<(u32, String, String)> = hdx_sdk::errors::all()
        .filter(|e| e.code >= 6000)
        .map(|e| (e.code, e.name.clone(), e.message.clone()))
        .collect();
    assert_eq!(program, published);
    assert_eq!(program.len(), health_data_exchange::error::ALL_ERRORS.len());
}
