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
use health_data_exchange::state::EmergencyWindow;
use std::collections::BTreeMap;
use std::io::Write;

use health_data_exchange::state::{NO_CONSENT_REVISION, NO_RECORD};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::{ChainError, Entry};
use crate::client::{ClientError, Directory, HdxClient, WindowFilter};
use crate::history::{ConsentVersion, Ending, Origin};
use crate::transport::Transport;

pub const PUBKEY_SYSTEM: &str = "urn:solana:pubkey";
pub const RECORD_SYSTEM: &str = "urn:hdx:record";
/// Emergency (break-the-glass) entries: `<patient>/<sequence>`, and the opening's subtype.
pub const EMERGENCY_SYSTEM: &str = "urn:hdx:emergency";
/// Guardian events: the event's kind.
pub const GUARDIAN_SYSTEM: &str = "urn:hdx:guardians";
/// A consent version: `<consent account>/<revision>`.
pub const CONSENT_SYSTEM: &str = "urn:hdx:consent";
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

/// One log entry with its codes named and its provider resolved: the JSON
/// and CSV row. Every field is derived from the chain, and `audit verify
/// --copy` checks every field of a copy against the chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EntryRow {
    pub sequence: u64,
    pub time: String,
    pub unix_time: i64,
    /// The provider's registry number, as the entry stores it.
    pub provider_number: u32,
    /// The provider's id, resolved from the number.
    pub provider: String,
    /// The provider's kind.
    pub provider_kind: String,
    pub action: String,
    pub record_index: Option<u32>,
    pub category: String,
    pub purpose: String,
    pub outcome: String,
    /// The revision of the consent that decided it; absent when there was no
    /// consent, and for emergency entries.
    pub consent_revision: Option<u32>,
    /// For an emergency opening or read: the emergency window's index (the
    /// patient's window the entry names, where its review is written).
    pub emergency_window: Option<u32>,
    /// For an emergency opening or read: the window's reason, by name.
    pub emergency_reason: Option<String>,
}

/// Field names of [`EntryRow`], in order (the CSV header).
pub const ROW_FIELDS: [&str; 14] = [
    "sequence",
    "time",
    "unix_time",
    "provider_number",
    "provider",
    "provider_kind",
    "action",
    "record_index",
    "category",
    "purpose",
    "outcome",
    "consent_revision",
    "emergency_window",
    "emergency_reason",
];

fn name_or_code<T>(v: Option<T>, name: fn(T) -> &'static str, code: u8) -> String {
    v.map(name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("unknown({code})"))
}

/// A day number as a calendar date (`YYYY-MM-DD`).
pub fn day_date(day: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(day) * 86_400, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| day.to_string())
}

pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// A patient's emergency windows, by index: what emergency entries name.
pub type Windows = BTreeMap<u32, EmergencyWindow>;

/// The row of one entry; its provider number resolved through `directory`
/// (a number no provider has is an error, never a guess), an emergency
/// entry's window through `windows` (likewise).
pub fn row(e: &Entry, directory: &Directory, windows: &Windows) -> Result<EntryRow, ClientError> {
    let p = directory.resolve(e.entry.provider)?;
    let x = &e.entry;
    let action = Action::from_code(x.action);
    let emergency = matches!(action, Some(Action::EmergencyOpen | Action::EmergencyRead));
    let window = if emergency {
        Some(windows.get(&x.basis).ok_or_else(|| {
            ClientError::NotFound(format!(
                "emergency window {} that log entry {} names",
                x.basis, e.sequence
            ))
        })?)
    } else {
        None
    };
    Ok(EntryRow {
        sequence: e.sequence,
        time: rfc3339(i64::from(x.time)),
        unix_time: i64::from(x.time),
        provider_number: x.provider,
        provider: p.id.to_string(),
        provider_kind: p.kind.name().to_string(),
        action: name_or_code(action, Action::name, x.action),
        record_index: (x.record_index != NO_RECORD).then_some(x.record_index),
        // An emergency opening names no record, so no category.
        category: if action == Some(Action::EmergencyOpen) {
            "none".to_string()
        } else {
            name_or_code(Category::from_code(x.category), Category::name, x.category)
        },
        purpose: name_or_code(Purpose::from_code(x.purpose), Purpose::hl7_code, x.purpose),
        outcome: name_or_code(Outcome::from_code(x.outcome), Outcome::name, x.outcome),
        consent_revision: (!emergency && x.basis != NO_CONSENT_REVISION).then_some(x.basis),
        emergency_window: window.map(|w| w.index),
        emergency_reason: window.map(|w| w.reason.name().to_string()),
    })
}

