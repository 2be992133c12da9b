use anchor_lang::prelude::*;

/// Every hard error the program returns. Denials of a verified provider's
/// attempt are not errors: they are logged outcomes (see `codes::Outcome`).
/// Codes are permanent once published: append new variants at the end.
#[error_code]
pub enum HdxError {
    #[msg("The signer is not the program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("The signer is not the registry authority")]
    NotRegistryAuthority,
    #[msg("The proposed authority must not be the default (all-zero) address")]
    InvalidAuthority,
    #[msg("No registry authority hand-over is pending")]
    NoPendingAuthority,
    #[msg("The signer is not the pending registry authority")]
    NotPendingAuthority,
    #[msg("The program is paused by the registry authority")]
    ProgramPaused,
    #[msg("The signer is not the provider's current key")]
    NotProviderKey,
    #[msg("The provider is not verified by the registry authority")]
    ProviderNotVerified,
    #[msg("The provider is suspended")]
    ProviderSuspended,
    #[msg("That status change is not allowed from the provider's current status")]
    InvalidStatusTransition,
    #[msg("The credential commitment must not be all zeros")]
    EmptyCredentialCommitment,
    #[msg("The account to be created already exists (this id is registered, this consent or window exists): nothing was changed")]
    AccountAlreadyExists,
    #[msg("The signer is not the patient's current authority")]
    NotPatientAuthority,
    #[msg("The new key is the current key")]
    KeyUnchanged,
    #[msg("The category mask is empty")]
    EmptyCategories,
    #[msg("The category mask has bits that name no category")]
    UnknownCategoryBits,
    #[msg("The access-mode mask is empty")]
    EmptyModes,
    #[msg("The access-mode mask has bits that name no mode")]
    UnknownModeBits,
    #[msg("The purpose mask is empty")]
    EmptyPurposes,
    #[msg("The purpose mask has bits that name no purpose of use")]
    UnknownPurposeBits,
    #[msg("The consent's expiry must be after its not-before time")]
    InvalidValidityWindow,
    #[msg("The consent's expiry is not in the future")]
    ExpiryInPast,
    #[msg("The consent's expiry is further ahead than the longest consent allowed (10 years)")]
    ExpiryTooFar,
    #[msg("The date range must name both days (or neither), the first not after the last")]
    InvalidDateRange,
    #[msg("A renewal policy needs both a period (at most 10 years) and a number of renewals, or neither")]
    InvalidRenewalPolicy,
    #[msg("The record's clinical day is in the future")]
    ClinicalDayInFuture,
    #[msg("The locator is empty")]
    EmptyLocator,
    #[msg("The locator is longer than the maximum of 128 bytes")]
    LocatorTooLong,
    #[msg("The content hash must not be all zeros")]
    EmptyContentHash,
    #[msg("The consent account is for another patient or provider")]
    ConsentMismatch,
    #[msg("The consent address is not the consent PDA of this patient and provider")]
    ConsentAddressMismatch,
    #[msg("The record address is not the next record PDA of this patient")]
    RecordAddressMismatch,
    #[msg("The log page belongs to another patient")]
    LogPagePatientMismatch,
    #[msg("The log page is full: open the next page first")]
    LogPageFull,
    #[msg("The log page is not the patient's current page")]
    NotCurrentLogPage,
    #[msg("The current log page is not full yet")]
    LogPageNotFull,
    #[msg("A counter, or a time computed from stored or given values, would overflow")]
    ArithmeticOverflow,
    #[msg("An account that pays for or receives a new account must be writable")]
    AccountNotWritable,
    #[msg("The cluster's clock is outside the range a log entry can record (1970..2106)")]
    ClockOutOfRange,
    #[msg("The consent has no renewal policy")]
    NoRenewalPolicy,
    #[msg("The consent has used all the renewals its policy allows")]
    NoRenewalsLeft,
    #[msg("The consent is not in the last tenth of its window yet: renewal is not due")]
    RenewalNotDue,
    #[msg("The consent has expired: only the patient can grant it again")]
    ConsentExpired,
    #[msg("The provider does not hold the emergency role")]
    NoEmergencyRole,
    #[msg("The patient has opted out of emergency access")]
    EmergencyOptedOut,
    #[msg("The emergency window's duration must be at least one second and at most the policy's maximum")]
    EmergencyDurationInvalid,
    #[msg("This provider already has an open emergency window for this patient")]
    EmergencyWindowAlreadyOpen,
    #[msg(
        "The cooldown after this provider's last emergency window for this patient has not passed"
    )]
    EmergencyCooldown,
    #[msg("The emergency window has already ended")]
    EmergencyWindowEnded,
    #[msg("The emergency window is for another patient or provider")]
    EmergencyWindowMismatch,
    #[msg("The emergency window is still open: review it after it ends")]
    EmergencyWindowStillOpen,
    #[msg("The emergency window has already been reviewed")]
    AlreadyReviewed,
    #[msg("A verdict must be justified or not justified")]
    InvalidVerdict,
    #[msg("The window has already been acknowledged")]
    AlreadyAcknowledged,
    #[msg("Unknown role bits")]
    InvalidRoles,
    #[msg("The emergency policy is out of range (window 1 s to 7 days, cooldown at most 30 days)")]
    InvalidEmergencyPolicy,
    #[msg("The record belongs to another patient")]
    RecordPatientMismatch,
    #[msg("The patient's guardians act alone: the patient's own key cannot do this")]
    GuardiansActForPatient,
    #[msg("A guardian set has 1 to 5 distinct keys, none the default address nor the patient's authority, and a threshold from 1 to their number")]
    InvalidGuardianSet,
    #[msg("The signer is not one of the patient's guardians")]
    NotAGuardian,
    #[msg("The guardians' mode does not allow this")]
    GuardianModeForbids,
    #[msg("The proposal was made under an earlier guardian set")]
    ProposalStale,
    #[msg("The proposal has expired")]
    ProposalExpired,
    #[msg("The proposal was already executed")]
    ProposalExecuted,
    #[msg("This guardian already approved the proposal")]
    AlreadyApproved,
    #[msg("The proposal does not have the approvals its threshold needs")]
    NotEnoughApprovals,
    #[msg("The proposal is of another kind, or for another provider or key")]
    ProposalMismatch,
    #[msg("A time is outside the range the program keeps (1970-01-01 to 2106-02-07, unix 0..=4294967295)")]
    TimeOutOfRange,
    #[msg("A credential policy names both an issuer credential and a schema, or neither")]
    InvalidCredentialPolicy,
    #[msg("The registry has no credential policy: only the registry authority verifies providers")]
    NoCredentialPolicy,
    #[msg("The attestation account is not owned by the Solana Attestation Service")]
    AttestationOwnerMismatch,
    #[msg("The attestation is not at the service's address for the policy's issuer and schema and this provider")]
    AttestationAddressMismatch,
    #[msg("The account is not an attestation of the pinned layout (discriminator 2, lengths that fit, nothing after)")]
    AttestationMalformed,
    #[msg("The attestation's issuer credential or schema is not the registry's credential policy")]
    AttestationPolicyMismatch,
    #[msg("The attestation's data is not this provider's credential commitment and kind")]
    AttestationSubjectMismatch,
    #[msg("The attestation has expired")]
    AttestationExpired,
    #[msg("The provider's licence attestation has expired (it counts as unverified until attested again)")]
    ProviderAttestationExpired,
    #[msg("The provider's status does not rest on a licence attestation")]
    NotAttested,
    #[msg("The provider's licence attestation still holds: nothing to lapse")]
    AttestationStillHolds,
    #[msg("The directory bundle's hash must not be all zeros")]
    EmptyDirectoryHash,
    #[msg("The directory names more entries than providers are registered")]
    DirectoryTooLarge,
    #[msg("The DUO mask has bits that name no DUO term")]
    UnknownDuoBits,
    #[msg("A study names exactly one DUO data-use permission (GRU, HMB or DS), and a disease exactly when it is DS")]
    InvalidDuoPermission,
    #[msg("A study with the IRB-required term must carry the IRB approval's commitment (not all zeros)")]
    MissingIrbCommitment,
    #[msg("A study's minimum cohort must be at least MIN_STUDY_COHORT (5)")]
    StudyCohortTooSmall,
    #[msg("A study's privacy budget must be 1 to MAX_STUDY_EPSILON_MILLI milli-epsilon")]
    InvalidStudyBudget,
    #[msg("A study's enrolment close (and its time limit, exactly when it has the time-limit term) must be ahead, within 10 years, the limit not before the close")]
    InvalidStudyTimes,
    #[msg("The sponsor is not a provider of the researcher kind")]
    NotResearcher,
    #[msg("The study is not awaiting approval")]
    StudyNotProposed,
    #[msg("The study is not approved and open")]
    StudyNotApproved,
    #[msg("The signer is neither the study's sponsor's current key nor the registry authority")]
    NotStudySponsor,
    #[msg("The study's enrolment is closed")]
    EnrollmentClosed,
    #[msg("An enrolment names some of the study's categories (none outside them) and ends ahead, within 10 years")]
    InvalidEnrollment,
    #[msg("The patient is enrolled in this study already")]
    AlreadyEnrolled,
    #[msg("The patient is not enrolled in this study")]
    NotEnrolled,
    #[msg("The enrolment is of another study or patient")]
    EnrollmentMismatch,
    #[msg("The signer is not the study's custodian")]
    NotStudyCustodian,
    #[msg("The study's time limit on use has passed")]
    StudyUseEnded,
    #[msg("A release spends at least 1 milli-epsilon")]
    InvalidReleaseEpsilon,
    #[msg("The release would spend more than the study's privacy budget has left")]
    StudyBudgetExceeded,
    #[msg("The cohort is smaller than the study's minimum cohort")]
    CohortBelowMinimum,
    #[msg("The cohort is larger than the patients enrolled in the study")]
    CohortLargerThanEnrolled,
    #[msg("The cohort's slot is after this transaction's slot")]
    CohortSlotInFuture,
    #[msg("The query hash and the cohort hash must not be all zeros")]
    EmptyQueryHash,
    #[msg("A study's custodian must not be the default (all-zero) address")]
    InvalidCustodian,
    #[msg("The study is closed already")]
    StudyAlreadyClosed,
}

