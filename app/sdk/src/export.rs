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

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::{
    Action, Actor, Category, EmergencyReason, Outcome, ProviderKind, Purpose, MODE_READ, MODE_WRITE,
};
use health_data_exchange::state::{EmergencyWindow, NO_CONSENT_REVISION, NO_RECORD};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::{ChainError, Entry};
use crate::client::{ClientError, HdxClient, ProviderIndex, WindowFilter};
use crate::directory::VerifiedDirectory;
use crate::history::{ConsentVersion, Ending, Origin, Participation};

mod event;

pub const PUBKEY_SYSTEM: &str = "urn:solana:pubkey";
pub const RECORD_SYSTEM: &str = "urn:hdx:record";
/// Emergency (break-the-glass) events: the opening's subtype, the review's type.
pub const EMERGENCY_SYSTEM: &str = "urn:hdx:emergency";
/// An emergency window: `<window account>`, named alike by the opening, every
/// read under it and its review.
pub const EMERGENCY_WINDOW_SYSTEM: &str = "urn:hdx:emergency-window";
/// Guardian events: the event's kind.
pub const GUARDIAN_SYSTEM: &str = "urn:hdx:guardians";
/// A consent version: `<consent account>/<revision>`.
pub const CONSENT_SYSTEM: &str = "urn:hdx:consent";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
const PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
/// HL7 v3 ActReason: the patient asked for it (a patient's own guardian set).
const PATIENT_REQUEST: &str = "PATRQT";
/// HL7 v3 ActReason: acting under a power of attorney on the patient's behalf
/// (what guardians do).
const POWER_OF_ATTORNEY: &str = "PWATRNY";

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

/// What decided a log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// There was no consent.
    NoConsent,
    /// The consent version (the patient's consent revision) that decided it.
    Consent(u32),
    /// An emergency opening or read: the window it belongs to, and the
    /// window's coded reason.
    Emergency {
        window: u32,
        reason: EmergencyReason,
    },
}

/// One log entry, typed: every code as the program's own enum, the provider
/// resolved from its registry number, the basis resolved to a consent
/// revision or an emergency window. What every export is built from; only
/// the JSON and CSV writers turn it into names ([`EntryRow`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub sequence: u64,
    /// Unix seconds.
    pub time: i64,
    /// The provider's registry number, as the entry stores it.
    pub provider_number: u32,
    /// The provider's id, resolved from the number.
    pub provider: Pubkey,
    pub provider_kind: ProviderKind,
    pub action: Action,
    pub record_index: Option<u32>,
    /// `None` for an emergency opening (it names no record).
    pub category: Option<Category>,
    pub purpose: Purpose,
    pub outcome: Outcome,
    pub basis: Basis,
}

impl AuditRow {
    pub fn granted(&self) -> bool {
        self.outcome.is_granted()
    }

    /// The emergency window an opening or emergency read belongs to.
    pub fn emergency_window(&self) -> Option<u32> {
        match self.basis {
            Basis::Emergency { window, .. } => Some(window),
            _ => None,
        }
    }

    /// The `AuditEvent.id` of this entry in a FHIR export.
    pub fn event_id(&self, patient: &Pubkey) -> String {
        format!("hdx-{}-{}", short(patient), self.sequence)
    }
}

/// One log entry with its codes named: the JSON and CSV row (made from an
/// [`AuditRow`] only). `audit verify --copy` checks every field of a copy
/// against the chain's.
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
    /// The category's name; `none` for an emergency opening.
    pub category: String,
    /// HL7 v3 ActReason code.
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

