//! Why the gateway did what it did: every upload, release and refusal is
//! written to its trail with one of these, and a refusal answers with the
//! HTTP status and the JSON body `{"error": Name, "message": ...}`.

/// One outcome of a request. Names are permanent (they are in the trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Uploaded,
    Released,
    /// The request's path or query is not one the gateway serves.
    BadRequest,
    /// A signer, signature, time or nonce header is missing or malformed.
    MissingSignature,
    /// The signature is not the signer's over this request.
    BadSignature,
    /// The request's time is outside the window around the cluster's clock.
    StaleRequest,
    /// The (signer, nonce) was used before.
    Replay,
    /// The upload's body is not the content its CID names.
    ContentMismatch,
    TooLarge,
    NotAPatient,
    /// The signer is neither the patient's current authority nor the current
    /// key of a provider that may write for the patient.
    NotPatientAuthority,
    /// A provider's upload without a live consent to write this category.
    NoWriteConsent,
    /// The signer is not any registered provider's current key.
    NotAProvider,
    ProviderNotVerified,
    ProviderSuspended,
    /// No endpoint has this path and method.
    NoSuchEndpoint,
    RecordNotFound,
    /// The record's locator is not an `ipfs://` CID this gateway can hold.
    NotAGatewayRecord,
    EntryNotFound,
    EntryNotGranted,
    EntryNotARead,
    OtherProvidersEntry,
    OtherRecordsEntry,
    /// The entry is older than the release window.
    EntryStale,
    AlreadyRedeemed,
    ConsentNotLive,
    BlobNotFound,
    /// The gateway holds the content, but no upload of it for this record.
    BlobNotBound,
    /// The record on-chain is not the one the blob was uploaded for: another
    /// category, or created by someone other than its uploader.
    BindingMismatch,
    /// The stored blob does not decrypt (tampered, or another key).
    BlobCorrupt,
    /// The blob decrypts to data whose hash is not the record's content hash.
    HashMismatch,
    /// The cluster could not be read.
    ClusterUnavailable,
    Internal,
    /// A study query answered (its release recorded on-chain first).
    StudyAnswered,
    /// The path names no study of the program.
    NotAStudy,
    /// The signer is not the current key of the study's sponsor.
    NotTheSponsor,
    /// The study names another custodian, or this gateway holds no custodian key.
    NotTheCustodian,
    /// The chain refused the release: the study's privacy budget would be exceeded.
    StudyBudgetExceeded,
    /// The chain refused the release: the cohort is below the study's minimum.
    CohortBelowMinimum,
    /// The chain refused the release for another reason (the study is not
    /// approved, closed, past its time limit, its sponsor not verified, the
    /// program paused); the message names it.
    StudyReleaseRefused,
}

