//! SMART Backend Services (SMART App Launch 2.x, "Backend Services"): the
//! token endpoint an EHR signs in at, and the bearer tokens it then holds.
//!
//! A client is registered in a clients file (JSON): its id, its public keys
//! (a JWKS), the scopes it may ask for and its default purpose of use. It
//! asks for a token with a client assertion (RFC 7523) signed by one of
//! those keys: ES384 or RS384, `kid` naming the key, `iss` = `sub` = the
//! client id, `aud` = this server's token URL, `exp` at most five minutes
//! ahead and not past, and a `jti` it never used before (kept in this
//! service's SQLite store until the assertion expires, so a replay is
//! refused across restarts). The token is random, kept only as its SHA-256,
//! short-lived, and bound to the client, the scopes granted and a purpose of
//! use the program knows. Nothing here logs a token, an assertion or a key.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use data_encoding::BASE64URL_NOPAD;
use hdx_sdk::codes::Purpose;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The scopes this server grants (SMART v2), one per interaction it serves.
pub const SCOPES: [&str; 4] = [
    "system/DocumentReference.rs",
    "system/Binary.r",
    "system/Consent.rs",
    "system/AuditEvent.rs",
];
/// The only client assertion type (RFC 7523).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The signing algorithms accepted (SMART Backend Services requires both).
pub const ALGORITHMS: [&str; 2] = ["ES384", "RS384"];
/// An assertion expires at most this far ahead.
pub const MAX_ASSERTION_LIFETIME: i64 = 300;
/// Clock skew allowed between the client and this server, seconds.
pub const LEEWAY: u64 = 30;
/// A token's life unless the server is told otherwise.
pub const DEFAULT_TOKEN_LIFETIME: i64 = 300;

/// A refused token request: the OAuth error code and the reason, answered as 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct TokenRefusal {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `invalid_scope`, `unsupported_grant_type`.
    pub code: &'static str,
    pub reason: String,
}

fn refuse<T>(code: &'static str, reason: impl Into<String>) -> Result<T, TokenRefusal> {
    Err(TokenRefusal {
        code,
        reason: reason.into(),
    })
}

/// A bearer token refused on a FHIR request (401, or 403 for a scope it lacks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct AuthRefusal {
    pub status: u16,
    pub reason: String,
}

/// One client as registered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    pub client_id: String,
    /// Its public keys; each needs a `kid`.
    pub jwks: JwkSet,
    /// The scopes it may be granted [default: all of [`SCOPES`]].
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Its purpose of use when a token request names none (a program
    /// purpose, by name or HL7 code) [default: treatment].
    #[serde(default)]
    pub purpose: Option<String>,
}

/// The clients file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsFile {
    pub clients: Vec<ClientEntry>,
}

#[derive(Debug, Clone)]
struct Client {
    keys: JwkSet,
    scopes: Vec<String>,
    purpose: Purpose,
}

/// A purpose of use by the program's name or its HL7 code.
pub fn parse_purpose(text: &str) -> Option<Purpose> {
    Purpose::ALL
        .iter()
        .copied()
        .find(|p| p.name().eq_ignore_ascii_case(text) || p.hl7_code().eq_ignore_ascii_case(text))
}

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client: String,
    pub scopes: Vec<String>,
    pub purpose: Purpose,
    pub expires_at: i64,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
    /// The purpose of use the token's reads are made for (HL7 code).
    pub purpose_of_use: String,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    // Optional here so that a missing one is named by the validation, not by serde.
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

/// The token endpoint and its tokens.
pub struct Smart {
    clients: HashMap<String, Client>,
    token_url: String,
    token_lifetime: i64,
    jti: Mutex<rusqlite::Connection>,
    tokens: Mutex<HashMap<[u8; 32], Grant>>,
}

