//! Codes and bitmasks: record categories, access modes, purposes of use,
//! logged actions and outcomes, provider kinds and statuses.
//!
//! Every table is written once, with [`code_table!`]: the enum, its permanent
//! codes, its stable names, and one IDL constant per code (so a client in any
//! language can name codes from the IDL without copying this file). Codes are
//! permanent once logged or stored: a new code is appended, nothing is
//! renumbered (a compile-time check ties each variant to its code).
//!
//! Nothing here is free text: every value is a small code (docs/DESIGN.md, invariant 6).

use anchor_lang::prelude::*;

/// The rest of one code table, for an enum declared in plain source (the
/// IDL builder reads enum declarations from the source, not from macro
/// expansions): `ALL`, `code`, `from_code`, `name`, an IDL constant per
/// code, and a compile-time check that each variant has its listed code.
macro_rules! code_table {
    (
        $name:ident {
            $( $variant:ident = $code:literal, $label:literal, $konst:ident; )+
        }
    ) => {
        $(
            #[doc = $label]
            #[constant]
            pub const $konst: u8 = $code;
        )+

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The permanent code (what accounts, logs and instruction data carry).
            pub const fn code(self) -> u8 {
                self as u8
            }

            pub const fn from_code(code: u8) -> Option<Self> {
                match code {
                    $( $code => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// Stable name used by the SDK, CLI and exports.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }
        }

        // Codes are permanent: a variant inserted out of place fails here,
        // and so does a table that misses a variant (`from_code` of ALL.len()).
        const _: () = {
            $( assert!($name::$variant as u8 == $code, "a code changed: append, never renumber"); )+
            assert!($name::from_code($name::ALL.len() as u8).is_none());
        };
    };
}

/// Categories of health data a record belongs to. The code is the bit
/// index in a consent's category mask (`1 << code`).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum Category {
    LabResults,
    Imaging,
    Medications,
    Allergies,
    Immunizations,
    Conditions,
    Procedures,
    ClinicalNotes,
    VitalSigns,
    MentalHealth,
    SubstanceUse,
    Genomics,
    Reproductive,
    Claims,
}

code_table! {
    Category {
        LabResults = 0, "lab-results", CATEGORY_LAB_RESULTS;
        Imaging = 1, "imaging", CATEGORY_IMAGING;
        Medications = 2, "medications", CATEGORY_MEDICATIONS;
        Allergies = 3, "allergies", CATEGORY_ALLERGIES;
        Immunizations = 4, "immunizations", CATEGORY_IMMUNIZATIONS;
        Conditions = 5, "conditions", CATEGORY_CONDITIONS;
        Procedures = 6, "procedures", CATEGORY_PROCEDURES;
        ClinicalNotes = 7, "clinical-notes", CATEGORY_CLINICAL_NOTES;
        VitalSigns = 8, "vital-signs", CATEGORY_VITAL_SIGNS;
        MentalHealth = 9, "mental-health", CATEGORY_MENTAL_HEALTH;
        SubstanceUse = 10, "substance-use", CATEGORY_SUBSTANCE_USE;
        Genomics = 11, "genomics", CATEGORY_GENOMICS;
        Reproductive = 12, "reproductive", CATEGORY_REPRODUCTIVE;
        Claims = 13, "claims", CATEGORY_CLAIMS;
    }
}

impl Category {
    /// This category's bit in a consent's category mask.
    pub const fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// Every defined category bit.
#[constant]
pub const ALL_CATEGORIES: u16 = (1 << Category::ALL.len()) - 1;

/// Access mode bit: read a record's pointer.
#[constant]
pub const MODE_READ: u8 = 1;
/// Access mode bit: add a record pointer (a provider's write).
#[constant]
pub const MODE_WRITE: u8 = 2;
/// Every defined mode bit.
#[constant]
pub const ALL_MODES: u8 = MODE_READ | MODE_WRITE;

/// Purposes of use, after the HL7 v3 PurposeOfUse / ActReason codes
/// ([`Purpose::hl7_code`]). The code is the bit index in a consent's purpose mask.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum Purpose {
    /// HL7 `TREAT`
    Treatment,
    /// HL7 `HPAYMT`
    Payment,
    /// HL7 `HOPERAT`
    Operations,
    /// HL7 `HRESCH`
    Research,
    /// HL7 `PUBHLTH`
    PublicHealth,
    /// HL7 `PATRQT`
    PatientRequest,
    /// HL7 `ETREAT`: emergency treatment (every emergency read carries it).
    EmergencyTreatment,
}

code_table! {
    Purpose {
        Treatment = 0, "treatment", PURPOSE_TREATMENT;
        Payment = 1, "payment", PURPOSE_PAYMENT;
        Operations = 2, "operations", PURPOSE_OPERATIONS;
        Research = 3, "research", PURPOSE_RESEARCH;
        PublicHealth = 4, "public-health", PURPOSE_PUBLIC_HEALTH;
        PatientRequest = 5, "patient-request", PURPOSE_PATIENT_REQUEST;
        EmergencyTreatment = 6, "emergency-treatment", PURPOSE_EMERGENCY_TREATMENT;
    }
}

impl Purpose {
    /// This purpose's bit in a consent's purpose mask.
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The HL7 v3 ActReason code (also published in the IDL as `PURPOSE_*_HL7`).
    pub const fn hl7_code(self) -> &'static str {
        match self {
            Purpose::Treatment => PURPOSE_TREATMENT_HL7,
            Purpose::Payment => PURPOSE_PAYMENT_HL7,
            Purpose::Operations => PURPOSE_OPERATIONS_HL7,
            Purpose::Research => PURPOSE_RESEARCH_HL7,
            Purpose::PublicHealth => PURPOSE_PUBLIC_HEALTH_HL7,
            Purpose::PatientRequest => PURPOSE_PATIENT_REQUEST_HL7,
            Purpose::EmergencyTreatment => PURPOSE_EMERGENCY_TREATMENT_HL7,
        }
    }
}