impl Reason {
    pub const ALL: &'static [Reason] = &[
        Reason::Uploaded,
        Reason::Released,
        Reason::BadRequest,
        Reason::MissingSignature,
        Reason::BadSignature,
        Reason::StaleRequest,
        Reason::Replay,
        Reason::ContentMismatch,
        Reason::TooLarge,
        Reason::NotAPatient,
        Reason::NotPatientAuthority,
        Reason::NoWriteConsent,
        Reason::NotAProvider,
        Reason::ProviderNotVerified,
        Reason::ProviderSuspended,
        Reason::NoSuchEndpoint,
        Reason::RecordNotFound,
        Reason::NotAGatewayRecord,
        Reason::EntryNotFound,
        Reason::EntryNotGranted,
        Reason::EntryNotARead,
        Reason::OtherProvidersEntry,
        Reason::OtherRecordsEntry,
        Reason::EntryStale,
        Reason::AlreadyRedeemed,
        Reason::ConsentNotLive,
        Reason::BlobNotFound,
        Reason::BlobNotBound,
        Reason::BindingMismatch,
        Reason::BlobCorrupt,
        Reason::HashMismatch,
        Reason::ClusterUnavailable,
        Reason::Internal,
        Reason::StudyAnswered,
        Reason::NotAStudy,
        Reason::NotTheSponsor,
        Reason::NotTheCustodian,
        Reason::StudyBudgetExceeded,
        Reason::CohortBelowMinimum,
        Reason::StudyReleaseRefused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reason::Uploaded => "Uploaded",
            Reason::Released => "Released",
            Reason::BadRequest => "BadRequest",
            Reason::MissingSignature => "MissingSignature",
            Reason::BadSignature => "BadSignature",
            Reason::StaleRequest => "StaleRequest",
            Reason::Replay => "Replay",
            Reason::ContentMismatch => "ContentMismatch",
            Reason::TooLarge => "TooLarge",
            Reason::NotAPatient => "NotAPatient",
            Reason::NotPatientAuthority => "NotPatientAuthority",
            Reason::NoWriteConsent => "NoWriteConsent",
            Reason::NotAProvider => "NotAProvider",
            Reason::ProviderNotVerified => "ProviderNotVerified",
            Reason::ProviderSuspended => "ProviderSuspended",
            Reason::NoSuchEndpoint => "NoSuchEndpoint",
            Reason::RecordNotFound => "RecordNotFound",
            Reason::NotAGatewayRecord => "NotAGatewayRecord",
            Reason::EntryNotFound => "EntryNotFound",
            Reason::EntryNotGranted => "EntryNotGranted",
            Reason::EntryNotARead => "EntryNotARead",
            Reason::OtherProvidersEntry => "OtherProvidersEntry",
            Reason::OtherRecordsEntry => "OtherRecordsEntry",
            Reason::EntryStale => "EntryStale",
            Reason::AlreadyRedeemed => "AlreadyRedeemed",
            Reason::ConsentNotLive => "ConsentNotLive",
            Reason::BlobNotFound => "BlobNotFound",
            Reason::BlobNotBound => "BlobNotBound",
            Reason::BindingMismatch => "BindingMismatch",
            Reason::BlobCorrupt => "BlobCorrupt",
            Reason::HashMismatch => "HashMismatch",
            Reason::ClusterUnavailable => "ClusterUnavailable",
            Reason::Internal => "Internal",
            Reason::StudyAnswered => "StudyAnswered",
            Reason::NotAStudy => "NotAStudy",
            Reason::NotTheSponsor => "NotTheSponsor",
            Reason::NotTheCustodian => "NotTheCustodian",
            Reason::StudyBudgetExceeded => "StudyBudgetExceeded",
            Reason::CohortBelowMinimum => "CohortBelowMinimum",
            Reason::StudyReleaseRefused => "StudyReleaseRefused",
        }
    }

    pub fn from_name(name: &str) -> Option<Reason> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// The HTTP status a refusal answers with.
    pub fn status(self) -> u16 {
        match self {
            Reason::Uploaded => 201,
            Reason::Released | Reason::StudyAnswered => 200,
            Reason::BadRequest | Reason::ContentMismatch => 400,
            Reason::MissingSignature | Reason::BadSignature | Reason::StaleRequest => 401,
            Reason::NotPatientAuthority
            | Reason::NoWriteConsent
            | Reason::BlobNotBound
            | Reason::BindingMismatch
            | Reason::NotAProvider
            | Reason::ProviderNotVerified
            | Reason::ProviderSuspended
            | Reason::NotAGatewayRecord
            | Reason::EntryNotGranted
            | Reason::EntryNotARead
            | Reason::OtherProvidersEntry
            | Reason::OtherRecordsEntry
            | Reason::EntryStale
            | Reason::ConsentNotLive
            | Reason::NotTheSponsor
            | Reason::NotTheCustodian
            | Reason::CohortBelowMinimum
            | Reason::StudyReleaseRefused => 403,
            Reason::NotAPatient
            | Reason::NoSuchEndpoint
            | Reason::RecordNotFound
            | Reason::EntryNotFound
            | Reason::BlobNotFound
            | Reason::NotAStudy => 404,
            Reason::Replay | Reason::AlreadyRedeemed | Reason::StudyBudgetExceeded => 409,
            Reason::TooLarge => 413,
            Reason::BlobCorrupt | Reason::HashMismatch | Reason::Internal => 500,
            Reason::ClusterUnavailable => 503,
        }
    }
}

/// A refused request: why, and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", reason.name())]
pub struct Refusal {
    pub reason: Reason,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}