/// Lists every variant once: the list clients use, and an exhaustive
/// match over the same names, which fails to compile when a variant is
/// missing from it.
macro_rules! every_error {
    ($($v:ident),* $(,)?) => {
        /// Every variant of [`HdxError`], in code order: clients name an
        /// error from its code with it (`HdxError::name`, the message by
        /// `Display`).
        pub const ALL_ERRORS: &[HdxError] = &[$(HdxError::$v),*];

        #[allow(dead_code)]
        const fn every_variant_is_listed(e: HdxError) {
            match e {
                $(HdxError::$v)|* => {}
            }
        }
    };
}

every_error!(
    NotUpgradeAuthority,
    NotRegistryAuthority,
    InvalidAuthority,
    NoPendingAuthority,
    NotPendingAuthority,
    ProgramPaused,
    NotProviderKey,
    ProviderNotVerified,
    ProviderSuspended,
    InvalidStatusTransition,
    EmptyCredentialCommitment,
    AccountAlreadyExists,
    NotPatientAuthority,
    KeyUnchanged,
    EmptyCategories,
    UnknownCategoryBits,
    EmptyModes,
    UnknownModeBits,
    EmptyPurposes,
    UnknownPurposeBits,
    InvalidValidityWindow,
    ExpiryInPast,
    ExpiryTooFar,
    InvalidDateRange,
    InvalidRenewalPolicy,
    ClinicalDayInFuture,
    EmptyLocator,
    LocatorTooLong,
    EmptyContentHash,
    ConsentMismatch,
    ConsentAddressMismatch,
    RecordAddressMismatch,
    LogPagePatientMismatch,
    LogPageFull,
    NotCurrentLogPage,
    LogPageNotFull,
    ArithmeticOverflow,
    AccountNotWritable,
    ClockOutOfRange,
    NoRenewalPolicy,
    NoRenewalsLeft,
    RenewalNotDue,
    ConsentExpired,
    NoEmergencyRole,
    EmergencyOptedOut,
    EmergencyDurationInvalid,
    EmergencyWindowAlreadyOpen,
    EmergencyCooldown,
    EmergencyWindowEnded,
    EmergencyWindowMismatch,
    EmergencyWindowStillOpen,
    AlreadyReviewed,
    InvalidVerdict,
    AlreadyAcknowledged,
    InvalidRoles,
    InvalidEmergencyPolicy,
    RecordPatientMismatch,
    GuardiansActForPatient,
    InvalidGuardianSet,
    NotAGuardian,
    GuardianModeForbids,
    ProposalStale,
    ProposalExpired,
    ProposalExecuted,
    AlreadyApproved,
    NotEnoughApprovals,
    ProposalMismatch,
    TimeOutOfRange,
    InvalidCredentialPolicy,
    NoCredentialPolicy,
    AttestationOwnerMismatch,
    AttestationAddressMismatch,
    AttestationMalformed,
    AttestationPolicyMismatch,
    AttestationSubjectMismatch,
    AttestationExpired,
    ProviderAttestationExpired,
    NotAttested,
    AttestationStillHolds,
    EmptyDirectoryHash,
    DirectoryTooLarge,
    UnknownDuoBits,
    InvalidDuoPermission,
    MissingIrbCommitment,
    StudyCohortTooSmall,
    InvalidStudyBudget,
    InvalidStudyTimes,
    NotResearcher,
    StudyNotProposed,
    StudyNotApproved,
    NotStudySponsor,
    EnrollmentClosed,
    InvalidEnrollment,
    AlreadyEnrolled,
    NotEnrolled,
    EnrollmentMismatch,
    NotStudyCustodian,
    StudyUseEnded,
    InvalidReleaseEpsilon,
    StudyBudgetExceeded,
    CohortBelowMinimum,
    CohortLargerThanEnrolled,
    CohortSlotInFuture,
    EmptyQueryHash,
    InvalidCustodian,
    StudyAlreadyClosed,
);
