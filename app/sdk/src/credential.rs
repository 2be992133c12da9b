//! Provider credentials: the national identifier a provider's on-chain
//! commitment opens to, and the licence attestations that verify it.
//!
//! The commitment (docs/DESIGN.md, "The provider directory"):
//! `sha256("hdx-credential-v1" || salt (32 bytes) || identifier)`, the
//! identifier as its ASCII digits. The US NPI is 10 digits whose last is a
//! Luhn check digit computed over the 9 before it with the prefix 80840
//! (the NPI standard's card-issuer prefix for US health).

use std::fmt;

use anchor_lang::prelude::Pubkey;
use health_data_exchange::codes::ProviderKind;
use health_data_exchange::state::{
    Attestation, CredentialPolicy, ATTESTATION_DATA_LEN, ATTESTATION_DISCRIMINATOR,
};
use sha2::{Digest, Sha256};

/// The domain tag of a credential commitment.
pub const COMMITMENT_TAG: &[u8] = b"hdx-credential-v1";

/// A US National Provider Identifier whose check digit is right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Npi([u8; 10]);

/// Why a string is not an NPI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NpiError {
    #[error("an NPI is 10 digits; `{0}` is not")]
    Format(String),
    #[error(
        "`{given}` fails the NPI check digit (Luhn over 80840): the last digit would be {expected}"
    )]
    CheckDigit { given: String, expected: u8 },
}

/// The Luhn check digit of `80840` followed by the 9 digits of `base`.
pub fn npi_check_digit(base: &[u8; 9]) -> u8 {
    // Digits from the right of (80840 || base); the check digit would sit to
    // the right of them, so the rightmost here is doubled.
    let prefix = [8u8, 0, 8, 4, 0];
    let sum: u32 = prefix
        .iter()
        .chain(base.iter())
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let twice = d * 2;
                twice / 10 + twice % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl Npi {
    /// Parses 10 ASCII digits and checks the check digit.
    pub fn parse(text: &str) -> Result<Npi, NpiError> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(NpiError::Format(text.to_string()));
        }
        let digits: [u8; 10] = std::array::from_fn(|i| bytes[i] - b'0');
        let base: [u8; 9] = std::array::from_fn(|i| digits[i]);
        let expected = npi_check_digit(&base);
        if digits[9] != expected {
            return Err(NpiError::CheckDigit {
                given: text.to_string(),
                expected,
            });
        }
        Ok(Npi(digits))
    }

    /// The identifier as committed to: its 10 ASCII digits.
    pub fn ascii(&self) -> [u8; 10] {
        self.0.map(|d| d + b'0')
    }
}

impl fmt::Display for Npi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.ascii()).expect("ASCII digits"))
    }
}

/// `sha256("hdx-credential-v1" || salt || identifier)`.
pub fn commitment(salt: &[u8; 32], identifier: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(COMMITMENT_TAG)
        .chain_update(salt)
        .chain_update(identifier)
        .finalize()
        .into()
}

/// The commitment of an NPI under `salt`.
pub fn npi_commitment(salt: &[u8; 32], npi: &Npi) -> [u8; 32] {
    commitment(salt, &npi.ascii())
}

/// A fresh 32-byte salt from the operating system's generator.
pub fn new_salt() -> [u8; 32] {
    let mut salt = [0u8; 32];
    getrandom::getrandom(&mut salt).expect("the operating system's random generator");
    salt
}

/// The FHIR identifier system URI of the US NPI.
pub const NPI_SYSTEM_URI: &str = "http://hl7.org/fhir/sid/us-npi";

/// The attestation data this program's schema carries for a provider.
pub fn attestation_data(commitment: &[u8; 32], kind: ProviderKind) -> [u8; ATTESTATION_DATA_LEN] {
    Attestation::expected_data(commitment, kind)
}

/// The bytes of an attestation account in the attestation service's layout
/// (what its issuer creates; tests write it into a bank).
pub fn attestation_account_data(
    policy: &CredentialPolicy,
    provider_id: &Pubkey,
    data: &[u8],
    signer: &Pubkey,
    expiry: i64,
    token_account: &Pubkey,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 32 * 5 + 4 + data.len() + 8);
    out.push(ATTESTATION_DISCRIMINATOR);
    out.extend_from_slice(provider_id.as_ref());
    out.extend_from_slice(policy.credential.as_ref());
    out.extend_from_slice(policy.schema.as_ref());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(signer.as_ref());
    out.extend_from_slice(&expiry.to_le_bytes());
    out.extend_from_slice(token_account.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_npi_check_digit_is_luhn_over_80840() {
        // The CMS example NPI, and its neighbours.
        assert_eq!(Npi::parse("1234567893").unwrap().to_string(), "1234567893");
        assert_eq!(npi_check_digit(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), 3);
        assert_eq!(
            Npi::parse("1234567890"),
            Err(NpiError::CheckDigit {
                given: "1234567890".into(),
                expected: 3
            })
        );
        // Every base gets exactly one right check digit.
        for base in [[0u8; 9], [9u8; 9], [1, 0, 0, 0, 0, 0, 0, 0, 0]] {
            let right = (0..10u8)
                .filter(|&d| {
                    let text: String = base
                        .iter()
                        .chain([&d])
                        .map(|x| (x + b'0') as char)
                        .collect();
                    Npi::parse(&text).is_ok()
                })
                .count();
            assert_eq!(right, 1, "{base:?}");
        }
        for bad in [
            "",
            "123456789",
            "12345678931",
            "12345678a3",
            "-234567893",
            " 1234567893",
        ] {
            assert_eq!(
                Npi::parse(bad),
                Err(NpiError::Format(bad.into())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_commitment_binds_tag_salt_and_identifier() {
        let npi = Npi::parse("1234567893").unwrap();
        let salt = [7u8; 32];
        let mut input = b"hdx-credential-v1".to_vec();
        input.extend_from_slice(&salt);
        input.extend_from_slice(b"1234567893");
        let direct: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(npi_commitment(&salt, &npi), direct);
        assert_ne!(npi_commitment(&[8u8; 32], &npi), direct);
        let other = Npi::parse("1245319599").unwrap();
        assert_ne!(npi_commitment(&salt, &other), direct);
    }

    #[test]
    fn an_attestation_written_here_decodes_in_the_program() {
        let policy = CredentialPolicy {
            credential: Pubkey::new_unique(),
            schema: Pubkey::new_unique(),
        };
        let provider = Pubkey::new_unique();
        let data = attestation_data(&[3; 32], ProviderKind::Laboratory);
        let bytes = attestation_account_data(
            &policy,
            &provider,
            &data,
            &Pubkey::new_unique(),
            1_900_000_000,
            &Pubkey::default(),
        );
        // 1 + 32 * 3 + 4 + 33 + 32 + 8 + 32
        assert_eq!(bytes.len(), 206);
        let a = Attestation::decode(&bytes).unwrap();
        assert_eq!(
            (a.nonce, a.credential, a.schema, a.data, a.expiry),
            (
                provider,
                policy.credential,
                policy.schema,
                &data[..],
                1_900_000_000
            )
        );
        for cut in [0, 1, 100, 205] {
            assert!(Attestation::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Attestation::decode(&longer).is_err());
        let mut schema_account = bytes;
        schema_account[0] = 1;
        assert!(Attestation::decode(&schema_account).is_err());
    }
}
