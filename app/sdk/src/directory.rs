//! The provider directory (docs/DESIGN.md, "The provider directory"): a
//! FHIR R4 Bundle of Organization resources, one per verified provider,
//! whose SHA-256 the registry authority publishes on-chain. A provider is
//! named only when
//!
//! 1. the bundle's SHA-256 is the on-chain directory's,
//! 2. the bundle has an entry for the provider's id,
//! 3. its NPI has a right check digit, and
//! 4. its salt and NPI open the provider's on-chain credential commitment
//!    (and the provider registered an NPI commitment, of its listed kind).
//!
//! Anything else names the provider by kind and number, with the reason.

use std::collections::HashMap;
use std::fmt;

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::{IdentifierSystem, ProviderKind};
use health_data_exchange::state::{Directory, Provider};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::credential::{npi_commitment, Npi, NPI_SYSTEM_URI};

/// The identifier system of a provider's id in the bundle.
pub const PROVIDER_SYSTEM_URI: &str = "urn:hdx:provider";
/// The identifier system of the salt that opens the commitment.
pub const SALT_SYSTEM_URI: &str = "urn:hdx:credential-salt";
/// The coding system of provider kinds.
pub const KIND_SYSTEM_URI: &str = "urn:hdx:provider-kind";

/// One organisation as its operator describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// The provider's stable id.
    #[serde(with = "crate::directory::base58")]
    pub provider: Pubkey,
    /// Its name ("City Hospital").
    pub name: String,
    /// Its NPI.
    pub npi: String,
    /// Its salt, 64 hex digits.
    pub salt: String,
    /// Its kind, by name ("hospital").
    pub kind: String,
    /// Its postal address, one line (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Its gateway or FHIR endpoint (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

mod base58 {
    use anchor_lang::prelude::Pubkey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &Pubkey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&key.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Pubkey, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a base58 address")))
    }
}

/// Why a bundle cannot be read as a directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the directory bundle is not JSON: {0}")]
    Json(String),
    #[error("the directory bundle is not a FHIR Bundle of Organization resources: {0}")]
    Shape(String),
    #[error("the directory bundle lists provider {0} twice")]
    Duplicate(Pubkey),
}

/// The bundle for `organizations`, as the registry authority publishes it
/// (stable bytes: the same list gives the same hash).
pub fn bundle(organizations: &[Organization]) -> Vec<u8> {
    let entries: Vec<Value> = organizations
        .iter()
        .map(|o| {
            let mut resource = json!({
                "resourceType": "Organization",
                "identifier": [
                    {"system": NPI_SYSTEM_URI, "value": o.npi},
                    {"system": PROVIDER_SYSTEM_URI, "value": o.provider.to_string()},
                    {"system": SALT_SYSTEM_URI, "value": o.salt},
                ],
                "active": true,
                "type": [{"coding": [{"system": KIND_SYSTEM_URI, "code": o.kind}]}],
                "name": o.name,
            });
            if let Some(address) = &o.address {
                resource["address"] = json!([{ "text": address }]);
            }
            if let Some(endpoint) = &o.endpoint {
                resource["telecom"] = json!([{ "system": "url", "value": endpoint }]);
            }
            json!({"fullUrl": format!("urn:hdx:provider:{}", o.provider), "resource": resource})
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    }))
    .expect("JSON values serialise");
    bytes.push(b'\n');
    bytes
}

/// SHA-256 of a bundle's bytes (what `publish_directory` stores).
pub fn bundle_sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn identifier<'a>(resource: &'a Value, system: &str) -> Option<&'a str> {
    resource["identifier"]
        .as_array()?
        .iter()
        .find(|i| i["system"] == system)?["value"]
        .as_str()
}

