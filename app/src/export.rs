//! Exporting a patient's audit trail: JSON and CSV rows, and FHIR R4 — each
//! log entry as an `AuditEvent` after IHE BALP (permit and deny patterns,
//! purpose of use as HL7 v3 ActReason, the consent as the authorising
//! entity), each consent as a `Consent`, all in a `Bundle` of type
//! `collection`. Keys appear as identifiers in the `urn:solana:pubkey` system.
//!
//! Category → FHIR mapping (`provision.class` uses FHIR resource types;
//! sensitive categories add an HL7 v3 ActCode `provision.securityLabel`):
//!
//! | category | class | security label |
//! |---|---|---|
//! | lab-results | DiagnosticReport | |
//! | imaging | ImagingStudy | |
//! | medications | MedicationStatement | |
//! | allergies | AllergyIntolerance | |
//! | immunizations | Immunization | |
//! | conditions | Condition | |
//! | procedures | Procedure | |
//! | clinical-notes | DocumentReference | |
//! | vital-signs | Observation | |
//! | mental-health | Condition | PSY |
//! | substance-use | Condition | ETH |
//! | genomics | MolecularSequence | GDIS |
//! | reproductive | Condition | SEX |
//! | claims | Claim | |

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::{Action, Category, Outcome, Purpose, MODE_READ, MODE_WRITE};
use health_data_exchange::state::{Consent, LogEntry, NO_RECORD};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const PUBKEY_SYSTEM: &str = "urn:solana:pubkey";
pub const RECORD_SYSTEM: &str = "urn:hdx:record";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// FHIR class and optional security label for a category.
pub fn fhir_class(category: Category) -> (&'static str, Option<&'static str>) {
    use Category::*;
    match category {
        LabResults => ("DiagnosticReport", None),
        Imaging => ("ImagingStudy", None),
        Medications => ("MedicationStatement", None),
        Allergies => ("AllergyIntolerance", None),
        Immunizations => ("Immunization", None),
        Conditions => ("Condition", None),
        Procedures => ("Procedure", None),
        ClinicalNotes => ("DocumentReference", None),
        VitalSigns => ("Observation", None),
        MentalHealth => ("Condition", Some("PSY")),
        SubstanceUse => ("Condition", Some("ETH")),
        Genomics => ("MolecularSequence", Some("GDIS")),
        Reproductive => ("Condition", Some("SEX")),
        Claims => ("Claim", None),
    }
}

/// One log entry with its codes named: the JSON and CSV row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EntryRow {
    pub sequence: u64,
    pub time: String,
    pub unix_time: i64,
    pub provider: String,
    pub action: String,
    pub record_index: Option<u32>,
    pub category: String,
    pub purpose: String,
    pub outcome: String,
}

fn name_or_code<T>(v: Option<T>, name: fn(T) -> &'static str, code: u8) -> String {
    v.map(name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("unknown({code})"))
}

pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

pub fn row(e: &LogEntry) -> EntryRow {
    EntryRow {
        sequence: e.sequence,
        time: rfc3339(e.time),
        unix_time: e.time,
        provider: e.provider.to_string(),
        action: name_or_code(Action::from_code(e.action), Action::name, e.action),
        record_index: (e.record_index != NO_RECORD).then_some(e.record_index),
        category: name_or_code(Category::from_code(e.category), Category::name, e.category),
        purpose: name_or_code(Purpose::from_code(e.purpose), Purpose::hl7_code, e.purpose),
        outcome: name_or_code(Outcome::from_code(e.outcome), Outcome::name, e.outcome),
    }
}

/// The code a row's name stands for: a known name, or `unknown(N)`.
fn code_of(field: &str, s: &str, name: impl Fn(u8) -> Option<&'static str>) -> anyhow::Result<u8> {
    if let Some(n) = s.strip_prefix("unknown(").and_then(|r| r.strip_suffix(')')) {
        return n.parse().map_err(|_| anyhow::anyhow!("bad {field} {s:?}"));
    }
    (0..=u8::MAX)
        .find(|c| name(*c) == Some(s))
        .ok_or_else(|| anyhow::anyhow!("unknown {field} {s:?}"))
}

/// Rebuilds the exact on-chain entry from an exported row (the inverse of [`row`]).
pub fn entry_from_row(r: &EntryRow) -> anyhow::Result<LogEntry> {
    Ok(LogEntry {
        sequence: r.sequence,
        provider: r
            .provider
            .parse()
            .map_err(|_| anyhow::anyhow!("entry {}: bad provider {:?}", r.sequence, r.provider))?,
        time: r.unix_time,
        record_index: r.record_index.unwrap_or(NO_RECORD),
        category: code_of("category", &r.category, |c| {
            Category::from_code(c).map(Category::name)
        })?,
        action: code_of("action", &r.action, |c| {
            Action::from_code(c).map(Action::name)
        })?,
        purpose: code_of("purpose", &r.purpose, |c| {
            Purpose::from_code(c).map(Purpose::hl7_code)
        })?,
        outcome: code_of("outcome", &r.outcome, |c| {
            Outcome::from_code(c).map(Outcome::name)
        })?,
    })
}

pub fn to_json(entries: &[LogEntry]) -> Value {
    serde_json::to_value(entries.iter().map(row).collect::<Vec<_>>()).unwrap_or(Value::Null)
}