/// The first field in which two rows differ.
pub fn first_difference(copy: &EntryRow, chain: &EntryRow) -> Option<String> {
    let a = serde_json::to_value(copy).ok()?;
    let b = serde_json::to_value(chain).ok()?;
    ROW_FIELDS
        .iter()
        .find(|f| a[**f] != b[**f])
        .map(|f| format!("{f} is {} in the copy, {} on the chain", a[*f], b[*f]))
}

/// Checks an exported copy (the rows of `audit log --format json`) against
/// the chain's rows: names the first entry and field that differ, or the
/// length difference. Every field of every row is compared.
pub fn verify_copy(copy: &[EntryRow], chain: &[EntryRow]) -> Result<(), ChainError> {
    for (a, b) in copy.iter().zip(chain) {
        if let Some(field) = first_difference(a, b) {
            return Err(ChainError::EntryDiffers {
                sequence: b.sequence,
                field,
            });
        }
    }
    if copy.len() != chain.len() {
        return Err(ChainError::LengthDiffers {
            copy: copy.len() as u64,
            chain: chain.len() as u64,
        });
    }
    Ok(())
}

/// `audit log --format json`, a row at a time: a JSON array of rows,
/// pretty-printed as `serde_json` prints the whole array.
pub struct JsonRows<W: Write> {
    out: W,
    rows: u64,
}

impl<W: Write> JsonRows<W> {
    pub fn new(out: W) -> Self {
        Self { out, rows: 0 }
    }

    pub fn row(&mut self, row: &EntryRow) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(row)?;
        self.out
            .write_all(if self.rows == 0 { b"[\n" } else { b",\n" })?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            self.out.write_all(b"  ")?;
            self.out.write_all(line.as_bytes())?;
        }
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<W> {
        self.out
            .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `audit log --format csv`, a row at a time; the header is always there.
pub struct CsvRows<W: Write>(csv::Writer<W>);

impl<W: Write> CsvRows<W> {
    pub fn new(out: W) -> anyhow::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        w.write_record(ROW_FIELDS)?;
        Ok(Self(w))
    }

    pub fn row(&mut self, row: &EntryRow) -> anyhow::Result<()> {
        Ok(self.0.serialize(row)?)
    }

    pub fn finish(self) -> anyhow::Result<W> {
        self.0
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing the CSV: {}", e.error()))
    }
}

/// A FHIR R4 `collection` Bundle, a resource at a time: each entry on one
/// line, so a 100,000-event export is written as it is read.
pub struct FhirBundle<W: Write> {
    out: W,
    entries: u64,
}

impl<W: Write> FhirBundle<W> {
    pub fn new(mut out: W, now: i64) -> anyhow::Result<Self> {
        write!(
            out,
            "{{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"collection\",\n  \"timestamp\": \"{}\",\n  \"entry\": [",
            rfc3339(now)
        )?;
        Ok(Self { out, entries: 0 })
    }