/// Reads a bundle's Organization entries, keyed by provider id.
pub fn parse_bundle(bytes: &[u8]) -> Result<HashMap<Pubkey, Organization>, BundleError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Json(e.to_string()))?;
    if value["resourceType"] != "Bundle" {
        return Err(BundleError::Shape("resourceType is not Bundle".into()));
    }
    let entries = match &value["entry"] {
        Value::Null => return Ok(HashMap::new()),
        Value::Array(entries) => entries,
        _ => return Err(BundleError::Shape("entry is not a list".into())),
    };
    let mut out = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let r = &entry["resource"];
        if r["resourceType"] != "Organization" {
            return Err(BundleError::Shape(format!(
                "entry {i} is not an Organization"
            )));
        }
        let field = |name: &str, v: Option<&str>| {
            v.map(str::to_string)
                .ok_or_else(|| BundleError::Shape(format!("entry {i} has no {name}")))
        };
        let provider_text = field("provider id", identifier(r, PROVIDER_SYSTEM_URI))?;
        let provider: Pubkey = provider_text.parse().map_err(|_| {
            BundleError::Shape(format!("entry {i}: `{provider_text}` is not an address"))
        })?;
        let org = Organization {
            provider,
            name: field("name", r["name"].as_str())?,
            npi: field("NPI", identifier(r, NPI_SYSTEM_URI))?,
            salt: field("salt", identifier(r, SALT_SYSTEM_URI))?,
            kind: field("kind", r["type"][0]["coding"][0]["code"].as_str())?,
            address: r["address"][0]["text"].as_str().map(str::to_string),
            endpoint: r["telecom"][0]["value"].as_str().map(str::to_string),
        };
        if out.insert(provider, org).is_some() {
            return Err(BundleError::Duplicate(provider));
        }
    }
    Ok(out)
}

/// Why a provider is not named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unnamed {
    /// No directory is published on-chain.
    NoDirectory,
    /// The bundle could not be fetched.
    Unavailable(String),
    /// The bundle's hash is not the on-chain one.
    HashMismatch,
    /// The bundle is not a directory.
    Malformed(String),
    /// The bundle has no entry for the provider.
    NotListed,
    /// The entry's NPI is not 10 digits or fails its check digit.
    BadNpi(String),
    /// The entry's salt is not 32 bytes of hex.
    BadSalt,
    /// The provider registered no NPI commitment.
    NotAnNpiCommitment,
    /// The entry's salt and NPI do not open the provider's commitment.
    CommitmentNotOpened,
    /// The entry lists another kind than the provider's on-chain kind.
    KindMismatch,
}

impl fmt::Display for Unnamed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unnamed::NoDirectory => f.write_str("no provider directory is published"),
            Unnamed::Unavailable(why) => write!(f, "the directory could not be fetched ({why})"),
            Unnamed::HashMismatch => {
                f.write_str("the directory served does not match the published hash")
            }
            Unnamed::Malformed(why) => write!(f, "the directory is malformed ({why})"),
            Unnamed::NotListed => f.write_str("not in the published directory"),
            Unnamed::BadNpi(why) => write!(f, "its listed NPI is invalid ({why})"),
            Unnamed::BadSalt => f.write_str("its listed salt is not 32 bytes of hex"),
            Unnamed::NotAnNpiCommitment => f.write_str("it registered no NPI commitment"),
            Unnamed::CommitmentNotOpened => {
                f.write_str("its listed NPI and salt do not open its on-chain commitment")
            }
            Unnamed::KindMismatch => f.write_str("the directory lists another kind"),
        }
    }
}

/// How a reader names a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderName {
    /// Proven by the directory: "City Hospital · NPI 1234567893 ✓".
    Verified { name: String, npi: Npi },
    /// Kind and number, and why there is no name.
    Unnamed(Unnamed),
}

/// A directory checked against the chain: either its entries, or why there are none.
#[derive(Debug, Clone)]
pub struct VerifiedDirectory {
    entries: Result<HashMap<Pubkey, Organization>, Unnamed>,
}

impl VerifiedDirectory {
    /// A directory from the on-chain account (if any) and the bundle's bytes
    /// as fetched (or why they could not be).
    pub fn new(on_chain: Option<&Directory>, bundle: Result<&[u8], String>) -> Self {
        let entries = match (on_chain, bundle) {
            (None, _) => Err(Unnamed::NoDirectory),
            (Some(_), Err(why)) => Err(Unnamed::Unavailable(why)),
            (Some(d), Ok(bytes)) if bundle_sha256(bytes) != d.bundle_sha256 => {
                Err(Unnamed::HashMismatch)
            }
            (Some(_), Ok(bytes)) => {
                parse_bundle(bytes).map_err(|e| Unnamed::Malformed(e.to_string()))
            }
        };
        VerifiedDirectory { entries }
    }

