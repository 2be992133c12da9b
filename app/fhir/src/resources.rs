//! The FHIR R4 resources the front door answers with: every error an
//! OperationOutcome, records as DocumentReference, searches as searchset
//! Bundles, and what it serves as a CapabilityStatement.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::{day_date, rfc3339, PUBKEY_SYSTEM};
use hdx_sdk::program::state::Record;
use serde_json::{json, Value};

use crate::smart::{ALGORITHMS, SCOPES};

/// The system of a record's id (`<patient>.<index>`).
pub const RECORD_SYSTEM: &str = "urn:hdx:record";
/// The system of a record's content hash (SHA-256, hex): FHIR's own
/// `Attachment.hash` is SHA-1, which says nothing the chain can check.
pub const SHA256_SYSTEM: &str = "urn:hdx:content-sha256";
/// The system of the program's categories.
pub const CATEGORY_SYSTEM: &str = "urn:hdx:category";
/// The system of the program's access outcomes (on a denial's OperationOutcome).
pub const OUTCOME_SYSTEM: &str = "urn:hdx:outcome";

/// A request the front door refuses: the HTTP status and its OperationOutcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    /// FHIR issue type (`forbidden`, `not-found`, `invalid`, `login`, ...).
    pub code: &'static str,
    /// The program's or this server's name for it, when it has one.
    pub name: Option<String>,
    pub message: String,
    /// The log entry a denial was recorded as.
    pub entry: Option<u64>,
}

impl Problem {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            name: None,
            message: message.into(),
            entry: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Problem {
        Problem::new(400, "invalid", message)
    }

    pub fn not_found(message: impl Into<String>) -> Problem {
        Problem::new(404, "not-found", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Problem {
        Problem::new(503, "transient", message)
    }

    pub fn gateway(message: impl Into<String>) -> Problem {
        Problem::new(502, "exception", message)
    }

    pub fn login(message: impl Into<String>) -> Problem {
        Problem::new(401, "login", message)
    }

    /// A hard refusal by name (the program's error, or a scope the token lacks).
    pub fn forbidden(name: &str, message: impl Into<String>) -> Problem {
        Problem {
            name: Some(name.into()),
            ..Problem::new(403, "forbidden", message)
        }
    }

    /// A denial the program decided and logged as entry `entry`.
    pub fn denied(outcome: &str, entry: u64) -> Problem {
        Problem {
            name: Some(outcome.into()),
            entry: Some(entry),
            ..Problem::new(
                403,
                "forbidden",
                format!("Denied: {outcome} (the patient's log entry {entry} records it)"),
            )
        }
    }

    pub fn outcome(&self) -> Value {
        let mut issue = json!({
            "severity": "error",
            "code": self.code,
            "diagnostics": self.message,
        });
        if let Some(name) = &self.name {
            issue["details"] =
                json!({ "coding": [{ "system": OUTCOME_SYSTEM, "code": name }], "text": name });
        }
        if let Some(entry) = self.entry {
            issue["expression"] = json!([format!("log-entry-{entry}")]);
        }
        json!({ "resourceType": "OperationOutcome", "issue": [issue] })
    }
}

/// A record's resource id: `<patient>.<index>` (FHIR ids allow `.`).
pub fn record_id(patient: &Pubkey, index: u32) -> String {
    format!("{patient}.{index}")
}

/// `<patient>.<index>` back to its parts.
pub fn parse_record_id(id: &str) -> Result<(Pubkey, u32), Problem> {
    let bad = || Problem::invalid(format!("{id:?} is not a record id (<patient>.<index>)"));
    let (patient, index) = id.rsplit_once('.').ok_or_else(bad)?;
    let patient: Pubkey = patient.parse().map_err(|_| bad())?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok((patient, index.parse().map_err(|_| bad())?))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A record as a DocumentReference: its category, clinical date, content
/// hash and where its data is read (`Binary/<id>`).
pub fn document_reference(patient: &Pubkey, r: &Record) -> Value {
    let id = record_id(patient, r.index);
    let (class, _) = hdx_sdk::export::fhir_class(r.category);
    let mut doc = json!({
        "resourceType": "DocumentReference",
        "id": id,
        "identifier": [
            { "system": RECORD_SYSTEM, "value": id },
            { "system": SHA256_SYSTEM, "value": hex(&r.content_hash) }
        ],
        "status": "current",
        "type": { "text": class },
        "category": [{ "coding": [{ "system": CATEGORY_SYSTEM, "code": r.category.name() }] }],
        "subject": { "identifier": { "system": PUBKEY_SYSTEM, "value": patient.to_string() } },
        "date": rfc3339(r.created_at),
        "content": [{ "attachment": { "contentType": "application/octet-stream", "url": format!("Binary/{id}") } }]
    });
    if r.clinical_day != 0 {
        doc["context"] = json!({ "period": { "start": day_date(r.clinical_day), "end": day_date(r.clinical_day) } });
    }
    doc
}

/// A searchset Bundle of `resources`, addressed under `base`.
pub fn searchset(base: &str, resources: Vec<Value>) -> Value {
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let url = format!(
                "{base}/{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            json!({ "fullUrl": url, "resource": r, "search": { "mode": "match" } })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": entries.len(),
        "entry": entries
    })
}

/// What the front door serves, exactly.
pub fn capability_statement(base: &str, token_url: &str) -> Value {
    let search = |name: &str, kind: &str| json!({ "name": name, "type": kind });
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-05",
        "kind": "instance",
        "software": { "name": "hdx fhir", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "HealthDataExchange front door: every read is the program's consent decision and a hash-chained log entry", "url": base },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "security": {
                "service": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR" }] }],
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [{ "url": "token", "valueUri": token_url }]
                }]
            },
            "resource": [
                { "type": "DocumentReference", "interaction": [{ "code": "search-type" }],
                  "searchParam": [search("patient", "reference"), search("category", "token")] },
                { "type": "Binary", "interaction": [{ "code": "read" }] },
                { "type": "Consent", "interaction": [{ "code": "search-type" }],
                  "searchParam": [search("patient", "reference")] },
                { "type": "AuditEvent", "interaction": [{ "code": "search-type" }],
                  "searchParam": [search("patient", "reference"), search("date", "date")] }
            ]
        }]
    })
}

/// `/.well-known/smart-configuration`.
pub fn smart_configuration(token_url: &str) -> Value {
    json!({
        "token_endpoint": token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": SCOPES,
        "capabilities": ["client-confidential-asymmetric", "permission-v2"]
    })
}