pub fn to_csv(entries: &[LogEntry]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for e in entries {
        w.serialize(row(e))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn key_ref(key: &Pubkey) -> Value {
    json!({ "identifier": { "system": PUBKEY_SYSTEM, "value": key.to_string() } })
}

fn purpose_concept(code: &str) -> Value {
    json!({ "coding": [{ "system": ACT_REASON, "code": code }] })
}

fn short(key: &Pubkey) -> String {
    key.to_string().chars().take(12).collect()
}

/// One log entry as an R4 `AuditEvent` (IHE BALP: RESTful read/create; a
/// denial is outcome 4 with the reason in `outcomeDesc`).
pub fn audit_event(patient: &Pubkey, consent: &Pubkey, e: &LogEntry) -> Value {
    let write = e.action == Action::Write as u8;
    let outcome = Outcome::from_code(e.outcome);
    let granted = outcome.is_some_and(Outcome::is_granted);
    let purpose = Purpose::from_code(e.purpose)
        .map(Purpose::hl7_code)
        .unwrap_or("HOPERAT");
    let mut entities = vec![
        json!({
            "what": key_ref(patient),
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient" }
        }),
        json!({
            "what": key_ref(consent),
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
            "description": "authorizing consent (on-chain consent account)"
        }),
    ];
    if e.record_index != NO_RECORD {
        entities.push(json!({
            "what": { "identifier": { "system": RECORD_SYSTEM, "value": format!("{patient}/{}", e.record_index) } },
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4", "display": "Domain Resource" }
        }));
    }
    json!({
        "resourceType": "AuditEvent",
        "id": format!("hdx-{}-{}", short(patient), e.sequence),
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation" },
        "subtype": [{ "system": "http://hl7.org/fhir/restful-interaction", "code": if write { "create" } else { "read" } }],
        "action": if write { "C" } else { "R" },
        "recorded": rfc3339(e.time),
        "outcome": if granted { "0" } else { "4" },
        "outcomeDesc": outcome.map(|o| if granted { "Granted".to_string() } else { format!("Denied: {}", o.name()) })
            .unwrap_or_else(|| format!("unknown outcome {}", e.outcome)),
        "purposeOfEvent": [purpose_concept(purpose)],
        "agent": [{
            "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient" }] },
            "who": key_ref(&e.provider),
            "requestor": true
        }],
        "source": {
            "observer": { "display": format!("HealthDataExchange program {}", health_data_exchange::ID) },
            "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server" }]
        },
        "entity": entities
    })
}

/// One consent as an R4 `Consent` (permit; inactive once expired at `now`).
pub fn consent_resource(c: &Consent, now: i64) -> Value {
    let mut classes = Vec::new();
    let mut labels = Vec::new();
    for cat in Category::ALL
        .iter()
        .filter(|cat| c.categories & cat.bit() != 0)
    {
        let (class, label) = fhir_class(*cat);
        let coding = json!({ "system": "http://hl7.org/fhir/resource-types", "code": class });
        if !classes.contains(&coding) {
            classes.push(coding);
        }
        if let Some(l) = label {
            labels.push(json!({ "system": ACT_CODE, "code": l }));
        }
    }
    let mut actions = Vec::new();
    if c.modes & MODE_READ != 0 {
        actions.push(json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access" }] }));
    }
    if c.modes & MODE_WRITE != 0 {
        actions.push(json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "correct" }] }));
    }
    let purposes: Vec<Value> = Purpose::ALL
        .iter()
        .filter(|p| c.purposes & p.bit() != 0)
        .map(|p| json!({ "system": ACT_REASON, "code": p.hl7_code() }))
        .collect();
    let mut provision = json!({
        "type": "permit",
        "period": { "start": rfc3339(c.not_before), "end": rfc3339(c.expires_at) },
        "actor": [{
            "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP" }] },
            "reference": key_ref(&c.provider)
        }],
        "action": actions,
        "purpose": purposes,
        "class": classes
    });
    if !labels.is_empty() {
        provision["securityLabel"] = Value::Array(labels);
    }
    json!({
        "resourceType": "Consent",
        "id": format!("hdx-consent-{}-{}", short(&c.patient), short(&c.provider)),
        "status": if now < c.expires_at { "active" } else { "inactive" },
        "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" }] },
        "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent" }] }],
        "patient": key_ref(&c.patient),
        "dateTime": rfc3339(c.updated_at),
        "performer": [key_ref(&c.patient)],
        "policyRule": { "coding": [{ "system": ACT_CODE, "code": "OPTIN" }] },
        "provision": provision
    })
}

/// The whole export: every entry as an `AuditEvent`, every live consent as a
/// `Consent`, in a `collection` Bundle.
pub fn fhir_bundle(
    patient: &Pubkey,
    entries: &[LogEntry],
    consents: &[Consent],
    now: i64,
) -> Value {
    let mut resources: Vec<Value> = entries
        .iter()
        .map(|e| audit_event(patient, &crate::pda::consent(patient, &e.provider).0, e))
        .collect();
    resources.extend(consents.iter().map(|c| consent_resource(c, now)));
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": rfc3339(now),
        "entry": resources
            .into_iter()
            .map(|r| json!({ "fullUrl": format!("urn:uuid:{}", pseudo_uuid(r["id"].as_str().unwrap_or_default())), "resource": r }))
            .collect::<Vec<_>>()
    })
}

/// A stable UUID-shaped name for a resource id (bundle `fullUrl`s must be absolute).
fn pseudo_uuid(id: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(id.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