    pub fn resource(&mut self, resource: &Value) -> anyhow::Result<()> {
        let id = resource["id"].as_str().unwrap_or_default();
        let entry =
            json!({ "fullUrl": format!("urn:uuid:{}", pseudo_uuid(id)), "resource": resource });
        self.out.write_all(if self.entries == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        serde_json::to_writer(&mut self.out, &entry)?;
        self.entries += 1;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<W> {
        self.out.write_all(if self.entries == 0 {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn key_ref(key: &Pubkey) -> Value {
    json!({ "identifier": { "system": PUBKEY_SYSTEM, "value": key.to_string() } })
}

/// The program as the `AuditEvent.source` of every event it records.
fn audit_source() -> Value {
    json!({
        "observer": { "display": format!("HealthDataExchange program {}", health_data_exchange::ID) },
        "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server" }]
    })
}

/// The patient as an `AuditEvent.entity` (a person in the patient role).
fn patient_entity(patient: &Pubkey) -> Value {
    json!({
        "what": key_ref(patient),
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person" },
        "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient" }
    })
}

fn purpose_concept(code: &str) -> Value {
    json!({ "coding": [{ "system": ACT_REASON, "code": code }] })
}

fn short(key: &Pubkey) -> String {
    key.to_string().chars().take(12).collect()
}

/// One log entry as an R4 `AuditEvent` after IHE BALP's RESTful read and
/// create patterns: the provider as the requesting user (information
/// recipient) and as the client system (source role), the program as the
/// server (destination role); the patient and, with the record's category
/// (and its security label when sensitive), the record as entities. A denial
/// is outcome 4 with the reason in `outcomeDesc`. Only a granted entry names
/// a consent, as the authorising one: the version (account / revision) in
/// force at that access, a `Consent` of the same export.
pub fn audit_event(patient: &Pubkey, row: &EntryRow) -> Value {
    let write = row.action == Action::Write.name();
    let open = row.action == Action::EmergencyOpen.name();
    let emergency = open || row.action == Action::EmergencyRead.name();
    let granted = row.outcome == Outcome::Granted.name();
    let provider: Pubkey = row.provider.parse().unwrap_or_default();
    let entity_type = |code: &str, display: &str| json!({ "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": code, "display": display });
    let mut entities = vec![patient_entity(patient)];
    if let Some(index) = row.record_index {
        let mut record = json!({
            "what": { "identifier": { "system": RECORD_SYSTEM, "value": format!("{patient}/{index}") } },
            "type": entity_type("2", "System Object"),
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4", "display": "Domain Resource" },
            "detail": [{ "type": "category", "valueString": row.category }]
        });
        if let Some(category) = Category::ALL.iter().find(|c| c.name() == row.category) {
            let (class, label) = fhir_class(*category);
            record["detail"]
                .as_array_mut()
                .expect("an array")
                .push(json!({ "type": "resourceType", "valueString": class }));
            if let Some(label) = label {
                record["securityLabel"] = json!([{ "system": ACT_CODE, "code": label }]);
            }
        }
        entities.push(record);
    }
    if let (true, Some(revision)) = (granted, row.consent_revision) {
        let consent = crate::pda::consent(patient, &provider).0;
        entities.push(json!({
            "what": { "identifier": { "system": CONSENT_SYSTEM, "value": format!("{consent}/{revision}") } },
            "type": entity_type("2", "System Object"),
            "description": "authorizing consent: on-chain consent account / revision in force"
        }));
    }
    if let (true, Some(index)) = (emergency, row.emergency_window) {
        // The window's account: the same entity its review event names.
        let window = crate::pda::emergency_window(patient, index).0;
        entities.push(json!({
            "what": { "identifier": { "system": PUBKEY_SYSTEM, "value": window.to_string() } },
            "type": entity_type("2", "System Object"),
            "description": "emergency window (on-chain account): break the glass",
            "detail": [
                { "type": "emergency-window", "valueString": index.to_string() },
                { "type": "emergency-reason", "valueString": row.emergency_reason.clone().unwrap_or_default() }
            ]
        }));
    }
    let dcm = |code: &str, display: &str| json!({ "coding": [{ "system": "http://dicom.nema.org/resources/ontology/DCM", "code": code, "display": display }] });
    let program = json!({ "identifier": { "system": PUBKEY_SYSTEM, "value": health_data_exchange::ID.to_string() } });
    let (subtype, action) = if open {
        (
            json!({ "system": EMERGENCY_SYSTEM, "code": "emergency-open", "display": "open an emergency window" }),
            "E",
        )
    } else if write {
        (
            json!({ "system": "http://hl7.org/fhir/restful-interaction", "code": "create" }),
            "C",
        )
    } else {
        (
            json!({ "system": "http://hl7.org/fhir/restful-interaction", "code": "read" }),
            "R",
        )
    };
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("hdx-{}-{}", short(patient), row.sequence),
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation" },
        "subtype": [subtype],
        "action": action,
        "recorded": row.time,
        "outcome": if granted { "0" } else { "4" },
        "outcomeDesc": if granted { "Granted".to_string() } else { format!("Denied: {}", row.outcome) },
        "purposeOfEvent": [purpose_concept(&row.purpose)],
        "agent": [
            {
                "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient" }] },
                "who": key_ref(&provider),
                "requestor": true
            },
            { "type": dcm("110153", "Source Role ID"), "who": key_ref(&provider), "requestor": false },
            { "type": dcm("110152", "Destination Role ID"), "who": program, "requestor": false }
        ],
        "source": audit_source(),
        "entity": entities
    });
    if emergency {
        // Break-the-glass: the HL7 security label on the event itself.
        event["meta"] = json!({ "security": [{ "system": ACT_CODE, "code": health_data_exchange::codes::BREAK_THE_GLASS_HL7, "display": "break the glass" }] });
    }
    event
}