/// HL7 v3 ActReason of `Purpose::Treatment`.
#[constant]
pub const PURPOSE_TREATMENT_HL7: &str = "TREAT";
/// HL7 v3 ActReason of `Purpose::Payment`.
#[constant]
pub const PURPOSE_PAYMENT_HL7: &str = "HPAYMT";
/// HL7 v3 ActReason of `Purpose::Operations`.
#[constant]
pub const PURPOSE_OPERATIONS_HL7: &str = "HOPERAT";
/// HL7 v3 ActReason of `Purpose::Research`.
#[constant]
pub const PURPOSE_RESEARCH_HL7: &str = "HRESCH";
/// HL7 v3 ActReason of `Purpose::PublicHealth`.
#[constant]
pub const PURPOSE_PUBLIC_HEALTH_HL7: &str = "PUBHLTH";
/// HL7 v3 ActReason of `Purpose::PatientRequest`.
#[constant]
pub const PURPOSE_PATIENT_REQUEST_HL7: &str = "PATRQT";
/// HL7 v3 ActReason of `Purpose::EmergencyTreatment`.
#[constant]
pub const PURPOSE_EMERGENCY_TREATMENT_HL7: &str = "ETREAT";
/// HL7 v3 ActCode of break-the-glass access (the security label of emergency reads).
#[constant]
pub const BREAK_THE_GLASS_HL7: &str = "BTG";

/// Every defined purpose bit.
#[constant]
pub const ALL_PURPOSES: u8 = (1 << Purpose::ALL.len()) - 1;

/// What a log entry records a provider attempting.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum Action {
    /// Read a record's pointer (`access_record`).
    Read,
    /// Add a record pointer (`write_record`).
    Write,
    /// Open an emergency window (`open_emergency`); the entry's record index is `NO_RECORD`.
    EmergencyOpen,
    /// Read a record's pointer inside an emergency window (`emergency_access`).
    EmergencyRead,
}

code_table! {
    Action {
        Read = 0, "read", ACTION_READ;
        Write = 1, "write", ACTION_WRITE;
        EmergencyOpen = 2, "emergency-open", ACTION_EMERGENCY_OPEN;
        EmergencyRead = 3, "emergency-read", ACTION_EMERGENCY_READ;
    }
}

impl Action {
    /// The consent mode this action needs.
    pub const fn mode_bit(self) -> u8 {
        match self {
            Action::Read => MODE_READ,
            Action::Write => MODE_WRITE,
            Action::EmergencyRead => MODE_READ,
            Action::EmergencyOpen => 0,
        }
    }
}