impl From<&AuditRow> for EntryRow {
    fn from(r: &AuditRow) -> Self {
        let (consent_revision, emergency_window, emergency_reason) = match r.basis {
            Basis::NoConsent => (None, None, None),
            Basis::Consent(revision) => (Some(revision), None, None),
            Basis::Emergency { window, reason } => {
                (None, Some(window), Some(reason.name().to_string()))
            }
        };
        EntryRow {
            sequence: r.sequence,
            time: rfc3339(r.time),
            unix_time: r.time,
            provider_number: r.provider_number,
            provider: r.provider.to_string(),
            provider_kind: r.provider_kind.name().to_string(),
            action: r.action.name().to_string(),
            record_index: r.record_index,
            category: r.category.map_or("none", Category::name).to_string(),
            purpose: r.purpose.hl7_code().to_string(),
            outcome: r.outcome.name().to_string(),
            consent_revision,
            emergency_window,
            emergency_reason,
        }
    }
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

/// The typed row of one entry; its provider number resolved through
/// `directory` (a number no provider has is an error, never a guess), an
/// emergency entry's window through `windows` (likewise), every code
/// decoded (one that names nothing is a malformed entry).
pub fn row(
    e: &Entry,
    directory: &ProviderIndex,
    windows: &Windows,
) -> Result<AuditRow, ClientError> {
    let x = &e.entry;
    let malformed = || {
        ClientError::Chain(ChainError::MalformedEntry {
            sequence: e.sequence,
        })
    };
    let p = directory.resolve(x.provider)?;
    let action = Action::from_code(x.action).ok_or_else(malformed)?;
    let emergency = matches!(action, Action::EmergencyOpen | Action::EmergencyRead);
    let basis = if emergency {
        let w = windows.get(&x.basis).ok_or_else(|| {
            ClientError::NotFound(format!(
                "emergency window {} that log entry {} names",
                x.basis, e.sequence
            ))
        })?;
        Basis::Emergency {
            window: w.index,
            reason: w.reason,
        }
    } else if x.basis == NO_CONSENT_REVISION {
        Basis::NoConsent
    } else {
        Basis::Consent(x.basis)
    };
    Ok(AuditRow {
        sequence: e.sequence,
        time: i64::from(x.time),
        provider_number: x.provider,
        provider: p.id,
        provider_kind: p.kind,
        action,
        record_index: (x.record_index != NO_RECORD).then_some(x.record_index),
        // An emergency opening names no record, so no category.
        category: if action == Action::EmergencyOpen {
            None
        } else {
            Some(Category::from_code(x.category).ok_or_else(malformed)?)
        },
        purpose: Purpose::from_code(x.purpose).ok_or_else(malformed)?,
        outcome: Outcome::from_code(x.outcome).ok_or_else(malformed)?,
        basis,
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

    pub fn row(&mut self, row: &AuditRow) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&EntryRow::from(row))?;
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

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out
            .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `audit log --format csv`, a row at a time; the header is always there.
pub struct CsvRows<W: Write>(csv::Writer<W>);

impl<W: Write> CsvRows<W> {
    pub fn new(out: W) -> std::io::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        w.write_record(ROW_FIELDS)?;
        Ok(Self(w))
    }

    pub fn row(&mut self, row: &AuditRow) -> std::io::Result<()> {
        Ok(self.0.serialize(EntryRow::from(row))?)
    }

    pub fn finish(self) -> std::io::Result<W> {
        self.0.into_inner().map_err(|e| e.into_error())
    }
}

/// A FHIR R4 `collection` Bundle, a resource at a time: each entry on one
/// line, so a 100,000-event export is written as it is read.
pub struct FhirBundle<W: Write> {
    out: W,
    entries: u64,
}

impl<W: Write> FhirBundle<W> {
    pub fn new(mut out: W, now: i64) -> std::io::Result<Self> {
        write!(
            out,
            "{{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"collection\",\n  \"timestamp\": \"{}\",\n  \"entry\": [",
            rfc3339(now)
        )?;
        Ok(Self { out, entries: 0 })
    }

    /// Writes `{"fullUrl":..,"resource":..}` as `serde_json` writes that
    /// object (keys in order, compact), without building it.
    pub fn resource(&mut self, resource: &Value) -> std::io::Result<()> {
        let id = resource["id"].as_str().unwrap_or_default();
        self.entry_with(id, |out| serde_json::to_writer(out, resource))
    }

    /// Writes an entry whose resource (with id `id`) `write` writes.
    fn entry_with(
        &mut self,
        id: &str,
        write: impl FnOnce(&mut W) -> serde_json::Result<()>,
    ) -> std::io::Result<()> {
        self.out.write_all(if self.entries == 0 {
            b"\n    {\"fullUrl\":"
        } else {
            b",\n    {\"fullUrl\":"
        })?;
        serde_json::to_writer(&mut self.out, &full_url(id))?;
        self.out.write_all(b",\"resource\":")?;
        write(&mut self.out)?;
        self.out.write_all(b"}")?;
        self.entries += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(if self.entries == 0 {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The `fullUrl` of the resource with this id in an export's Bundle: what
/// one resource's reference to another resolves through.
pub fn full_url(id: &str) -> String {
    format!("urn:uuid:{}", pseudo_uuid(id))
}

fn key_ref(key: &Pubkey) -> Value {
    key_value(&key.to_string())
}

fn key_value(key: &str) -> Value {
    json!({ "identifier": { "system": PUBKEY_SYSTEM, "value": key } })
}

/// What the events of one export repeat, worked out once: keys in base58,
/// consent and emergency-window addresses (a PDA search each).
#[derive(Default)]
pub struct Memo {
    keys: HashMap<Pubkey, String>,
    consents: HashMap<(Pubkey, Pubkey), (Pubkey, String)>,
    windows: HashMap<(Pubkey, u32), (Pubkey, String)>,
}

impl Memo {
    fn key(&mut self, key: &Pubkey) -> &str {
        self.keys.entry(*key).or_insert_with(|| key.to_string())
    }

    fn consent_entry(&mut self, patient: &Pubkey, provider: &Pubkey) -> &(Pubkey, String) {
        self.consents
            .entry((*patient, *provider))
            .or_insert_with(|| {
                let a = crate::pda::consent(patient, provider).0;
                (a, a.to_string())
            })
    }

    fn window_entry(&mut self, patient: &Pubkey, index: u32) -> &(Pubkey, String) {
        self.windows.entry((*patient, index)).or_insert_with(|| {
            let a = crate::pda::emergency_window(patient, index).0;
            (a, a.to_string())
        })
    }

    fn consent(&mut self, patient: &Pubkey, provider: &Pubkey) -> Pubkey {
        self.consent_entry(patient, provider).0
    }

    fn window(&mut self, patient: &Pubkey, index: u32) -> Pubkey {
        self.window_entry(patient, index).0
    }

    fn consent_str(&mut self, patient: &Pubkey, provider: &Pubkey) -> String {
        self.consent_entry(patient, provider).1.clone()
    }

    fn window_str(&mut self, patient: &Pubkey, index: u32) -> String {
        self.window_entry(patient, index).1.clone()
    }

    /// The `AuditEvent.id` of `row` (as [`AuditRow::event_id`]).
    fn event_id(&mut self, patient: &Pubkey, row: &AuditRow) -> String {
        format!("hdx-{}-{}", &self.key(patient)[..12], row.sequence)
    }
}

static AUDIT_SOURCE: std::sync::LazyLock<Value> = std::sync::LazyLock::new(audit_source);
static DESTINATION_AGENT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(destination_agent);

/// The program as the `AuditEvent.source` of every event it records.
fn audit_source() -> Value {
    json!({
        "observer": { "display": format!("HealthDataExchange program {}", health_data_exchange::ID) },
        "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server" }]
    })
}

/// The patient as an `AuditEvent.entity` (a person in the patient role).
fn patient_entity(patient: &Pubkey) -> Value {
    patient_entity_of(&patient.to_string())
}

fn patient_entity_of(patient: &str) -> Value {
    json!({
        "what": key_value(patient),
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

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }] })
}

fn entity_type(code: &str, display: &str) -> Value {
    json!({ "system": ENTITY_TYPE, "code": code, "display": display })
}

/// The program as the server (destination role) of every event it records.
fn destination_agent() -> Value {
    json!({
        "type": coding("http://dicom.nema.org/resources/ontology/DCM", "110152", "Destination Role ID"),
        "who": key_ref(&health_data_exchange::ID),
        "requestor": false
    })
}

/// The entity naming an emergency window: the same identifier in the
/// opening, every read under it and its review; when the review is in the
/// same export, a reference to it too.
fn window_entity(patient: &Pubkey, index: u32, review: Option<&str>) -> Value {
    window_entity_at(
        crate::pda::emergency_window(patient, index).0,
        index,
        review,
    )
}

fn window_entity_at(address: Pubkey, index: u32, review: Option<&str>) -> Value {
    let mut what = json!({ "identifier": { "system": EMERGENCY_WINDOW_SYSTEM, "value": address.to_string() } });
    if let Some(id) = review {
        what["reference"] = json!(full_url(id));
    }
    json!({
        "what": what,
        "type": entity_type("2", "System Object"),
        "description": format!("emergency window {index} (on-chain account {address}): break the glass"),
    })
}

/// The `AuditEvent.id` of a window's review in a FHIR export.
pub fn review_event_id(patient: &Pubkey, index: u32) -> String {
    format!("hdx-{}-emergency-{index}-review", short(patient))
}

/// One log entry as an R4 `AuditEvent` after IHE BALP's RESTful read and
/// create patterns: the provider as the requesting user (information
/// recipient) and as the client system (source role), the program as the
/// server (destination role); the patient and, with the record's category
/// (and its security label when sensitive), the record as entities. A denial
/// is outcome 4 with the reason in `outcomeDesc`. Only a granted entry names
/// a consent, as the authorising one: the version (account / revision) in
/// force at that access, a `Consent` of the same export. An emergency entry
/// names its window (and the window's review, when `reviewed`).
pub fn audit_event(patient: &Pubkey, row: &AuditRow, reviewed: bool) -> Value {
    audit_event_with(&mut Memo::default(), patient, row, reviewed)
}

/// [`audit_event`], with what the export's other events share in `memo`.
pub fn audit_event_with(
    memo: &mut Memo,
    patient: &Pubkey,
    row: &AuditRow,
    reviewed: bool,
) -> Value {
    let patient_key = memo.key(patient).to_string();
    let provider_key = memo.key(&row.provider).to_string();
    let mut entities = vec![patient_entity_of(&patient_key)];
    if let Some(index) = row.record_index {
        let mut record = json!({
            "what": { "identifier": { "system": RECORD_SYSTEM, "value": format!("{patient_key}/{index}") } },
            "type": entity_type("2", "System Object"),
            "role": { "system": OBJECT_ROLE, "code": "4", "display": "Domain Resource" },
            "detail": []
        });
        if let Some(category) = row.category {
            let (class, label) = fhir_class(category);
            record["detail"] = json!([
                { "type": "category", "valueString": category.name() },
                { "type": "resourceType", "valueString": class }
            ]);
            if let Some(label) = label {
                record["securityLabel"] = json!([{ "system": ACT_CODE, "code": label }]);
            }
        }
        entities.push(record);
    }
    match row.basis {
        Basis::Consent(revision) if row.granted() => {
            let consent = memo.consent(patient, &row.provider);
            entities.push(json!({
                "what": { "identifier": { "system": CONSENT_SYSTEM, "value": format!("{consent}/{revision}") } },
                "type": entity_type("2", "System Object"),
                "description": "authorizing consent: on-chain consent account / revision in force"
            }));
        }
        Basis::Emergency { window, reason } => {
            let review = format!("hdx-{}-emergency-{window}-review", &patient_key[..12]);
            let mut entity = window_entity_at(
                memo.window(patient, window),
                window,
                reviewed.then_some(review.as_str()),
            );
            entity["detail"] = json!([
                { "type": "emergency-window", "valueString": window.to_string() },
                { "type": "emergency-reason", "valueString": reason.name() }
            ]);
            entities.push(entity);
        }
        _ => {}
    }
    let (subtype, action) = match row.action {
        Action::EmergencyOpen => (
            json!({ "system": EMERGENCY_SYSTEM, "code": "emergency-open", "display": "open an emergency window" }),
            "E",
        ),
        Action::Write => (
            json!({ "system": "http://hl7.org/fhir/restful-interaction", "code": "create" }),
            "C",
        ),
        _ => (
            json!({ "system": "http://hl7.org/fhir/restful-interaction", "code": "read" }),
            "R",
        ),
    };
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("hdx-{}-{}", &patient_key[..12], row.sequence),
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation" },
        "subtype": [subtype],
        "action": action,
        "recorded": rfc3339(row.time),
        "outcome": if row.granted() { "0" } else { "4" },
        "outcomeDesc": if row.granted() { "Granted".to_string() } else { format!("Denied: {}", row.outcome.name()) },
        "purposeOfEvent": [purpose_concept(row.purpose.hl7_code())],
        "agent": [
            {
                "type": coding(PARTICIPATION, "IRCP", "information recipient"),
                "who": key_value(&provider_key),
                "requestor": true
            },
            { "type": coding("http://dicom.nema.org/resources/ontology/DCM", "110153", "Source Role ID"), "who": key_value(&provider_key), "requestor": false },
            DESTINATION_AGENT.clone()
        ],
        "source": AUDIT_SOURCE.clone(),
        "entity": entities
    });
    if row.emergency_window().is_some() {
        // Break-the-glass: the HL7 security label on the event itself.
        event["meta"] = json!({ "security": [{ "system": ACT_CODE, "code": health_data_exchange::codes::BREAK_THE_GLASS_HL7, "display": "break the glass" }] });
    }
    event
}