    /// The directory `bytes` would be once published: what the registry
    /// authority checks before it publishes (every entry should name its provider).
    pub fn as_if_published(bytes: &[u8]) -> Self {
        let anchor = Directory::first(bundle_sha256(bytes), 0, 0, 0);
        Self::new(Some(&anchor), Ok(bytes))
    }

    /// No directory at all (nothing is named).
    pub fn none() -> Self {
        VerifiedDirectory {
            entries: Err(Unnamed::NoDirectory),
        }
    }

    /// How to name `provider` (its on-chain account).
    pub fn name(&self, provider: &Provider) -> ProviderName {
        match self.check(provider) {
            Ok((name, npi)) => ProviderName::Verified { name, npi },
            Err(why) => ProviderName::Unnamed(why),
        }
    }

    /// "City Hospital · NPI 1234567893 ✓" when the directory proves the
    /// provider's name, else its kind and number ("Laboratory no. 0"): what
    /// the CLI's tables and the FHIR export show.
    pub fn display_name(&self, provider: &Provider) -> String {
        let kind = provider.kind.name();
        let mut c = kind.chars();
        let kind: String = c
            .next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default();
        let fallback = format!("{kind} no. {}", provider.number);
        match self.name(provider) {
            name @ ProviderName::Verified { .. } => display(&name, &fallback),
            ProviderName::Unnamed(_) => fallback,
        }
    }

    /// The directory entry of a provider, proven, if there is one.
    pub fn organization(&self, provider: &Provider) -> Option<&Organization> {
        self.check(provider).ok()?;
        self.entries.as_ref().ok()?.get(&provider.id)
    }

    fn check(&self, provider: &Provider) -> Result<(String, Npi), Unnamed> {
        let entries = self.entries.as_ref().map_err(Clone::clone)?;
        let org = entries.get(&provider.id).ok_or(Unnamed::NotListed)?;
        let npi = Npi::parse(&org.npi).map_err(|e| Unnamed::BadNpi(e.to_string()))?;
        let salt: [u8; 32] = hex_32(&org.salt).ok_or(Unnamed::BadSalt)?;
        if provider.identifier_system != IdentifierSystem::UsNpi {
            return Err(Unnamed::NotAnNpiCommitment);
        }
        if npi_commitment(&salt, &npi) != provider.credential_commitment {
            return Err(Unnamed::CommitmentNotOpened);
        }
        if ProviderKind::ALL
            .iter()
            .find(|k| k.name() == org.kind)
            .is_none_or(|k| *k != provider.kind)
        {
            return Err(Unnamed::KindMismatch);
        }
        Ok((org.name.clone(), npi))
    }
}

