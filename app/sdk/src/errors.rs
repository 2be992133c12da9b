//! Errors by name. The program's own error codes come from the program
//! crate itself (`error::ALL_ERRORS`: the enum the IDL is generated from, so
//! nothing is read from outside this package); Anchor's framework codes from
//! `anchor_lang::error::ErrorCode`. A denied access is not a transaction
//! error: it becomes [`Denied`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anchor_lang::error::ErrorCode as AnchorCode;
use health_data_exchange::codes::Outcome;
use health_data_exchange::error::ALL_ERRORS;

/// A program or framework error, by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedError {
    pub code: u32,
    pub name: String,
    pub message: String,
}

fn table() -> &'static BTreeMap<u32, NamedError> {
    static TABLE: OnceLock<BTreeMap<u32, NamedError>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = BTreeMap::new();
        // Anchor's constraint and account errors a caller can meet.
        for e in [
            AnchorCode::InstructionMissing,
            AnchorCode::InstructionFallbackNotFound,
            AnchorCode::InstructionDidNotDeserialize,
            AnchorCode::InstructionDidNotSerialize,
            AnchorCode::ConstraintMut,
            AnchorCode::ConstraintHasOne,
            AnchorCode::ConstraintSigner,
            AnchorCode::ConstraintRaw,
            AnchorCode::ConstraintOwner,
            AnchorCode::ConstraintSeeds,
            AnchorCode::ConstraintAddress,
            AnchorCode::RequireViolated,
            AnchorCode::RequireEqViolated,
            AnchorCode::RequireKeysEqViolated,
            AnchorCode::RequireNeqViolated,
            AnchorCode::RequireKeysNeqViolated,
            AnchorCode::AccountDiscriminatorAlreadySet,
            AnchorCode::AccountDiscriminatorNotFound,
            AnchorCode::AccountDiscriminatorMismatch,
            AnchorCode::AccountDidNotDeserialize,
            AnchorCode::AccountDidNotSerialize,
            AnchorCode::AccountNotEnoughKeys,
            AnchorCode::AccountNotMutable,
            AnchorCode::AccountOwnedByWrongProgram,
            AnchorCode::InvalidProgramId,
            AnchorCode::InvalidProgramExecutable,
            AnchorCode::AccountNotSigner,
            AnchorCode::AccountNotSystemOwned,
            AnchorCode::AccountNotInitialized,
            AnchorCode::AccountNotProgramData,
            AnchorCode::AccountReallocExceedsLimit,
            AnchorCode::AccountDuplicateReallocs,
            AnchorCode::TryingToInitPayerAsProgramAccount,
        ] {
            let code = u32::from(e);
            map.insert(
                code,
                NamedError {
                    code,
                    name: e.name(),
                    message: e.to_string(),
                },
            );
        }
        for e in ALL_ERRORS {
            let code = u32::from(*e);
            map.insert(
                code,
                NamedError {
                    code,
                    name: e.name(),
                    message: e.to_string(),
                },
            );
        }
        map
    })
}

/// The name and message of a custom program error code, when known.
pub fn lookup(code: u32) -> Option<&'static NamedError> {
    table().get(&code)
}

/// The code of a program error by name (`"ConsentMismatch"` -> 6026).
pub fn code_of(name: &str) -> Option<u32> {
    table().values().find(|e| e.name == name).map(|e| e.code)
}

/// A logged denial: the access or write was recorded with this reason and
/// nothing was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("access denied: {} (log entry {sequence})", reason.name())]
pub struct Denied {
    pub reason: Outcome,
    pub sequence: u64,
}

/// Every code and name the SDK knows, in code order.
pub fn all() -> impl Iterator<Item = &'static NamedError> {
    table().values()
}