/// A reviewed emergency window as an R4 `AuditEvent`: the registry
/// authority's verdict (`outcomeDesc`), recorded when it was given, by the
/// reviewer its review event names; the window (account address, reason,
/// reads, when it opened and ended) as an entity, and each entry of the
/// export under it (`entries`: the opening and every read, by `AuditEvent.id`)
/// as an entity referring to that entry's event.
pub fn emergency_review_event(w: &EmergencyWindow, reviewer: &Pubkey, entries: &[String]) -> Value {
    let mut window = window_entity(&w.patient, w.index, None);
    window["detail"] = json!([
        { "type": "emergency-window", "valueString": w.index.to_string() },
        { "type": "emergency-reason", "valueString": w.reason.name() },
        { "type": "reads", "valueString": w.reads.to_string() },
        { "type": "ended-by", "valueString": w.ended_by.name() },
        { "type": "verdict", "valueString": w.verdict.name() }
    ]);
    let mut entities = vec![patient_entity(&w.patient), window];
    for id in entries {
        entities.push(json!({
            "what": { "reference": full_url(id) },
            "type": entity_type("2", "System Object"),
            "description": "an access under this emergency window (its AuditEvent)"
        }));
    }
    json!({
        "resourceType": "AuditEvent",
        "id": review_event_id(&w.patient, w.index),
        "meta": { "security": [{ "system": ACT_CODE, "code": health_data_exchange::codes::BREAK_THE_GLASS_HL7, "display": "break the glass" }] },
        "type": { "system": EMERGENCY_SYSTEM, "code": "emergency-review", "display": "review of an emergency access window" },
        "action": "E",
        "period": { "start": rfc3339(w.opened_at), "end": rfc3339(w.ends_at()) },
        "recorded": rfc3339(w.reviewed_at),
        "outcome": "0",
        "outcomeDesc": format!("Verdict: {}", w.verdict.name()),
        "purposeOfEvent": [purpose_concept(Purpose::EmergencyTreatment.hl7_code())],
        "agent": [
            { "type": coding("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "authserver", "authorization server"), "who": key_ref(reviewer), "requestor": true },
            { "type": coding(PARTICIPATION, "IRCP", "information recipient"), "who": key_ref(&w.provider), "requestor": false },
            destination_agent()
        ],
        "source": audit_source(),
        "entity": entities
    })
}

fn guardian_agent(who: &Pubkey, requestor: bool) -> Value {
    json!({ "type": coding(ROLE_CODE, "GUARD", "guardian"), "who": key_ref(who), "requestor": requestor })
}

/// The names of a category mask's categories, comma-separated, in code order.
pub fn category_names(mask: u16) -> String {
    Category::ALL
        .iter()
        .filter(|c| mask & c.bit() != 0)
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// What a proposal does, in words (its terms as the export names them).
pub fn proposal_action_words(action: &health_data_exchange::state::ProposalAction) -> String {
    use health_data_exchange::state::ProposalAction as A;
    let terms = |t: &health_data_exchange::ConsentTerms| {
        let purposes = Purpose::ALL
            .iter()
            .filter(|p| t.purposes & p.bit() != 0)
            .map(|p| p.hl7_code())
            .collect::<Vec<_>>()
            .join(",");
        let modes = [(MODE_READ, "read"), (MODE_WRITE, "write")]
            .iter()
            .filter(|(b, _)| t.modes & b != 0)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "categories {}; modes {modes}; purposes {purposes}; from {} until {}",
            category_names(t.categories),
            rfc3339(t.not_before),
            rfc3339(t.expires_at)
        )
    };
    match action {
        A::Grant { provider, terms: t } => format!("grant provider {provider}: {}", terms(t)),
        A::Update { provider, terms: t } => {
            format!("update provider {provider}'s consent: {}", terms(t))
        }
        A::Recover { new_authority } => format!("recover control to {new_authority}"),
        A::HandOver {
            new_authority,
            keep_for_recovery,
        } => format!(
            "hand control to {new_authority}; guardians {}",
            if *keep_for_recovery {
                "kept for recovery"
            } else {
                "removed"
            }
        ),
        A::EmergencyPreferences { preferences } => format!(
            "emergency preferences: {}{}",
            if preferences.opt_out {
                "opted out"
            } else {
                "allowed"
            },
            match category_names(preferences.excluded) {
                e if e.is_empty() => String::new(),
                e => format!(", excluding {e}"),
            }
        ),
        A::Enroll {
            study,
            categories,
            until,
        } => format!(
            "enrol in study {study}: categories {} until {}",
            category_names(*categories),
            rfc3339(*until)
        ),
    }
}

/// A guardian event (set, proposal, approval, execution, revocation,
/// hand-over) as an R4 `AuditEvent` after IHE BALP: the acting key as the
/// requesting agent (the patient's authority setting its guardians; the
/// guardian who proposed, approved, executed or revoked), every guardian
/// the set names or who approved an executed proposal as agents too, the
/// program as destination; a coded purpose of use (`PATRQT` for the
/// patient's own set, `PWATRNY` for guardians acting for the patient); the
/// patient as entity; what was done in `outcomeDesc`, the transaction in a
/// detail.
pub fn guardian_event(patient: &Pubkey, e: &crate::history::GuardianEvent) -> Option<Value> {
    use crate::events::HdxEvent;
    let mut agents = Vec::new();
    let (code, purpose, detail) = match &e.event {
        HdxEvent::GuardiansSet(x) => {
            agents.push(json!({ "type": coding(PARTICIPATION, "AUT", "author (originator)"), "who": key_ref(&x.authority), "requestor": true }));
            let named = &x.guardians[..usize::from(x.count).min(x.guardians.len())];
            agents.extend(named.iter().map(|g| guardian_agent(g, false)));
            (
                "guardians-set",
                PATIENT_REQUEST,
                if x.count == 0 {
                    "guardians removed".to_string()
                } else {
                    format!(
                        "{} of {} guardians, {}: {}",
                        x.threshold,
                        x.count,
                        x.mode.name(),
                        named
                            .iter()
                            .map(|g| g.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )
        }
        HdxEvent::ProposalCreated(x) => {
            agents.push(guardian_agent(&x.proposer, true));
            (
                "proposal-created",
                POWER_OF_ATTORNEY,
                format!(
                    "proposal {}: {} (open until {})",
                    x.proposal,
                    proposal_action_words(&x.action),
                    rfc3339(x.expires_at)
                ),
            )
        }
        HdxEvent::ProposalApproved(x) => {
            agents.push(guardian_agent(&x.guardian, true));
            (
                "proposal-approved",
                POWER_OF_ATTORNEY,
                format!(
                    "proposal {} approved ({} approvals)",
                    x.proposal,
                    x.approvals.count_ones()
                ),
            )
        }
        HdxEvent::ProposalExecuted(x) => {
            agents.push(guardian_agent(&x.executor, true));
            let approvers: Vec<&Pubkey> = x
                .approvers
                .iter()
                .filter(|k| **k != Pubkey::default())
                .collect();
            agents.extend(
                approvers
                    .iter()
                    .filter(|k| ***k != x.executor)
                    .map(|k| guardian_agent(k, false)),
            );
            (
                "proposal-executed",
                POWER_OF_ATTORNEY,
                format!(
                    "proposal {} ({}) executed by {}, approved by {}",
                    x.proposal,
                    x.kind.name(),
                    x.executor,
                    approvers
                        .iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }
        HdxEvent::ConsentRevoked(x) => {
            agents.push(guardian_agent(&x.signer, true));
            (
                "guardian-revoked",
                POWER_OF_ATTORNEY,
                format!(
                    "consent of provider {} (revision {}) revoked by guardian {}",
                    x.provider, x.revision, x.signer
                ),
            )
        }
        HdxEvent::HandedOver(x) => {
            // The executing guardian is the ProposalExecuted event of the same transaction.
            (
                "handed-over",
                POWER_OF_ATTORNEY,
                format!(
                    "control handed to {}; guardians {}",
                    x.authority,
                    if x.kept_for_recovery {
                        "kept for recovery"
                    } else {
                        "removed"
                    }
                ),
            )
        }
        _ => return None,
    };
    if agents.is_empty() {
        if let Some(executor) = e.executor {
            agents.push(guardian_agent(&executor, true));
        }
    }
    agents.push(destination_agent());
    let mut subject = patient_entity(patient);
    subject["detail"] = json!([{ "type": "transaction", "valueString": e.signature.to_string() }]);
    let kind = match &e.event {
        HdxEvent::ProposalCreated(x) => format!("-{}", x.proposal),
        HdxEvent::ProposalApproved(x) => format!("-{}-{}", x.proposal, short(&x.guardian)),
        _ => String::new(),
    };
    Some(json!({
        "resourceType": "AuditEvent",
        "id": format!("hdx-{}-{code}{kind}-{}", short(patient), &e.signature.to_string()[..16]),
        "type": { "system": GUARDIAN_SYSTEM, "code": code },
        "action": "E",
        "recorded": rfc3339(e.block_time.unwrap_or(0)),
        "outcome": "0",
        "outcomeDesc": detail,
        "purposeOfEvent": [purpose_concept(purpose)],
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

/// Who set a consent version's terms, as its export names it.
pub fn actor_code(a: Actor) -> &'static str {
    match a {
        Actor::Patient => "patient",
        Actor::Guardian | Actor::Guardians => "guardians",
    }
}

fn ending_code(e: Ending) -> &'static str {
    match e {
        Ending::Updated => "updated",
        Ending::Renewed => "renewed",
        Ending::Revoked => "revoked",
    }
}

/// The extension URLs that say how a consent version began and ended, and
/// who set its terms (`patient` or `guardians`, and the guardians' proposal).
pub const ORIGIN_EXTENSION: &str = "urn:hdx:consent-version-origin";
pub const ENDING_EXTENSION: &str = "urn:hdx:consent-version-ending";
pub const ACTOR_EXTENSION: &str = "urn:hdx:consent-version-actor";
pub const PROPOSAL_EXTENSION: &str = "urn:hdx:consent-version-proposal";

/// The FHIR resource types a category mask's records are, each once, in category order.
fn resource_classes(categories: u16) -> Vec<Value> {
    let mut classes = Vec::new();
    for cat in Category::ALL.iter().filter(|c| categories & c.bit() != 0) {
        let coding =
            json!({ "system": "http://hl7.org/fhir/resource-types", "code": fhir_class(*cat).0 });
        if !classes.contains(&coding) {
            classes.push(coding);
        }
    }
    classes
}

/// Who set a consent's terms, as a `Consent.performer`: the patient, or the
/// guardians who approved the proposal (the executing `signer` first).
fn performer(actor: Actor, patient: &Pubkey, signer: &Pubkey, approvers: &[Pubkey]) -> Vec<Value> {
    match actor {
        Actor::Patient => vec![key_ref(patient)],
        Actor::Guardian | Actor::Guardians => {
            let mut who = vec![*signer];
            who.extend(approvers.iter().filter(|k| *k != signer));
            who.iter().map(key_ref).collect()
        }
    }
}

/// One consent version as an R4 `Consent` (`permit`): its terms; its period
/// the time it applied (from its start to its expiry, or to when it was
/// replaced or revoked, if earlier); `active` only while it is the version
/// in force and inside its window, `inactive` once replaced, revoked or
/// expired; identified as `<consent account>/<revision>`, which is what a
/// granted `AuditEvent` names. Its performer is who set the terms: the
/// patient, or the guardians who approved the proposal that set them (the
/// executor among them, listed first).
pub fn consent_resource(v: &ConsentVersion, now: i64) -> Value {
    let t = &v.terms;
    let classes = resource_classes(t.categories);
    let labels: Vec<Value> = Category::ALL
        .iter()
        .filter(|cat| t.categories & cat.bit() != 0)
        .filter_map(|cat| fhir_class(*cat).1)
        .map(|l| json!({ "system": ACT_CODE, "code": l }))
        .collect();
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
    let mut extension = vec![
        json!({ "url": ORIGIN_EXTENSION, "valueCode": origin_code(v.origin) }),
        json!({ "url": ACTOR_EXTENSION, "valueCode": actor_code(v.actor) }),
    ];
    if let Some(n) = v.proposal {
        extension.push(json!({ "url": PROPOSAL_EXTENSION, "valueUnsignedInt": n }));
    }
    if let Some((_, ending)) = v.ended {
        extension.push(json!({ "url": ENDING_EXTENSION, "valueCode": ending_code(ending) }));
    }
    let performer = performer(v.actor, &v.patient, &v.signer, &v.approvers);
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
        "performer": performer,
        "policyRule": { "coding": [{ "system": ACT_CODE, "code": "OPTIN" }] },
        "provision": provision
    })
}

/// The system naming a study by its address.
pub const STUDY_SYSTEM: &str = "urn:hdx:study";

/// One research participation as two R4 resources: a `Consent` (scope
/// `research`, purpose `HRESCH`, the categories the patient let the study
/// use, from the enrolment to its end or withdrawal; `active` while
/// enrolled and not past its end), and a `ResearchSubject` (`on-study`,
/// then `withdrawn` or `off-study`) naming the study by its address and
/// referring to that Consent.
pub fn research_resources(p: &Participation, now: i64) -> [Value; 2] {
    let classes = resource_classes(p.categories);
    let consent_id = format!("hdx-research-consent-{}-{}", short(&p.patient), p.revision);
    let address = crate::pda::enrollment(&p.study, &p.patient).0;
    let study = json!({ "identifier": { "system": STUDY_SYSTEM, "value": p.study.to_string() } });
    let performer = performer(p.actor, &p.patient, &p.signer, &p.approvers);
    let mut extension = vec![json!({ "url": ACTOR_EXTENSION, "valueCode": actor_code(p.actor) })];
    if let Some(n) = p.proposal {
        extension.push(json!({ "url": PROPOSAL_EXTENSION, "valueUnsignedInt": n }));
    }
    if p.withdrawn.is_some() {
        extension.push(json!({ "url": ENDING_EXTENSION, "valueCode": "withdrawn" }));
    }
    let period = json!({ "start": rfc3339(p.since), "end": rfc3339(p.end()) });
    let consent = json!({
        "resourceType": "Consent",
        "id": consent_id,
        "extension": extension,
        "identifier": [{ "system": CONSENT_SYSTEM, "value": format!("{address}/{}", p.revision) }],
        "status": if p.is_active(now) { "active" } else { "inactive" },
        "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research" }] },
        "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent" }] }],
        "patient": key_ref(&p.patient),
        "dateTime": rfc3339(p.since),
        "performer": performer,
        "policyRule": { "coding": [{ "system": ACT_CODE, "code": "OPTIN" }] },
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [{
                "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP" }] },
                "reference": study
            }],
            "purpose": [{ "system": ACT_REASON, "code": "HRESCH" }],
            "class": classes
        }
    });
    let status = match p.withdrawn {
        Some(_) => "withdrawn",
        None if now >= p.until => "off-study",
        None => "on-study",
    };
    let subject = json!({
        "resourceType": "ResearchSubject",
        "id": format!("hdx-research-subject-{}-{}", short(&p.patient), p.revision),
        "identifier": [{ "system": CONSENT_SYSTEM, "value": format!("{address}/{}", p.revision) }],
        "status": status,
        "period": period,
        "study": study,
        "individual": key_ref(&p.patient),
        "consent": { "reference": full_url(&consent_id) }
    });
    [consent, subject]
}

