//! What the JSON-RPC and PubSub sides both speak: the response envelope,
//! parameter parsing and account encoding. Both import it; neither imports
//! the other for it.

use base64::Engine;
use jsonrpc_core::{Error, ErrorCode, Id, Output, Version};
use serde_json::Value;
use solana_account_decoder_client_types::{
    UiAccount, UiAccountData, UiAccountEncoding, UiDataSliceConfig,
};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;

/// One method's answer.
pub(crate) type Answer = Result<Value, Error>;

pub(crate) fn parse_pubkey(s: &str) -> Result<Pubkey, Error> {
    s.parse()
        .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: e.to_string(),
        data: None,
    }
}

/// An account as the RPC encodes it.
pub(crate) fn ui_account(
    a: &Account,
    encoding: UiAccountEncoding,
    slice: Option<UiDataSliceConfig>,
) -> Result<UiAccount, Error> {
    let data = match slice {
        Some(UiDataSliceConfig { offset, length }) => {
            let start = offset.min(a.data.len());
            let end = offset.saturating_add(length).min(a.data.len());
            &a.data[start..end]
        }
        None => &a.data[..],
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let too_large = || {
        Error::invalid_params(
            "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.",
        )
    };
    let data = match encoding {
        UiAccountEncoding::Binary => {
            if data.len() > 128 {
                return Err(too_large());
            }
            UiAccountData::LegacyBinary(bs58::encode(data).into_string())
        }
        UiAccountEncoding::Base58 => {
            if data.len() > 128 {
                return Err(too_large());
            }
            UiAccountData::Binary(bs58::encode(data).into_string(), UiAccountEncoding::Base58)
        }
        UiAccountEncoding::Base64 | UiAccountEncoding::JsonParsed => {
            // Nothing here is jsonParsed-able: the validator falls back to base64.
            UiAccountData::Binary(b64(data), UiAccountEncoding::Base64)
        }
        UiAccountEncoding::Base64Zstd => {
            // One compression context per thread, made once (making one per
            // account cost more than compressing a small account).
            thread_local! {
                static ZSTD: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
                    const { std::cell::RefCell::new(None) };
            }
            let compressed = ZSTD
                .with(|z| {
                    let mut z = z.borrow_mut();
                    if z.is_none() {
                        *z = Some(zstd::bulk::Compressor::new(0)?);
                    }
                    z.as_mut().expect("made above").compress(data)
                })
                .map_err(internal)?;
            UiAccountData::Binary(b64(&compressed), UiAccountEncoding::Base64Zstd)
        }
    };
    Ok(UiAccount {
        lamports: a.lamports,
        data,
        owner: a.owner.to_string(),
        executable: a.executable,
        rent_epoch: a.rent_epoch,
        space: Some(a.data.len() as u64),
    })
}

/// Id of a request, for the PubSub side (which speaks the same envelope).
pub(crate) fn output(result: Answer, id: Id) -> Output {
    Output::from(result, id, Some(Version::V2))
}
