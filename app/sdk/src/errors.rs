//! Errors by name. The program's own error codes come from the committed IDL
//! (one source: the code that generated it; CI fails when it drifts);
//! Anchor's framework codes from `anchor_lang::error::ErrorCode` itself.
//! A denied access is not a transaction error: it becomes [`Denied`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anchor_lang::error::ErrorCode as AnchorCode;
use health_data_exchange::codes::Outcome;

/// The committed IDL.
pub const IDL_JSON: &str = include_str!("../../../idl/health_data_exchange.json");

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
        let idl: serde_json::Value =
            serde_json::from_str(IDL_JSON).expect("the committed IDL is valid JSON");
        for e in idl["errors"].as_array().into_iter().flatten() {
            let code = e["code"].as_u64().unwrap_or_default() as u32;
            map.insert(
                code,
                NamedError {
                    code,
                    name: e["name"].as_str().unwrap_or_default().to_string(),
                    message: e["msg"].as_str().unwrap_or_default().to_string(),
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