/// A stable UUID-shaped name for a resource id (bundle `fullUrl`s must be absolute).
fn pseudo_uuid(id: &str) -> String {
    use sha2::{Digest, Sha256};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let h = Sha256::digest(id.as_bytes());
    let mut out = String::with_capacity(36);
    for (i, b) in h.iter().take(16).enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
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
    pub fn keeps(&self, row: &AuditRow) -> bool {
        self.since.is_none_or(|t| row.time >= t)
            && self.until.is_none_or(|t| row.time < t)
            && self.provider.is_none_or(|p| row.provider == p)
    }
}

/// An export that could not be made: the chain could not be read (or does
/// not verify), or the output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

/// Streams a patient's log as typed rows (providers resolved from the
/// registry), each checked against the hash chain as it is read; `progress`
/// hears (pages read, pages). Returns the head and the number of entries.
pub fn stream_rows<E: From<ClientError>>(
    client: &HdxClient,
    patient: &Pubkey,
    progress: &mut dyn FnMut(u64, u64),
    each: &mut dyn FnMut(AuditRow) -> Result<(), E>,
) -> Result<([u8; 32], u64), E> {
    client.patient(patient)?; // a named error for an unknown patient
    let directory = client.provider_index()?;
    let windows = windows_of(client, patient)?;
    let mut n = 0u64;
    let head = client.stream_log(patient, progress, &mut |e| {
        n += 1;
        each(row(&e, &directory, &windows)?)
    })?;
    Ok((head, n))
}