/// The outcome stored in a log entry: granted, or the denial reason. The
/// order in which the gate checks them is stated once, in `gate::decide`.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum Outcome {
    /// The pointer was released (read) or the record created (write).
    Granted,
    /// No consent exists for this patient and provider.
    NoConsent,
    /// `now < not_before`.
    NotYetValid,
    /// `now >= expires_at`.
    Expired,
    /// The record's category is not in the consent.
    CategoryNotPermitted,
    /// The action's mode (read or write) is not in the consent.
    ModeNotPermitted,
    /// The stated purpose of use is not in the consent.
    PurposeNotPermitted,
    /// The record's clinical day is outside the consent's date range (or unknown).
    OutsideDateRange,
    /// The consent's cap on granted accesses is used up.
    AccessCapReached,
    /// An emergency read outside its window: expired, closed by the provider or ended by the patient.
    EmergencyWindowEnded,
    /// An emergency read after the patient opted out of emergency access.
    EmergencyOptedOut,
    /// An emergency read of a category the patient excluded from emergency access.
    EmergencyCategoryExcluded,
}

code_table! {
    Outcome {
        Granted = 0, "Granted", OUTCOME_GRANTED;
        NoConsent = 1, "NoConsent", OUTCOME_NO_CONSENT;
        NotYetValid = 2, "NotYetValid", OUTCOME_NOT_YET_VALID;
        Expired = 3, "Expired", OUTCOME_EXPIRED;
        CategoryNotPermitted = 4, "CategoryNotPermitted", OUTCOME_CATEGORY_NOT_PERMITTED;
        ModeNotPermitted = 5, "ModeNotPermitted", OUTCOME_MODE_NOT_PERMITTED;
        PurposeNotPermitted = 6, "PurposeNotPermitted", OUTCOME_PURPOSE_NOT_PERMITTED;
        OutsideDateRange = 7, "OutsideDateRange", OUTCOME_OUTSIDE_DATE_RANGE;
        AccessCapReached = 8, "AccessCapReached", OUTCOME_ACCESS_CAP_REACHED;
        EmergencyWindowEnded = 9, "EmergencyWindowEnded", OUTCOME_EMERGENCY_WINDOW_ENDED;
        EmergencyOptedOut = 10, "EmergencyOptedOut", OUTCOME_EMERGENCY_OPTED_OUT;
        EmergencyCategoryExcluded = 11, "EmergencyCategoryExcluded", OUTCOME_EMERGENCY_CATEGORY_EXCLUDED;
    }
}

impl Outcome {
    pub const fn is_granted(self) -> bool {
        matches!(self, Outcome::Granted)
    }
}

/// The kind of a provider organisation.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
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

code_table! {
    ProviderKind {
        Hospital = 0, "hospital", PROVIDER_KIND_HOSPITAL;
        Clinic = 1, "clinic", PROVIDER_KIND_CLINIC;
        Laboratory = 2, "laboratory", PROVIDER_KIND_LABORATORY;
        Pharmacy = 3, "pharmacy", PROVIDER_KIND_PHARMACY;
        Imaging = 4, "imaging", PROVIDER_KIND_IMAGING;
        Insurer = 5, "insurer", PROVIDER_KIND_INSURER;
        Researcher = 6, "researcher", PROVIDER_KIND_RESEARCHER;
        Other = 7, "other", PROVIDER_KIND_OTHER;
    }
}

/// Where a provider stands with the registry authority.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum ProviderStatus {
    /// Registered, awaiting verification: may not access.
    Pending,
    /// Verified by the registry authority: may access within consent.
    Verified,
    /// Suspended by the registry authority: may not access until reinstated.
    Suspended,
}

code_table! {
    ProviderStatus {
        Pending = 0, "pending", PROVIDER_STATUS_PENDING;
        Verified = 1, "verified", PROVIDER_STATUS_VERIFIED;
        Suspended = 2, "suspended", PROVIDER_STATUS_SUSPENDED;
    }
}

/// The identifier system a provider's credential commitment opens to
/// (`sha256("hdx-credential-v1" || salt || identifier)`, docs/DESIGN.md,
/// "The provider directory"). Room for other national systems: append.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum IdentifierSystem {
    /// Not named at registration (a commitment to something else).
    #[default]
    Unspecified,
    /// The US National Provider Identifier: 10 digits, a Luhn check digit over the 80840 prefix.
    UsNpi,
}

