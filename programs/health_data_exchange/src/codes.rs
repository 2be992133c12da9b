//! Codes and bitmasks: record categories, access modes, purposes of use,
//! logged actions and outcomes. Accounts and instruction arguments carry the
//! raw `u8`/`u16` values; these types give them names and validate them.
//!
//! Nothing here is free text: every value is a small code (DESIGN.md, invariant 6).

use anchor_lang::prelude::*;

/// Categories of health data a record belongs to. The code is the bit index in
/// a consent's category mask (`1 << code`). FHIR mapping is documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Category {
    LabResults = 0,
    Imaging = 1,
    Medications = 2,
    Allergies = 3,
    Immunizations = 4,
    Conditions = 5,
    Procedures = 6,
    ClinicalNotes = 7,
    VitalSigns = 8,
    MentalHealth = 9,
    SubstanceUse = 10,
    Genomics = 11,
    Reproductive = 12,
    Claims = 13,
}

impl Category {
    pub const ALL: [Category; 14] = [
        Category::LabResults,
        Category::Imaging,
        Category::Medications,
        Category::Allergies,
        Category::Immunizations,
        Category::Conditions,
        Category::Procedures,
        Category::ClinicalNotes,
        Category::VitalSigns,
        Category::MentalHealth,
        Category::SubstanceUse,
        Category::Genomics,
        Category::Reproductive,
        Category::Claims,
    ];

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    pub const fn code(self) -> u8 {
        self as u8
    }

    pub const fn bit(self) -> u16 {
        1 << (self as u8)
    }

    /// Stable lower-case name used by the SDK, CLI and exports.
    pub const fn name(self) -> &'static str {
        match self {
            Category::LabResults => "lab-results",
            Category::Imaging => "imaging",
            Category::Medications => "medications",
            Category::Allergies => "allergies",
            Category::Immunizations => "immunizations",
            Category::Conditions => "conditions",
            Category::Procedures => "procedures",
            Category::ClinicalNotes => "clinical-notes",
            Category::VitalSigns => "vital-signs",
            Category::MentalHealth => "mental-health",
            Category::SubstanceUse => "substance-use",
            Category::Genomics => "genomics",
            Category::Reproductive => "reproductive",
            Category::Claims => "claims",
        }
    }
}

/// Every defined category bit.
pub const ALL_CATEGORIES: u16 = (1 << Category::ALL.len()) - 1;

/// Access modes (bitmask).
pub const MODE_READ: u8 = 1;
pub const MODE_WRITE: u8 = 2;
pub const ALL_MODES: u8 = MODE_READ | MODE_WRITE;

/// Purposes of use, after the HL7 v3 PurposeOfUse / ActReason codes. The code is
/// the bit index in a consent's purpose mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Purpose {
    /// HL7 `TREAT`
    Treatment = 0,
    /// HL7 `HPAYMT`
    Payment = 1,
    /// HL7 `HOPERAT`
    Operations = 2,
    /// HL7 `HRESCH`
    Research = 3,
    /// HL7 `PUBHLTH`
    PublicHealth = 4,
    /// HL7 `PATRQT`
    PatientRequest = 5,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Treatment,
        Purpose::Payment,
        Purpose::Operations,
        Purpose::Research,
        Purpose::PublicHealth,
        Purpose::PatientRequest,
    ];

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    pub const fn code(self) -> u8 {
        self as u8
    }

    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The HL7 v3 ActReason code.
    pub const fn hl7_code(self) -> &'static str {
        match self {
            Purpose::Treatment => "TREAT",
            Purpose::Payment => "HPAYMT",
            Purpose::Operations => "HOPERAT",
            Purpose::Research => "HRESCH",
            Purpose::PublicHealth => "PUBHLTH",
            Purpose::PatientRequest => "PATRQT",
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Purpose::Treatment => "treatment",
            Purpose::Payment => "payment",
            Purpose::Operations => "operations",
            Purpose::Research => "research",
            Purpose::PublicHealth => "public-health",
            Purpose::PatientRequest => "patient-request",
        }
    }
}

/// Every defined purpose bit.
pub const ALL_PURPOSES: u8 = (1 << Purpose::ALL.len()) - 1;

/// What a log entry records a provider attempting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Action {
    Read = 0,
    Write = 1,
}

impl Action {
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Action::Read),
            1 => Some(Action::Write),
            _ => None,
        }
    }

    pub const fn mode_bit(self) -> u8 {
        match self {
            Action::Read => MODE_READ,
            Action::Write => MODE_WRITE,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }
}

/// The outcome stored in a log entry: granted, or the denial reason. The
/// order of the variants is the order in which the gate checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Outcome {
    Granted = 0,
    NoConsent = 1,
    NotYetValid = 2,
    Expired = 3,
    CategoryNotPermitted = 4,
    ModeNotPermitted = 5,
    PurposeNotPermitted = 6,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Granted,
        Outcome::NoConsent,
        Outcome::NotYetValid,
        Outcome::Expired,
        Outcome::CategoryNotPermitted,
        Outcome::ModeNotPermitted,
        Outcome::PurposeNotPermitted,
    ];

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    pub const fn code(self) -> u8 {
        self as u8
    }

    pub const fn is_granted(self) -> bool {
        matches!(self, Outcome::Granted)
    }

    pub const fn name(self) -> &'static str {
        match self {
            Outcome::Granted => "Granted",
            Outcome::NoConsent => "NoConsent",
            Outcome::NotYetValid => "NotYetValid",
            Outcome::Expired => "Expired",
            Outcome::CategoryNotPermitted => "CategoryNotPermitted",
            Outcome::ModeNotPermitted => "ModeNotPermitted",
            Outcome::PurposeNotPermitted => "PurposeNotPermitted",
        }
    }
}

/// The kind of a provider organisation.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProviderKind {
    Hospital,
    Clinic,
    Laboratory,
    Pharmacy,
    Imaging,
    Insurer,
    Researcher,
    Other,
}

/// Where a provider stands with the registry authority.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProviderStatus {
    /// Registered, awaiting verification: may not access.
    Pending,
    /// Verified by the registry authority: may access within consent.
    Verified,
    /// Suspended by the registry authority: may not access until reinstated.
    Suspended,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 8] = [
        ProviderKind::Hospital,
        ProviderKind::Clinic,
        ProviderKind::Laboratory,
        ProviderKind::Pharmacy,
        ProviderKind::Imaging,
        ProviderKind::Insurer,
        ProviderKind::Researcher,
        ProviderKind::Other,
    ];

    /// Stable lower-case name used by the SDK, CLI and exports.
    pub const fn name(self) -> &'static str {
        match self {
            ProviderKind::Hospital => "hospital",
            ProviderKind::Clinic => "clinic",
            ProviderKind::Laboratory => "laboratory",
            ProviderKind::Pharmacy => "pharmacy",
            ProviderKind::Imaging => "imaging",
            ProviderKind::Insurer => "insurer",
            ProviderKind::Researcher => "researcher",
            ProviderKind::Other => "other",
        }
    }
}

impl ProviderStatus {
    pub const ALL: [ProviderStatus; 3] = [
        ProviderStatus::Pending,
        ProviderStatus::Verified,
        ProviderStatus::Suspended,
    ];

    /// Stable lower-case name used by the SDK, CLI and exports.
    pub const fn name(self) -> &'static str {
        match self {
            ProviderStatus::Pending => "pending",
            ProviderStatus::Verified => "verified",
            ProviderStatus::Suspended => "suspended",
        }
    }
}