impl Smart {
    /// Clients from `clients` (checked: ids unique, every key with a `kid`
    /// of a supported kind, scopes and purposes known); the replay store at
    /// `store` (created).
    pub fn open(
        clients: &ClientsFile,
        store: &Path,
        token_url: String,
        token_lifetime: i64,
    ) -> anyhow::Result<Smart> {
        let mut by_id = HashMap::new();
        for c in &clients.clients {
            anyhow::ensure!(!c.client_id.is_empty(), "a client has an empty client_id");
            let scopes = c
                .scopes
                .clone()
                .unwrap_or_else(|| SCOPES.iter().map(|s| s.to_string()).collect());
            for s in &scopes {
                anyhow::ensure!(
                    SCOPES.contains(&s.as_str()),
                    "client {}: scope {s:?} is not one this server grants ({})",
                    c.client_id,
                    SCOPES.join(" ")
                );
            }
            let purpose = match &c.purpose {
                None => Purpose::Treatment,
                Some(p) => parse_purpose(p).ok_or_else(|| {
                    anyhow::anyhow!("client {}: {p:?} is not a purpose of use", c.client_id)
                })?,
            };
            anyhow::ensure!(
                !c.jwks.keys.is_empty(),
                "client {} has no keys",
                c.client_id
            );
            for k in &c.jwks.keys {
                let kid = k.common.key_id.as_deref().unwrap_or("");
                anyhow::ensure!(
                    !kid.is_empty(),
                    "client {}: every key needs a kid",
                    c.client_id
                );
                DecodingKey::from_jwk(k).map_err(|e| {
                    anyhow::anyhow!("client {}: key {kid} is not usable: {e}", c.client_id)
                })?;
            }
            anyhow::ensure!(
                by_id
                    .insert(
                        c.client_id.clone(),
                        Client {
                            keys: c.jwks.clone(),
                            scopes,
                            purpose,
                        },
                    )
                    .is_none(),
                "client {} is registered twice",
                c.client_id
            );
        }
        std::fs::create_dir_all(store)?;
        let db = rusqlite::Connection::open(store.join("fhir.sqlite"))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS jti (
                 client TEXT NOT NULL,
                 jti TEXT NOT NULL,
                 expires_at INTEGER NOT NULL,
                 PRIMARY KEY (client, jti)
             );",
        )?;
        Ok(Smart {
            clients: by_id,
            token_url,
            token_lifetime,
            jti: Mutex::new(db),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// `POST /token` (form fields), at wall time `now`.
    pub fn token(
        &self,
        form: &HashMap<String, String>,
        now: i64,
    ) -> Result<TokenResponse, TokenRefusal> {
        let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
        if field("grant_type") != "client_credentials" {
            return refuse(
                "unsupported_grant_type",
                "grant_type must be client_credentials",
            );
        }
        if field("client_assertion_type") != ASSERTION_TYPE {
            return refuse(
                "invalid_request",
                format!("client_assertion_type must be {ASSERTION_TYPE}"),
            );
        }
        let assertion = field("client_assertion");
        if assertion.is_empty() {
            return refuse("invalid_request", "no client_assertion");
        }
        let header = jsonwebtoken::decode_header(assertion).map_err(|e| TokenRefusal {
            code: "invalid_client",
            reason: format!("the client assertion is not a JWT: {e}"),
        })?;
        let algorithm = match header.alg {
            Algorithm::ES384 => Algorithm::ES384,
            Algorithm::RS384 => Algorithm::RS384,
            other => {
                return refuse(
                    "invalid_client",
                    format!(
                        "unsupported algorithm {other:?}: this server accepts {}",
                        ALGORITHMS.join(" and ")
                    ),
                )
            }
        };
        let Some(kid) = header.kid.filter(|k| !k.is_empty()) else {
            return refuse("invalid_client", "the assertion's header names no kid");
        };
        // The issuer, read before the signature is checked, only to find the client and its key.
        let iss = unverified_issuer(assertion)?;
        let Some(client) = self.clients.get(&iss) else {
            return refuse("invalid_client", format!("unknown client {iss:?}"));
        };
        if let Some(id) = form.get("client_id") {
            if *id != iss {
                return refuse("invalid_client", "client_id is not the assertion's issuer");
            }
        }
        let Some(jwk) = client.keys.find(&kid) else {
            return refuse(
                "invalid_client",
                format!("unknown key id {kid:?} for client {iss:?}"),
            );
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| TokenRefusal {
            code: "invalid_client",
            reason: format!("key {kid:?} is not usable: {e}"),
        })?;
        let mut v = Validation::new(algorithm);
        v.leeway = LEEWAY;
        v.set_audience(&[&self.token_url]);
        v.set_issuer(&[&iss]);
        v.sub = Some(iss.clone());
        v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &v)
            .map_err(|e| TokenRefusal {
                code: "invalid_client",
                reason: assertion_error(&e, &self.token_url),
            })?
            .claims;
        debug_assert_eq!(claims.iss, claims.sub);
        let Some(exp) = claims.exp else {
            return refuse("invalid_client", "the assertion has no exp claim");
        };
        if exp > now + MAX_ASSERTION_LIFETIME + LEEWAY as i64 {
            return refuse(
                "invalid_client",
                format!(
                    "the assertion expires {} s from now; at most {MAX_ASSERTION_LIFETIME} s is accepted",
                    exp - now
                ),
            );
        }
        let jti = claims.jti.unwrap_or_default();
        if jti.is_empty() || jti.len() > 255 {
            return refuse(
                "invalid_client",
                "the assertion needs a jti (1 to 255 characters)",
            );
        }
        let scopes = self.granted_scopes(client, field("scope"))?;
        let purpose = match form.get("purpose_of_use") {
            None => client.purpose,
            Some(p) => parse_purpose(p).ok_or_else(|| TokenRefusal {
                code: "invalid_request",
                reason: format!("purpose_of_use {p:?} is not a purpose of use"),
            })?,
        };
        self.remember_jti(&iss, &jti, exp, now)?;
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| TokenRefusal {
            code: "invalid_request",
            reason: format!("no randomness for a token: {e}"),
        })?;
        let token = BASE64URL_NOPAD.encode(&bytes);
        let grant = Grant {
            client: iss,
            scopes: scopes.clone(),
            purpose,
            expires_at: now + self.token_lifetime,
        };
        let mut tokens = self.tokens.lock().expect("not poisoned");
        tokens.retain(|_, g| g.expires_at > now);
        tokens.insert(Sha256::digest(token.as_bytes()).into(), grant);
        Ok(TokenResponse {
            access_token: token,
            token_type: "bearer".into(),
            expires_in: self.token_lifetime,
            scope: scopes.join(" "),
            purpose_of_use: purpose.hl7_code().into(),
        })
    }