/// A reviewed emergency window as an R4 `AuditEvent`: the registry
/// authority's verdict (`outcomeDesc`), recorded when it was given; the
/// window (account address, reason, reads, when it opened and ended) as
/// the entity; break-the-glass as the security label.
pub fn emergency_review_event(w: &EmergencyWindow, reviewer: &Pubkey) -> Value {
    let address = crate::pda::emergency_window(&w.patient, w.index).0;
    let reason = w.reason.name();
    json!({
        "resourceType": "AuditEvent",
        "id": format!("hdx-{}-emergency-{}-review", short(&w.patient), w.index),
        "meta": { "security": [{ "system": ACT_CODE, "code": health_data_exchange::codes::BREAK_THE_GLASS_HL7, "display": "break the glass" }] },
        "type": { "system": EMERGENCY_SYSTEM, "code": "emergency-review", "display": "review of an emergency access window" },
        "action": "E",
        "period": { "start": rfc3339(w.opened_at), "end": rfc3339(w.ends_at()) },
        "recorded": rfc3339(w.reviewed_at),
        "outcome": "0",
        "outcomeDesc": format!("Verdict: {}", w.verdict.name()),
        "purposeOfEvent": [purpose_concept(Purpose::EmergencyTreatment.hl7_code())],
        "agent": [
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type", "code": "authserver", "display": "authorization server" }] }, "who": key_ref(reviewer), "requestor": true },
            { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient" }] }, "who": key_ref(&w.provider), "requestor": false }
        ],
        "source": audit_source(),
        "entity": [
            patient_entity(&w.patient),
            {
                "what": { "identifier": { "system": PUBKEY_SYSTEM, "value": address.to_string() } },
                "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
                "description": "emergency window (on-chain account)",
                "detail": [
                    { "type": "emergency-reason", "valueString": reason },
                    { "type": "reads", "valueString": w.reads.to_string() },
                    { "type": "ended-by", "valueString": w.ended_by.name() },
                    { "type": "verdict", "valueString": w.verdict.name() }
                ]
            }
        ]
    })
}

/// A guardian event (set, proposal, approval, execution, revocation,
/// hand-over) as an R4 `AuditEvent`: the guardian (or the patient's
/// authority, for a set) as the requesting agent, the patient as entity.
pub fn guardian_event(patient: &Pubkey, e: &crate::history::GuardianEvent) -> Option<Value> {
    use crate::events::HdxEvent;
    let (code, who, detail): (&str, Option<Pubkey>, String) = match &e.event {
        HdxEvent::GuardiansSet(x) => (
            "guardians-set",
            None,
            format!(
                "{} of {} guardians, {}",
                x.threshold,
                x.count,
                x.mode.name()
            ),
        ),
        HdxEvent::ProposalCreated(x) => (
            "proposal-created",
            Some(x.proposer),
            format!("proposal {} ({})", x.proposal, x.action.kind().name()),
        ),
        HdxEvent::ProposalApproved(x) => (
            "proposal-approved",
            Some(x.guardian),
            format!(
                "proposal {} ({} approvals)",
                x.proposal,
                x.approvals.count_ones()
            ),
        ),
        HdxEvent::ProposalExecuted(x) => (
            "proposal-executed",
            Some(x.executor),
            format!("proposal {} ({})", x.proposal, x.kind.name()),
        ),
        HdxEvent::ConsentRevoked(x) => (
            "guardian-revoked",
            Some(x.signer),
            format!("consent of provider {} revoked", x.provider),
        ),
        HdxEvent::HandedOver(x) => (
            "handed-over",
            None,
            format!(
                "control handed to {}; guardians {}",
                x.authority,
                if x.kept_for_recovery {
                    "kept for recovery"
                } else {
                    "removed"
                }
            ),
        ),
        _ => return None,
    };
    let mut agents = Vec::new();
    if let Some(who) = who {
        agents.push(json!({ "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "GUARD", "display": "guardian" }] }, "who": key_ref(&who), "requestor": true }));
    }
    let mut subject = patient_entity(patient);
    subject["detail"] = json!([{ "type": "transaction", "valueString": e.signature.to_string() }]);
    agents.push(json!({ "type": { "coding": [{ "system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110152", "display": "Destination Role ID" }] }, "who": { "identifier": { "system": PUBKEY_SYSTEM, "value": health_data_exchange::ID.to_string() } }, "requestor": false }));
    Some(json!({
        "resourceType": "AuditEvent",
        "id": format!("hdx-{}-guardians-{}", short(patient), &e.signature.to_string()[..16]),
        "type": { "system": GUARDIAN_SYSTEM, "code": code },
        "action": "E",
        "recorded": rfc3339(e.block_time.unwrap_or(0)),
        "outcome": "0",
        "outcomeDesc": detail,
        "agent": agents,
        "source": audit_source(),
        "entity": [subject]
    }))
}

fn origin_code(o: Origin) -> &'static str {
    match o {
        Origin::Granted => "granted",
        Origin::Updated => "updated",
        Origin::Renewed => "renewed",
    }
}

fn ending_code(e: Ending) -> &'static str {
    match e {
        Ending::Updated => "updated",
        Ending::Renewed => "renewed",
        Ending::Revoked => "revoked",
    }
}

/// The extension URLs that say how a consent version began and ended.
pub const ORIGIN_EXTENSION: &str = "urn:hdx:consent-version-origin";
pub const ENDING_EXTENSION: &str = "urn:hdx:consent-version-ending";

/// One consent version as an R4 `Consent` (`permit`): its terms; its period
/// the time it applied (from its start to its expiry, or to when it was
/// replaced or revoked, if earlier); `active` only while it is the version
/// in force and inside its window, `inactive` once replaced, revoked or
/// expired; identified as `<consent account>/<revision>`, which is what a
/// granted `AuditEvent` names.
pub fn consent_resource(v: &ConsentVersion, now: i64) -> Value {
    let t = &v.terms;
    let mut classes = Vec::new();
    let mut labels = Vec::new();
    for cat in Category::ALL
        .iter()
        .filter(|cat| t.categories & cat.bit() != 0)
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
    if t.modes & MODE_READ != 0 {
        actions.push(json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access" }] }));
    }
    if t.modes & MODE_WRITE != 0 {
        actions.push(json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "correct" }] }));
    }
    let purposes: Vec<Value> = Purpose::ALL
        .iter()
        .filter(|p| t.purposes & p.bit() != 0)
        .map(|p| json!({ "system": ACT_REASON, "code": p.hl7_code() }))
        .collect();
    let mut provision = json!({
        "type": "permit",
        "period": { "start": rfc3339(t.not_before), "end": rfc3339(v.end()) },
        "actor": [{
            "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP" }] },
            "reference": key_ref(&v.provider)
        }],
        "action": actions,
        "purpose": purposes,
        "class": classes
    });
    if !labels.is_empty() {
        provision["securityLabel"] = Value::Array(labels);
    }
    if t.from_day != 0 {
        provision["dataPeriod"] =
            json!({ "start": day_date(t.from_day), "end": day_date(t.to_day) });
    }
    let mut extension =
        vec![json!({ "url": ORIGIN_EXTENSION, "valueCode": origin_code(v.origin) })];
    if let Some((_, ending)) = v.ended {
        extension.push(json!({ "url": ENDING_EXTENSION, "valueCode": ending_code(ending) }));
    }
    let address = crate::pda::consent(&v.patient, &v.provider).0;
    json!({
        "resourceType": "Consent",
        "id": format!("hdx-consent-{}-{}-{}", short(&v.patient), short(&v.provider), v.revision),
        "extension": extension,
        "identifier": [{ "system": CONSENT_SYSTEM, "value": format!("{address}/{}", v.revision) }],
        "status": if v.is_active(now) { "active" } else { "inactive" },
        "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" }] },
        "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent" }] }],
        "patient": key_ref(&v.patient),
        "dateTime": rfc3339(v.since),
        "performer": [key_ref(&v.patient)],
        "policyRule": { "coding": [{ "system": ACT_CODE, "code": "OPTIN" }] },
        "provision": provision
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