code_table! {
    IdentifierSystem {
        Unspecified = 0, "unspecified", IDENTIFIER_SYSTEM_UNSPECIFIED;
        UsNpi = 1, "us-npi", IDENTIFIER_SYSTEM_US_NPI;
    }
}

/// On what a provider's current status rests.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum StatusBasis {
    /// Set by the registry authority (or pending since registration).
    #[default]
    Authority,
    /// Verified through a licence attestation of the registry's credential
    /// policy: it stops counting at the attestation's expiry.
    Attestation,
    /// Suspended because the attestation lapsed (`lapse_provider`): a new
    /// attestation verifies the provider again.
    Lapsed,
}

code_table! {
    StatusBasis {
        Authority = 0, "authority", STATUS_BASIS_AUTHORITY;
        Attestation = 1, "attestation", STATUS_BASIS_ATTESTATION;
        Lapsed = 2, "lapsed", STATUS_BASIS_LAPSED;
    }
}

/// Why a provider's licence attestation no longer holds (`lapse_provider`).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum LapseReason {
    /// Its expiry has passed.
    Expired,
    /// The attestation account is closed (the issuer's revocation).
    Closed,
    /// The account at its address no longer holds the attestation that verified the provider.
    Replaced,
    /// The registry's credential policy no longer names its issuer and schema.
    PolicyChanged,
}

code_table! {
    LapseReason {
        Expired = 0, "expired", LAPSE_REASON_EXPIRED;
        Closed = 1, "closed", LAPSE_REASON_CLOSED;
        Replaced = 2, "replaced", LAPSE_REASON_REPLACED;
        PolicyChanged = 3, "policy-changed", LAPSE_REASON_POLICY_CHANGED;
    }
}

/// The Solana Attestation Service program, whose attestation accounts a
/// credential policy trusts (layout pinned in `state::attestation`).
pub const ATTESTATION_PROGRAM_ID: Pubkey = pubkey!("22zoJMtdu4tQc2PzL74ZUT7FrwgB1Udec8DdW4yw4BdG");

/// Seconds in a day: clinical dates and consent date ranges are day numbers
/// (days since 1970-01-01, UTC), `unix_time / SECONDS_PER_DAY`.
#[constant]
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The day number of a unix time.
pub const fn day_of(unix_time: i64) -> i64 {
    unix_time.div_euclid(SECONDS_PER_DAY)
}

/// The latest unix time the program stores or accepts (2106-02-07): a log
/// entry records seconds as a u32. Every time an instruction carries, and
/// the clock itself, must be in `0..=MAX_TIME`; checked arithmetic on them
/// then never overflows an i64.
#[constant]
pub const MAX_TIME: i64 = u32::MAX as i64;

/// The day number of `MAX_TIME`: the latest day a record or a date range may name.
#[constant]
pub const MAX_DAY: u32 = (MAX_TIME / SECONDS_PER_DAY) as u32;

/// Provider role bit: may open emergency windows (given by the registry authority).
#[constant]
pub const ROLE_EMERGENCY: u8 = 1;
/// Every defined role bit.
#[constant]
pub const ALL_ROLES: u8 = ROLE_EMERGENCY;

/// Default longest emergency window: one hour.
#[constant]
pub const DEFAULT_EMERGENCY_MAX_SECS: u32 = 3_600;
/// Default cooldown after a window ends before the same provider may open
/// another for the same patient: 24 hours.
#[constant]
pub const DEFAULT_EMERGENCY_COOLDOWN_SECS: u32 = 86_400;
/// The longest emergency window any policy may allow: 7 days.
#[constant]
pub const MAX_EMERGENCY_WINDOW_SECS: u32 = 7 * 86_400;
/// The longest cooldown any policy may set: 30 days.
#[constant]
pub const MAX_EMERGENCY_COOLDOWN_SECS: u32 = 30 * 86_400;

/// Why a provider breaks the glass: a fixed list, no free text. The window
/// stores it (`EmergencyWindow::reason`), and every log entry of an
/// emergency names its window; instruction data, the window and the IDL use
/// this one numbering.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum EmergencyReason {
    /// The patient cannot consent (unconscious, incapacitated).
    PatientCannotConsent,
    /// A life-threatening condition.
    LifeThreatening,
    /// Treatment that cannot wait for consent.
    UrgentTreatment,
}

