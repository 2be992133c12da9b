//! The client side of sign-in, for `hdx fhir keygen`, `hdx fhir assertion`
//! and `hdx bench fhir`: a P-384 key (its PKCS#8 PEM and public JWK) and the
//! client assertions it signs. An EHR uses its own SMART library; this is
//! for trying the front door from a shell and for measuring it.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use serde_json::{json, Value};

/// A client's ES384 signing key.
pub struct EhrKey {
    pub kid: String,
    pkcs8: Vec<u8>,
    public_point: Vec<u8>,
}

fn b64url(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

impl EhrKey {
    /// A fresh P-384 key named `kid`.
    pub fn generate(kid: &str) -> anyhow::Result<EhrKey> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow::anyhow!("cannot generate a P-384 key"))?;
        EhrKey::from_pkcs8(kid, pkcs8.as_ref())
    }

    /// The key in `pem` (PKCS#8, as [`EhrKey::pem`] writes it).
    pub fn from_pem(kid: &str, pem: &str) -> anyhow::Result<EhrKey> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = data_encoding::BASE64
            .decode(body.trim().as_bytes())
            .map_err(|_| anyhow::anyhow!("not a PEM file"))?;
        EhrKey::from_pkcs8(kid, &der)
    }

    fn from_pkcs8(kid: &str, der: &[u8]) -> anyhow::Result<EhrKey> {
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, der, &rng)
            .map_err(|e| anyhow::anyhow!("not a P-384 PKCS#8 key: {e}"))?;
        Ok(EhrKey {
            kid: kid.to_string(),
            pkcs8: der.to_vec(),
            public_point: pair.public_key().as_ref().to_vec(),
        })
    }

    /// PKCS#8 PEM of the private key.
    pub fn pem(&self) -> String {
        let b64 = data_encoding::BASE64.encode(&self.pkcs8);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }

    /// The public key as a JWK (what the clients file lists).
    pub fn jwk(&self) -> Value {
        let p = &self.public_point; // 0x04 || x (48) || y (48)
        json!({ "kty": "EC", "crv": "P-384", "kid": self.kid, "alg": "ES384", "use": "sig",
                "x": b64url(&p[1..49]), "y": b64url(&p[49..97]) })
    }

    /// The signing key, for assertions with claims of one's own.
    pub fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_ec_der(&self.pkcs8)
    }

    /// A client assertion for `client_id` at `token_url`, expiring
    /// `lifetime` seconds after `now`, with a fresh jti.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now: i64,
        lifetime: i64,
    ) -> anyhow::Result<String> {
        let mut jti = [0u8; 16];
        getrandom::getrandom(&mut jti)?;
        let mut header = Header::new(Algorithm::ES384);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        let claims = json!({ "iss": client_id, "sub": client_id, "aud": token_url,
                             "exp": now + lifetime, "jti": b64url(&jti) });
        Ok(jsonwebtoken::encode(
            &header,
            &claims,
            &self.encoding_key(),
        )?)
    }
}