/// Which of a patient's entries an export keeps: a time range and one provider.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Entries at or after this unix time.
    pub since: Option<i64>,
    /// Entries before this unix time.
    pub until: Option<i64>,
    /// Only this provider's entries (and consents), by id.
    pub provider: Option<Pubkey>,
}

impl Scope {
    pub fn keeps(&self, row: &EntryRow) -> bool {
        self.since.is_none_or(|t| row.unix_time >= t)
            && self.until.is_none_or(|t| row.unix_time < t)
            && self.provider.is_none_or(|p| row.provider == p.to_string())
    }
}

/// Streams a patient's log as rows (providers resolved from the registry),
/// each checked against the hash chain as it is read; `progress` hears
/// (pages read, pages). Returns the head and the number of entries.
pub fn stream_rows<T: Transport>(
    client: &HdxClient<T>,
    patient: &Pubkey,
    progress: &mut dyn FnMut(u64, u64),
    each: &mut dyn FnMut(EntryRow) -> anyhow::Result<()>,
) -> anyhow::Result<([u8; 32], u64)> {
    client.patient(patient)?; // a named error for an unknown patient
    let directory = client.directory()?;
    let windows = windows_of(client, patient)?;
    let mut n = 0u64;
    let head = client.stream_log(patient, progress, &mut |e| {
        n += 1;
        each(row(&e, &directory, &windows)?)
    })?;
    Ok((head, n))
}