code_table! {
    EmergencyReason {
        PatientCannotConsent = 0, "patient-cannot-consent", EMERGENCY_REASON_PATIENT_CANNOT_CONSENT;
        LifeThreatening = 1, "life-threatening", EMERGENCY_REASON_LIFE_THREATENING;
        UrgentTreatment = 2, "urgent-treatment", EMERGENCY_REASON_URGENT_TREATMENT;
    }
}

/// The registry authority's verdict on an emergency window.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum Verdict {
    /// Not reviewed yet.
    Unreviewed,
    /// The access was justified.
    Justified,
    /// The access was not justified.
    NotJustified,
}

code_table! {
    Verdict {
        Unreviewed = 0, "unreviewed", VERDICT_UNREVIEWED;
        Justified = 1, "justified", VERDICT_JUSTIFIED;
        NotJustified = 2, "not-justified", VERDICT_NOT_JUSTIFIED;
    }
}

/// How an emergency window ended before its expiry, if it did.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum EndedBy {
    /// Still open, or expired on its own.
    NotEnded,
    /// Closed early by the provider.
    Provider,
    /// Ended by the patient.
    Patient,
}

code_table! {
    EndedBy {
        NotEnded = 0, "not-ended", ENDED_BY_NOT_ENDED;
        Provider = 1, "provider", ENDED_BY_PROVIDER;
        Patient = 2, "patient", ENDED_BY_PATIENT;
    }
}

/// How a patient's guardians act.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum GuardianMode {
    /// No guardians.
    None,
    /// Guardians act alone (a minor): the patient's own key cannot act.
    Alone,
    /// Guardians act alongside the patient.
    Alongside,
    /// Guardians only recover the patient's key.
    RecoveryOnly,
}

code_table! {
    GuardianMode {
        None = 0, "none", GUARDIAN_MODE_NONE;
        Alone = 1, "alone", GUARDIAN_MODE_ALONE;
        Alongside = 2, "alongside", GUARDIAN_MODE_ALONGSIDE;
        RecoveryOnly = 3, "recovery-only", GUARDIAN_MODE_RECOVERY_ONLY;
    }
}

/// What guardians propose (the kind of a `ProposalAction`). Revoking needs
/// no proposal: any single guardian revokes at once (`guardian_revoke_consent`).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum ProposalKind {
    /// Grant a consent (its full terms).
    Grant,
    /// Replace a consent's terms.
    Update,
    /// Rotate the patient's authority to a new key (a lost wallet).
    Recover,
    /// Hand control to the patient's own new key (a minor comes of age).
    HandOver,
    /// Set the patient's emergency preferences (opt out, excluded categories).
    EmergencyPreferences,
    /// Enrol the patient in a research study.
    Enroll,
}

code_table! {
    ProposalKind {
        Grant = 0, "grant", PROPOSAL_GRANT;
        Update = 1, "update", PROPOSAL_UPDATE;
        Recover = 2, "recover", PROPOSAL_RECOVER;
        HandOver = 3, "hand-over", PROPOSAL_HAND_OVER;
        EmergencyPreferences = 4, "emergency-preferences", PROPOSAL_EMERGENCY_PREFERENCES;
        Enroll = 5, "enroll", PROPOSAL_ENROLL;
    }
}

/// The most guardians a patient may have.
#[constant]
pub const MAX_GUARDIANS: u8 = 5;
/// How long a proposal can be approved and executed: 7 days.
#[constant]
pub const PROPOSAL_LIFETIME_SECS: i64 = 7 * 86_400;

/// Who made a change to a patient's consents or settings.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum Actor {
    /// The patient's own current authority.
    Patient,
    /// One guardian alone (a revocation needs no proposal).
    Guardian,
    /// The guardians, M of N, through an executed proposal.
    Guardians,
}

code_table! {
    Actor {
        Patient = 0, "patient", ACTOR_PATIENT;
        Guardian = 1, "guardian", ACTOR_GUARDIAN;
        Guardians = 2, "guardians", ACTOR_GUARDIANS;
    }
}

