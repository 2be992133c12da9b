//! One log entry's `AuditEvent`, written straight from borrowed parts: the
//! same bytes `named(audit_event_with(..))` serialises to (serde_json's map
//! keeps keys sorted, so every struct here declares its fields in that
//! order), without building the JSON tree first. An export writes one per
//! entry; building and dropping the tree was most of its time.
//! `the_fast_event_is_the_tree_event_byte_for_byte` (below) holds the two
//! to the same bytes for every kind of entry.

use std::collections::HashMap;

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::Action;
use serde::Serialize;

use super::{
    fhir_class, rfc3339, AuditRow, Basis, Memo, ACT_CODE, ACT_REASON, CONSENT_SYSTEM,
    EMERGENCY_SYSTEM, EMERGENCY_WINDOW_SYSTEM, ENTITY_TYPE, OBJECT_ROLE, PARTICIPATION,
    PUBKEY_SYSTEM, RECORD_SYSTEM,
};

#[derive(Serialize)]
struct Identifier<'a> {
    system: &'a str,
    value: &'a str,
}

/// A key reference, with the name `named` would give it.
#[derive(Serialize)]
struct Who<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
    identifier: Identifier<'a>,
}

#[derive(Serialize)]
struct Code<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
    system: &'a str,
}

#[derive(Serialize)]
struct Concept<'a> {
    coding: [Code<'a>; 1],
}

#[derive(Serialize)]
struct Agent<'a> {
    requestor: bool,
    #[serde(rename = "type")]
    kind: Concept<'a>,
    who: Who<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(rename = "valueString")]
    value: &'a str,
}

#[derive(Serialize)]
struct What<'a> {
    identifier: Identifier<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

#[derive(Serialize)]
struct PatientEntity<'a> {
    role: Code<'a>,
    #[serde(rename = "type")]
    kind: Code<'a>,
    what: Who<'a>,
}

#[derive(Serialize)]
struct RecordEntity<'a> {
    detail: Vec<Detail<'a>>,
    role: Code<'a>,
    #[serde(rename = "securityLabel", skip_serializing_if = "Option::is_none")]
    security_label: Option<[Code<'a>; 1]>,
    #[serde(rename = "type")]
    kind: Code<'a>,
    what: What<'a>,
}

#[derive(Serialize)]
struct ConsentEntity<'a> {
    description: &'a str,
    #[serde(rename = "type")]
    kind: Code<'a>,
    what: What<'a>,
}