/// The patient's emergency windows, by index (one `getProgramAccounts`).
pub fn windows_of<T: Transport>(
    client: &HdxClient<T>,
    patient: &Pubkey,
) -> Result<Windows, ClientError> {
    Ok(client
        .emergency_windows(WindowFilter {
            patient: Some(*patient),
            ..Default::default()
        })?
        .into_iter()
        .map(|w| (w.index, w))
        .collect())
}

/// A patient's whole FHIR R4 export, streamed to `out`: an `AuditEvent` per
/// log entry in `scope`, a `Consent` per consent version, a verdict event per
/// reviewed emergency window and an event per guardian action. The consent
/// history is read (and checked against the accounts) before anything is
/// written, so a history that does not match the chain writes nothing.
/// What `hdx audit log --format fhir` prints and `hdx serve` serves.
pub fn write_fhir<T: Transport, W: Write>(
    client: &HdxClient<T>,
    patient: &Pubkey,
    scope: &Scope,
    now: i64,
    out: W,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<W> {
    let accounts = client.consents(Some(patient), None)?;
    let versions: Vec<_> = crate::history::consent_history(&client.transport, patient, &accounts)?
        .into_iter()
        .filter(|v| scope.provider.is_none_or(|p| v.provider == p))
        .collect();
    let reviewed: Vec<_> = client
        .emergency_windows(WindowFilter {
            patient: Some(*patient),
            ..Default::default()
        })?
        .into_iter()
        .filter(|w| w.verdict != health_data_exchange::codes::Verdict::Unreviewed)
        .collect();
    let reviewer = client.registry().map(|r| r.authority).unwrap_or_default();
    let guardian_events = crate::history::guardian_events(&client.transport, patient)?;
    let mut w = FhirBundle::new(out, now)?;
    stream_rows(client, patient, progress, &mut |r| {
        if scope.keeps(&r) {
            w.resource(&audit_event(patient, &r))?;
        }
        Ok(())
    })?;
    for v in &versions {
        w.resource(&consent_resource(v, now))?;
    }
    for window in &reviewed {
        w.resource(&emergency_review_event(window, &reviewer))?;
    }
    for e in &guardian_events {
        if let Some(r) = guardian_event(patient, e) {
            w.resource(&r)?;
        }
    }
    w.finish()
}