/// A research study's data-use terms: GA4GH Data Use Ontology (DUO) codes.
/// The code is the bit index in a study's DUO mask (`1 << code`). A study
/// names exactly one data-use permission (the first three) and any of the
/// modifiers after them.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum DuoTerm {
    /// DUO:0000042 GRU, general research use.
    GeneralResearchUse,
    /// DUO:0000006 HMB, health or medical or biomedical research.
    HealthMedicalBiomedical,
    /// DUO:0000007 DS, disease-specific research (the study names the disease).
    DiseaseSpecific,
    /// DUO:0000021 IRB, ethics approval required (the study carries its commitment).
    IrbRequired,
    /// DUO:0000019 PUB, publication required.
    PublicationRequired,
    /// DUO:0000018 NPUNCU, not for profit, non-commercial use only.
    NotForProfit,
    /// DUO:0000025 TS, time limit on use (the study names when use ends).
    TimeLimit,
}

code_table! {
    DuoTerm {
        GeneralResearchUse = 0, "general-research-use", DUO_GENERAL_RESEARCH_USE;
        HealthMedicalBiomedical = 1, "health-medical-biomedical", DUO_HEALTH_MEDICAL_BIOMEDICAL;
        DiseaseSpecific = 2, "disease-specific", DUO_DISEASE_SPECIFIC;
        IrbRequired = 3, "irb-required", DUO_IRB_REQUIRED;
        PublicationRequired = 4, "publication-required", DUO_PUBLICATION_REQUIRED;
        NotForProfit = 5, "not-for-profit", DUO_NOT_FOR_PROFIT;
        TimeLimit = 6, "time-limit", DUO_TIME_LIMIT;
    }
}

impl DuoTerm {
    /// This term's bit in a study's DUO mask.
    pub const fn bit(self) -> u16 {
        1 << (self as u8)
    }

    /// The ontology's identifier.
    pub const fn duo_id(self) -> &'static str {
        match self {
            DuoTerm::GeneralResearchUse => "DUO:0000042",
            DuoTerm::HealthMedicalBiomedical => "DUO:0000006",
            DuoTerm::DiseaseSpecific => "DUO:0000007",
            DuoTerm::IrbRequired => "DUO:0000021",
            DuoTerm::PublicationRequired => "DUO:0000019",
            DuoTerm::NotForProfit => "DUO:0000018",
            DuoTerm::TimeLimit => "DUO:0000025",
        }
    }

    /// The ontology's shorthand (GRU, HMB, ...).
    pub const fn shorthand(self) -> &'static str {
        match self {
            DuoTerm::GeneralResearchUse => "GRU",
            DuoTerm::HealthMedicalBiomedical => "HMB",
            DuoTerm::DiseaseSpecific => "DS",
            DuoTerm::IrbRequired => "IRB",
            DuoTerm::PublicationRequired => "PUB",
            DuoTerm::NotForProfit => "NPUNCU",
            DuoTerm::TimeLimit => "TS",
        }
    }
}

/// Every defined DUO bit.
#[constant]
pub const ALL_DUO_TERMS: u16 = (1 << DuoTerm::ALL.len()) - 1;
/// The DUO data-use permission bits (a study names exactly one).
#[constant]
pub const DUO_PERMISSIONS: u16 = (1 << 3) - 1;

/// Where a research study stands.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    InitSpace,
)]
pub enum StudyStatus {
    /// Created by its sponsor, not yet approved: no enrolment, no release.
    Proposed,
    /// Approved by the registry authority (standing in for the IRB).
    Approved,
    /// Closed by its sponsor or the registry authority: no enrolment, no release, for good.
    Closed,
}

code_table! {
    StudyStatus {
        Proposed = 0, "proposed", STUDY_STATUS_PROPOSED;
        Approved = 1, "approved", STUDY_STATUS_APPROVED;
        Closed = 2, "closed", STUDY_STATUS_CLOSED;
    }
}

/// The smallest minimum cohort a study may set: no release describes fewer patients.
#[constant]
pub const MIN_STUDY_COHORT: u32 = 5;
/// The largest privacy budget a study may have: epsilon 10, in milli-epsilon.
#[constant]
pub const MAX_STUDY_EPSILON_MILLI: u64 = 10_000;
/// The longest a study may run, from its creation to its enrolment close
/// or its time limit: 10 years.
#[constant]
pub const MAX_STUDY_DURATION_SECS: i64 = 10 * 365 * 86_400;