/// The patient's emergency windows, by index (one `getProgramAccounts`).
pub fn windows_of(client: &HdxClient, patient: &Pubkey) -> Result<Windows, ClientError> {
    Ok(client
        .emergency_windows(WindowFilter {
            patient: Some(*patient),
            ..Default::default()
        })?
        .into_iter()
        .map(|w| (w.index, w))
        .collect())
}

/// `resource` with a `display` on every reference to a provider (an
/// identifier in the public-key system naming a key of `names`).
fn named(mut resource: Value, names: &HashMap<String, String>) -> Value {
    fn walk(v: &mut Value, names: &HashMap<String, String>) {
        match v {
            Value::Object(map) => {
                let display = map
                    .get("identifier")
                    .filter(|i| i["system"] == PUBKEY_SYSTEM)
                    .and_then(|i| i["value"].as_str())
                    .and_then(|key| names.get(key));
                if let Some(display) = display {
                    if !map.contains_key("display") {
                        map.insert("display".into(), Value::String(display.clone()));
                    }
                }
                map.values_mut().for_each(|x| walk(x, names));
            }
            Value::Array(items) => items.iter_mut().for_each(|x| walk(x, names)),
            _ => {}
        }
    }
    walk(&mut resource, names);
    resource
}

/// A patient's whole FHIR R4 export, streamed to `out`: an `AuditEvent` per
/// log entry in `scope`, a `Consent` per consent version, a verdict event per
/// reviewed emergency window (referring to the window's entries in the
/// export) and an event per guardian action. The consent history, the
/// reviewers and the guardian events are read (and checked) before anything
/// is written, so a history that does not match the chain writes nothing.
/// Every provider reference carries the provider's name as `directory`
/// proves it ("City Hospital · NPI 1234567893 ✓"), else its kind and number,
/// as `display`. What `hdx audit log --format fhir` prints and `hdx serve`
/// serves.
pub fn write_fhir<W: Write>(
    client: &HdxClient,
    patient: &Pubkey,
    scope: &Scope,
    now: i64,
    directory: &VerifiedDirectory,
    out: W,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<W, ExportError> {
    let transport = client.transport.as_ref();
    let names: HashMap<String, String> = client
        .providers(None)?
        .iter()
        .map(|p| (p.id.to_string(), directory.display_name(p)))
        .collect();
    let accounts = client.consents(Some(patient), None)?;
    let enrollments = client.patient_enrollments(patient)?;
    let (versions, participations) =
        crate::history::consent_and_study_history(transport, patient, &accounts, &enrollments)?;
    let versions: Vec<_> = versions
        .into_iter()
        .filter(|v| scope.provider.is_none_or(|p| v.provider == p))
        .collect();
    // A provider's export is that provider's; research consents are no provider's.
    let participations = match scope.provider {
        Some(_) => Vec::new(),
        None => participations,
    };
    let windows: Vec<EmergencyWindow> = windows_of(client, patient)?.into_values().collect();
    let reviewers = crate::history::emergency_reviewers(transport, &windows)?;
    let reviewed: Vec<&EmergencyWindow> = windows
        .iter()
        .filter(|w| reviewers.contains_key(&w.index))
        .filter(|w| scope.provider.is_none_or(|p| w.provider == p))
        .collect();
    let guardian_events = crate::history::guardian_events(transport, patient)?;
    let mut w = FhirBundle::new(out, now)?;
    // The exported entries of each window, for its review to refer to.
    let mut under_window: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut memo = Memo::default();
    stream_rows(client, patient, progress, &mut |r| -> Result<
        (),
        ExportError,
    > {
        if scope.keeps(&r) {
            let reviewed = r
                .emergency_window()
                .is_some_and(|i| reviewed.iter().any(|w| w.index == i));
            let id = memo.event_id(patient, &r);
            if let Some(i) = r.emergency_window() {
                under_window.entry(i).or_default().push(id.clone());
            }
            w.entry_with(&id, |out| {
                event::write_audit_event(out, &id, &mut memo, &names, patient, &r, reviewed)
            })?;
        }
        Ok(())
    })?;
    for v in &versions {
        w.resource(&named(consent_resource(v, now), &names))?;
    }
    for window in &reviewed {
        let entries = under_window.get(&window.index).map_or(&[][..], |v| &v[..]);
        w.resource(&named(
            emergency_review_event(window, &reviewers[&window.index], entries),
            &names,
        ))?;
    }
    for e in &guardian_events {
        if let Some(r) = guardian_event(patient, e) {
            w.resource(&r)?;
        }
    }
    for p in &participations {
        for r in research_resources(p, now) {
            w.resource(&r)?;
        }
    }
    Ok(w.finish()?)
}
