//! `hdx fhir assertion`: a client assertion signed by an EHR client's key.

use hdx_fhir::ehr::EhrKey;
use serde_json::json;

use crate::commands::{Output, Run, Session};

/// Print a client assertion (ES384 JWT) for the token endpoint: iss = sub = the client id,
/// aud = the token URL, a fresh jti, expiring in --lifetime (what an EHR's SMART library makes)
#[derive(clap::Args, Debug)]
pub struct Assertion {
    /// The key to sign with (from `hdx fhir keygen`)
    #[command(flatten)]
    id: super::ClientKey,
    /// The front door's token URL (BASE/token)
    #[arg(long, value_name = "URL")]
    token_url: String,
    /// Seconds until it expires (at most 300 are accepted)
    #[arg(long, default_value_t = 240)]
    lifetime: i64,
}

impl Run for Assertion {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, _s: &Session) -> anyhow::Result<Output> {
        let a = self;
        let pem = std::fs::read_to_string(&a.id.key)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", a.id.key.display()))?;
        let key = EhrKey::from_pem(&a.id.kid, &pem)
            .map_err(|e| anyhow::anyhow!("{}: {e}", a.id.key.display()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64;
        let jwt = key.assertion(&a.id.client_id, &a.token_url, now, a.lifetime)?;
        Ok(Output::new(json!({ "assertion": jwt }), jwt))
    }
}