fn hex_32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// "City Hospital · NPI 1234567893 ✓", or `fallback` and why it has no name.
pub fn display(name: &ProviderName, fallback: &str) -> String {
    match name {
        ProviderName::Verified { name, npi } => format!("{name} · NPI {npi} ✓"),
        ProviderName::Unnamed(why) => format!("{fallback} (unnamed: {why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use health_data_exchange::codes::{ProviderStatus, StatusBasis};

    fn provider(kind: ProviderKind, salt: [u8; 32], npi: &str) -> Provider {
        Provider {
            id: Pubkey::new_unique(),
            signer: Pubkey::default(),
            status: ProviderStatus::Verified,
            kind,
            number: 0,
            version: 1,
            bump: 255,
            roles: 0,
            credential_commitment: npi_commitment(&salt, &Npi::parse(npi).unwrap()),
            registered_at: 0,
            status_changed_at: 0,
            identifier_system: IdentifierSystem::UsNpi,
            basis: StatusBasis::Authority,
            attestation: Pubkey::default(),
            attestation_expiry: 0,
            reserved: [0; Provider::RESERVED],
        }
    }

    fn org(p: &Provider, name: &str, npi: &str, salt: [u8; 32]) -> Organization {
        Organization {
            provider: p.id,
            name: name.into(),
            npi: npi.into(),
            salt: salt.iter().map(|b| format!("{b:02x}")).collect(),
            kind: p.kind.name().into(),
            address: Some("1 Main St".into()),
            endpoint: None,
        }
    }

    fn on_chain(bytes: &[u8]) -> Directory {
        Directory::first(bundle_sha256(bytes), 1, 255, 0)
    }

    #[test]
    fn a_listed_provider_whose_entry_opens_its_commitment_is_named() {
        let city = provider(ProviderKind::Hospital, [1; 32], "1234567893");
        let bytes = bundle(&[org(&city, "City Hospital", "1234567893", [1; 32])]);
        let d = VerifiedDirectory::new(Some(&on_chain(&bytes)), Ok(&bytes));
        assert_eq!(
            display(&d.name(&city), "Hospital no. 0"),
            "City Hospital · NPI 1234567893 ✓"
        );
        assert_eq!(
            parse_bundle(&bytes).unwrap()[&city.id].address.as_deref(),
            Some("1 Main St")
        );
    }

    #[test]
    fn anything_else_is_unnamed_and_says_why() {
        let city = provider(ProviderKind::Hospital, [1; 32], "1234567893");
        let good = bundle(&[org(&city, "City Hospital", "1234567893", [1; 32])]);
        let anchor = on_chain(&good);
        let name = |bytes: &[u8]| VerifiedDirectory::new(Some(&anchor), Ok(bytes)).name(&city);
        // A tampered bundle (one byte of the name).
        let tampered = String::from_utf8(good.clone())
            .unwrap()
            .replace("City", "Citi");
        assert_eq!(
            name(tampered.as_bytes()),
            ProviderName::Unnamed(Unnamed::HashMismatch)
        );
        // Each fault in an otherwise well-published bundle.
        let published = |o: Organization| {
            let bytes = bundle(&[o]);
            VerifiedDirectory::new(Some(&on_chain(&bytes)), Ok(&bytes)).name(&city)
        };
        let base = org(&city, "City Hospital", "1234567893", [1; 32]);
        let cases = [
            (Organization { salt: "00".repeat(32), ..base.clone() }, Unnamed::CommitmentNotOpened),
            (Organization { salt: "zz".into(), ..base.clone() }, Unnamed::BadSalt),
            (Organization { npi: "1245319599".into(), ..base.clone() }, Unnamed::CommitmentNotOpened),
            (
                Organization { npi: "1234567890".into(), ..base.clone() },
                Unnamed::BadNpi(
                    "`1234567890` fails the NPI check digit (Luhn over 80840): the last digit would be 3".into(),
                ),
            ),
            (Organization { kind: "laboratory".into(), ..base.clone() }, Unnamed::KindMismatch),
            (Organization { provider: Pubkey::new_unique(), ..base.clone() }, Unnamed::NotListed),
        ];
        for (o, why) in cases {
            assert_eq!(published(o.clone()), ProviderName::Unnamed(why), "{o:?}");
        }
        let mut other_system = city.clone();
        other_system.identifier_system = IdentifierSystem::Unspecified;
        let d = VerifiedDirectory::new(Some(&anchor), Ok(&good));
        assert_eq!(
            d.name(&other_system),
            ProviderName::Unnamed(Unnamed::NotAnNpiCommitment)
        );
        assert_eq!(
            VerifiedDirectory::new(None, Ok(&good)).name(&city),
            ProviderName::Unnamed(Unnamed::NoDirectory)
        );
        assert_eq!(
            VerifiedDirectory::new(Some(&anchor), Err("refused".into())).name(&city),
            ProviderName::Unnamed(Unnamed::Unavailable("refused".into()))
        );
        assert!(display(&d.name(&other_system), "Hospital no. 0")
            .starts_with("Hospital no. 0 (unnamed: "));
    }

    #[test]
    fn a_bundle_that_is_not_a_directory_is_refused_by_name() {
        let p = provider(ProviderKind::Clinic, [2; 32], "1234567893");
        let o = org(&p, "A", "1234567893", [2; 32]);
        assert!(matches!(parse_bundle(b"{"), Err(BundleError::Json(_))));
        assert!(matches!(
            parse_bundle(br#"{"resourceType":"Patient"}"#),
            Err(BundleError::Shape(_))
        ));
        assert_eq!(
            parse_bundle(&bundle(&[o.clone(), o])),
            Err(BundleError::Duplicate(p.id))
        );
        assert_eq!(parse_bundle(&bundle(&[])).unwrap().len(), 0);
    }
}
