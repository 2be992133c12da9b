//! Content identifiers for record data: a CIDv1 with the raw codec and a
//! sha2-256 multihash whose digest is the record's on-chain content hash,
//! written in multibase base32 (`b…`), as IPFS writes them. A locator
//! `ipfs://<cid>` therefore names the content itself: anyone can check what
//! they were given against the chain without trusting who gave it.

use data_encoding::BASE32_NOPAD;

/// CIDv1, raw codec (0x55), sha2-256 (0x12), 32-byte digest.
const PREFIX: [u8; 4] = [0x01, 0x55, 0x12, 0x20];
/// The locator scheme for content-addressed records.
pub const IPFS_SCHEME: &str = "ipfs://";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidError {
    #[error("{0:?} is not a CID: it must start with \"b\" (multibase base32)")]
    NotBase32(String),
    #[error("{0:?} is not a CID: not valid base32")]
    BadEncoding(String),
    #[error(
        "{0:?} is not a CIDv1 of raw data hashed with sha2-256 (the only kind a record's content hash can be)"
    )]
    Unsupported(String),
}

/// The CID of content whose SHA-256 is `hash`.
pub fn of_hash(hash: &[u8; 32]) -> String {
    let mut bytes = PREFIX.to_vec();
    bytes.extend_from_slice(hash);
    format!("b{}", BASE32_NOPAD.encode(&bytes).to_ascii_lowercase())
}

/// `ipfs://<cid>` for content whose SHA-256 is `hash`.
pub fn locator(hash: &[u8; 32]) -> String {
    format!("{IPFS_SCHEME}{}", of_hash(hash))
}

/// The SHA-256 a CID names (only CIDv1, raw, sha2-256 are accepted).
pub fn parse(cid: &str) -> Result<[u8; 32], CidError> {
    let body = cid
        .strip_prefix('b')
        .ok_or_else(|| CidError::NotBase32(cid.to_string()))?;
    let bytes = BASE32_NOPAD
        .decode(body.to_ascii_uppercase().as_bytes())
        .map_err(|_| CidError::BadEncoding(cid.to_string()))?;
    match bytes.strip_prefix(&PREFIX[..]) {
        Some(digest) if digest.len() == 32 => Ok(digest.try_into().expect("32 bytes")),
        _ => Err(CidError::Unsupported(cid.to_string())),
    }
}

/// For an `ipfs://` locator, the SHA-256 it names; `None` for any other locator.
pub fn hash_of_locator(locator: &str) -> Option<Result<[u8; 32], CidError>> {
    locator.strip_prefix(IPFS_SCHEME).map(parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cid_names_its_sha256_and_reads_back() {
        use sha2::{Digest, Sha256};
        // `ipfs add --cid-version 1 --raw-leaves` of "hello world" gives this CID.
        let hash: [u8; 32] = Sha256::digest(b"hello world").into();
        assert_eq!(
            of_hash(&hash),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
        );
        assert_eq!(parse(&of_hash(&hash)), Ok(hash));
        assert_eq!(hash_of_locator(&locator(&hash)), Some(Ok(hash)));
        assert_eq!(hash_of_locator("vault://x"), None);
        // Another codec (dag-pb), another encoding, garbage: refused by name.
        assert!(matches!(
            parse("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"),
            Err(CidError::Unsupported(_))
        ));
        assert!(matches!(
            parse("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"),
            Err(CidError::NotBase32(_))
        ));
        assert!(matches!(parse("b!!!"), Err(CidError::BadEncoding(_))));
    }
}