#[derive(Serialize)]
struct WindowEntity<'a> {
    description: String,
    detail: [Detail<'a>; 2],
    #[serde(rename = "type")]
    kind: Code<'a>,
    what: What<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Entity<'a> {
    Record(RecordEntity<'a>),
    Consent(ConsentEntity<'a>),
    Window(WindowEntity<'a>),
}

#[derive(Serialize)]
struct Security<'a> {
    security: [Code<'a>; 1],
}

#[derive(Serialize)]
struct Observer<'a> {
    display: &'a str,
}

#[derive(Serialize)]
struct Source<'a> {
    observer: Observer<'a>,
    #[serde(rename = "type")]
    kind: [Code<'a>; 1],
}

/// The entity list: the patient first, then what the entry names.
struct Entities<'a> {
    patient: PatientEntity<'a>,
    rest: Vec<Entity<'a>>,
}

impl Serialize for Entities<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(1 + self.rest.len()))?;
        seq.serialize_element(&self.patient)?;
        for e in &self.rest {
            seq.serialize_element(e)?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Event<'a> {
    action: &'a str,
    agent: [Agent<'a>; 3],
    entity: Entities<'a>,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Security<'a>>,
    outcome: &'a str,
    #[serde(rename = "outcomeDesc")]
    outcome_desc: &'a str,
    #[serde(rename = "purposeOfEvent")]
    purpose_of_event: [Concept<'a>; 1],
    recorded: &'a str,
    #[serde(rename = "resourceType")]
    resource_type: &'a str,
    source: Source<'a>,
    subtype: [Code<'a>; 1],
    #[serde(rename = "type")]
    kind: Code<'a>,
}

/// The program's id and its `AuditEvent.source` observer, worked out once.
static PROGRAM: std::sync::LazyLock<(String, String)> = std::sync::LazyLock::new(|| {
    let id = health_data_exchange::ID.to_string();
    (id.clone(), format!("HealthDataExchange program {id}"))
});

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";

/// Writes the `AuditEvent` of `row`, whose id is `id` (as `named(audit_event_with(memo,
/// patient, row, reviewed), names)` serialises) to `out`.
pub(super) fn write_audit_event<W: std::io::Write>(
    out: &mut W,
    id: &str,
    memo: &mut Memo,
    names: &HashMap<String, String>,
    patient: &Pubkey,
    row: &AuditRow,
    reviewed: bool,
) -> serde_json::Result<()> {
    let consent = match row.basis {
        Basis::Consent(_) if row.granted() => Some(memo.consent_str(patient, &row.provider)),
        _ => None,
    };
    let window = match row.basis {
        Basis::Emergency { window, .. } => Some(memo.window_str(patient, window)),
        _ => None,
    };
    let patient_key = memo.key(patient).to_string();
    let provider_key = memo.key(&row.provider).to_string();
    let named = |key: &str| names.get(key).map(String::as_str);
    let who = |key| Who {
        display: named(key),
        identifier: Identifier {
            system: PUBKEY_SYSTEM,
            value: key,
        },
    };
    let record_value;
    let consent_value;
    let window_index;
    let mut rest = Vec::with_capacity(2);
    if let Some(index) = row.record_index {
        record_value = format!("{patient_key}/{index}");
        let (detail, security_label) = match row.category {
            Some(category) => {
                let (class, label) = fhir_class(category);
                (
                    vec![
                        Detail {
                            kind: "category",
                            value: category.name(),
                        },
                        Detail {
                            kind: "resourceType",
                            value: class,
                        },
                    ],
                    label.map(|l| {
                        [Code {
                            code: l,
                            display: None,
                            system: ACT_CODE,
                        }]
                    }),
                )
            }
            None => (Vec::new(), None),
        };
        rest.push(Entity::Record(RecordEntity {
            detail,
            role: Code {
                code: "4",
                display: Some("Domain Resource"),
                system: OBJECT_ROLE,
            },
            security_label,
            kind: system_object(),
            what: What {
                identifier: Identifier {
                    system: RECORD_SYSTEM,
                    value: &record_value,
                },
                reference: None,
            },
        }));
    }
    match (row.basis, &consent, &window) {
        (Basis::Consent(revision), Some(consent), _) => {
            consent_value = format!("{consent}/{revision}");
            rest.push(Entity::Consent(ConsentEntity {
                description: "authorizing consent: on-chain consent account / revision in force",
                kind: system_object(),
                what: What {
                    identifier: Identifier {
                        system: CONSENT_SYSTEM,
                        value: &consent_value,
                    },
                    reference: None,
                },
            }));
        }
        (
            Basis::Emergency {
                window: index,
                reason,
            },
            _,
            Some(address),
        ) => {
            window_index = index.to_string();
            let review = reviewed.then(|| {
                super::full_url(&format!(
                    "hdx-{}-emergency-{index}-review",
                    &patient_key[..12]
                ))
            });
            rest.push(Entity::Window(WindowEntity {
                description: format!(
                    "emergency window {index} (on-chain account {address}): break the glass"
                ),
                detail: [
                    Detail {
                        kind: "emergency-window",
                        value: &window_index,
                    },
                    Detail {
                        kind: "emergency-reason",
                        value: reason.name(),
                    },
                ],
                kind: system_object(),
                what: What {
                    identifier: Identifier {
                        system: EMERGENCY_WINDOW_SYSTEM,
                        value: address,
                    },
                    reference: review,
                },
            }));
        }
        _ => {}
    }
    let subtype = match row.action {
        Action::EmergencyOpen => Code {
            code: "emergency-open",
            display: Some("open an emergency window"),
            system: EMERGENCY_SYSTEM,
        },
        Action::Write => Code {
            code: "create",
            display: None,
            system: "http://hl7.org/fhir/restful-interaction",
        },
        _ => Code {
            code: "read",
            display: None,
            system: "http://hl7.org/fhir/restful-interaction",
        },
    };
    let action = match row.action {
        Action::EmergencyOpen => "E",
        Action::Write => "C",
        _ => "R",
    };
    let outcome_desc = if row.granted() {
        "Granted".to_string()
    } else {
        format!("Denied: {}", row.outcome.name())
    };
    let recorded = rfc3339(row.time);
    let (program, observer) = &*PROGRAM;
    let event = Event {
        action,
        agent: [
            Agent {
                requestor: true,
                kind: concept(PARTICIPATION, "IRCP", Some("information recipient")),
                who: who(&provider_key),
            },
            Agent {
                requestor: false,
                kind: concept(DCM, "110153", Some("Source Role ID")),
                who: who(&provider_key),
            },
            Agent {
                requestor: false,
                kind: concept(DCM, "110152", Some("Destination Role ID")),
                who: who(program),
            },
        ],
        entity: Entities {
            patient: PatientEntity {
                role: Code {
                    code: "1",
                    display: Some("Patient"),
                    system: "http://terminology.hl7.org/CodeSystem/object-role",
                },
                kind: Code {
                    code: "1",
                    display: Some("Person"),
                    system: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                },
                what: who(&patient_key),
            },
            rest,
        },
        id,
        meta: row.emergency_window().map(|_| Security {
            security: [Code {
                code: health_data_exchange::codes::BREAK_THE_GLASS_HL7,
                display: Some("break the glass"),
                system: ACT_CODE,
            }],
        }),
        outcome: if row.granted() { "0" } else { "4" },
        outcome_desc: &outcome_desc,
        purpose_of_event: [Concept {
            coding: [Code {
                code: row.purpose.hl7_code(),
                display: None,
                system: ACT_REASON,
            }],
        }],
        recorded: &recorded,
        resource_type: "AuditEvent",
        source: Source {
            observer: Observer { display: observer },
            kind: [Code {
                code: "4",
                display: Some("Application Server"),
                system: "http://terminology.hl7.org/CodeSystem/security-source-type",
            }],
        },
        subtype: [subtype],
        kind: Code {
            code: "rest",
            display: Some("RESTful Operation"),
            system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
        },
    };
    serde_json::to_writer(out, &event)
}

fn system_object() -> Code<'static> {
    Code {
        code: "2",
        display: Some("System Object"),
        system: ENTITY_TYPE,
    }
}

fn concept<'a>(system: &'a str, code: &'a str, display: Option<&'a str>) -> Concept<'a> {
    Concept {
        coding: [Code {
            code,
            display,
            system,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::super::{audit_event_with, named};
    use super::*;
    use health_data_exchange::codes::{Category, EmergencyReason, Outcome, ProviderKind, Purpose};

    /// Every action, outcome, basis (none, a consent revision, each
    /// emergency reason with and without its review), record (none, each
    /// category, none named), and names for nobody, the provider, the
    /// patient and the program: the fast writer's bytes are the tree's.
    #[test]
    fn the_fast_event_is_the_tree_event_byte_for_byte() {
        let patient = Pubkey::new_from_array([4; 32]);
        let provider = Pubkey::new_from_array([9; 32]);
        let program = health_data_exchange::ID;
        let name_sets: Vec<HashMap<String, String>> = vec![
            HashMap::new(),
            [(
                provider.to_string(),
                "City Lab · NPI 1234567893 ✓ \"quoted\"".to_string(),
            )]
            .into(),
            [
                (
                    patient.to_string(),
                    "a patient who is a provider".to_string(),
                ),
                (program.to_string(), "the program\n".to_string()),
            ]
            .into(),
        ];
        let mut bases = vec![
            Basis::NoConsent,
            Basis::Consent(0),
            Basis::Consent(u32::MAX),
        ];
        for reason in EmergencyReason::ALL {
            bases.push(Basis::Emergency {
                window: 0,
                reason: *reason,
            });
            bases.push(Basis::Emergency {
                window: u32::MAX,
                reason: *reason,
            });
        }
        let mut records: Vec<(Option<u32>, Option<Category>)> = vec![(None, None), (Some(0), None)];
        for c in Category::ALL {
            records.push((Some(u32::MAX - 1), Some(*c)));
        }
        let mut memo = Memo::default();
        let mut checked = 0;
        for names in &name_sets {
            for action in Action::ALL {
                for outcome in [Outcome::Granted, Outcome::Expired, Outcome::NoConsent] {
                    for basis in &bases {
                        for (record_index, category) in &records {
                            for reviewed in [false, true] {
                                let row = AuditRow {
                                    sequence: u64::MAX - checked,
                                    time: [0, 1_767_225_600, 253_402_300_799][checked as usize % 3],
                                    provider_number: 3,
                                    provider,
                                    provider_kind: ProviderKind::Laboratory,
                                    action: *action,
                                    record_index: *record_index,
                                    category: *category,
                                    purpose: Purpose::ALL[checked as usize % Purpose::ALL.len()],
                                    outcome,
                                    basis: *basis,
                                };
                                let tree = serde_json::to_vec(&named(
                                    audit_event_with(
                                        &mut Memo::default(),
                                        &patient,
                                        &row,
                                        reviewed,
                                    ),
                                    names,
                                ))
                                .unwrap();
                                let id = memo.event_id(&patient, &row);
                                let mut fast = Vec::new();
                                write_audit_event(
                                    &mut fast, &id, &mut memo, names, &patient, &row, reviewed,
                                )
                                .unwrap();
                                assert_eq!(
                                    String::from_utf8(fast).unwrap(),
                                    String::from_utf8(tree).unwrap(),
                                    "{row:?} reviewed {reviewed}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 1_000, "{checked}");
    }
}