    /// The scopes asked for that this client may have (OAuth lets a server
    /// grant fewer than asked, and the answer's `scope` says which; SMART
    /// clients add launch scopes a backend service has no use for). None of
    /// them: refused, naming what may be asked.
    fn granted_scopes(&self, client: &Client, asked: &str) -> Result<Vec<String>, TokenRefusal> {
        let granted: Vec<String> = client
            .scopes
            .iter()
            .filter(|c| asked.split_whitespace().any(|s| s == c.as_str()))
            .cloned()
            .collect();
        if granted.is_empty() {
            return refuse(
                "invalid_scope",
                format!(
                    "none of the scopes asked for ({:?}) is one this client may have: {}",
                    asked,
                    client.scopes.join(" ")
                ),
            );
        }
        Ok(granted)
    }

    /// Stores (client, jti) until the assertion expires; a second use is refused.
    fn remember_jti(
        &self,
        client: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), TokenRefusal> {
        let db = self.jti.lock().expect("not poisoned");
        let store = |e: rusqlite::Error| TokenRefusal {
            code: "invalid_request",
            reason: format!("the replay store failed: {e}"),
        };
        db.execute(
            "DELETE FROM jti WHERE expires_at < ?1",
            [now - LEEWAY as i64],
        )
        .map_err(store)?;
        match db.execute(
            "INSERT INTO jti (client, jti, expires_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![client, jti, expires_at],
        ) {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                refuse(
                    "invalid_client",
                    format!("jti {jti:?} was used before: an assertion is good once"),
                )
            }
            Err(e) => Err(store(e)),
        }
    }

    /// The grant of `authorization` (an `Authorization` header's value) for
    /// `scope`, at wall time `now`.
    pub fn authorize(
        &self,
        authorization: Option<&str>,
        scope: &str,
        now: i64,
    ) -> Result<Grant, AuthRefusal> {
        let unauthorized = |reason: String| AuthRefusal {
            status: 401,
            reason,
        };
        let header = authorization
            .ok_or_else(|| unauthorized("no bearer token: sign in at the token endpoint".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header is not a bearer token".into()))?;
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        let grant = self
            .tokens
            .lock()
            .expect("not poisoned")
            .get(&digest)
            .cloned()
            .ok_or_else(|| unauthorized("unknown token".into()))?;
        if now >= grant.expires_at {
            return Err(unauthorized(format!(
                "the token expired {} s ago: ask for a new one",
                now - grant.expires_at
            )));
        }
        if !grant.scopes.iter().any(|s| s == scope) {
            return Err(AuthRefusal {
                status: 403,
                reason: format!("the token does not grant {scope}"),
            });
        }
        Ok(grant)
    }
}

/// The `iss` of an assertion, read without checking it (to find its key).
fn unverified_issuer(assertion: &str) -> Result<String, TokenRefusal> {
    let bad = |why: &str| TokenRefusal {
        code: "invalid_client",
        reason: format!("the client assertion is not a JWT: {why}"),
    };
    let payload = assertion
        .split('.')
        .nth(1)
        .ok_or_else(|| bad("no payload"))?;
    let bytes = BASE64URL_NOPAD
        .decode(payload.trim_end_matches('=').as_bytes())
        .map_err(|_| bad("the payload is not base64url"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| bad("the payload is not JSON"))?;
    value["iss"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| TokenRefusal {
            code: "invalid_client",
            reason: "the assertion names no issuer (iss)".into(),
        })
}

/// An assertion that did not verify, in words.
fn assertion_error(e: &jsonwebtoken::errors::Error, token_url: &str) -> String {
    use jsonwebtoken::errors::ErrorKind::*;
    match e.kind() {
        ExpiredSignature => "the assertion has expired (exp is past)".into(),
        InvalidAudience => format!("the assertion's aud must be {token_url}"),
        InvalidIssuer => "the assertion's iss is not its client".into(),
        InvalidSubject => "the assertion's sub must be its iss (the client id)".into(),
        InvalidSignature => {
            "the assertion's signature does not verify with the key its kid names".into()
        }
        MissingRequiredClaim(c) => format!("the assertion has no {c} claim"),
        InvalidAlgorithm => "the assertion's algorithm does not fit the key its kid names".into(),
        ImmatureSignature => "the assertion is not valid yet (nbf)".into(),
        other => format!("the assertion does not verify: {other:?}"),
    }
}
