//! `hdx fhir keygen`: an EHR client's ES384 key, and its registration.

use std::path::PathBuf;

use hdx_fhir::ehr::EhrKey;
use serde_json::{json, Value};

use crate::commands::{Output, Run, Session};

/// Make an EHR client's ES384 key (PKCS#8 PEM, mode 0600) and add its public key to a
/// clients file (created if missing) for `hdx fhir serve --clients`
#[derive(clap::Args, Debug)]
pub struct Keygen {
    /// The key to make (its file is refused if it exists)
    #[command(flatten)]
    id: super::ClientKey,
    /// The clients file to register the public key in
    #[arg(long, value_name = "FILE")]
    clients: PathBuf,
}

impl Run for Keygen {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, _s: &Session) -> anyhow::Result<Output> {
        let (a, id) = (&self, &self.id);
        anyhow::ensure!(!id.client_id.is_empty(), "the client id is empty");
        anyhow::ensure!(!id.kid.is_empty(), "the key id is empty");
        anyhow::ensure!(
            !id.key.exists(),
            "{} exists: not overwritten",
            id.key.display()
        );
        let mut file: Value = match std::fs::read_to_string(&a.clients) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{} is not a clients file: {e}", a.clients.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({ "clients": [] }),
            Err(e) => anyhow::bail!("cannot read {}: {e}", a.clients.display()),
        };
        let clients = file["clients"]
            .as_array_mut()
            .ok_or_else(|| anyhow::anyhow!("{} has no \"clients\" list", a.clients.display()))?;
        let key = EhrKey::generate(&id.kid)?;
        match clients
            .iter_mut()
            .find(|c| c["client_id"] == id.client_id.as_str())
        {
            Some(c) => {
                let keys = c["jwks"]["keys"]
                    .as_array_mut()
                    .ok_or_else(|| anyhow::anyhow!("client {} has no jwks.keys", id.client_id))?;
                anyhow::ensure!(
                    !keys.iter().any(|k| k["kid"] == id.kid.as_str()),
                    "client {} has a key {} already",
                    id.client_id,
                    id.kid
                );
                keys.push(key.jwk());
            }
            None => {
                clients.push(json!({ "client_id": id.client_id, "jwks": { "keys": [key.jwk()] } }))
            }
        }
        // The key first (never world-readable), then the registration that names it.
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&id.key)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", id.key.display()))?;
            f.write_all(key.pem().as_bytes())?;
            f.sync_all()?;
        }
        let tmp = a.clients.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&file)? + "\n")?;
        std::fs::rename(&tmp, &a.clients)?;
        Ok(Output::new(
            json!({ "client_id": id.client_id, "kid": id.kid, "key": id.key.display().to_string(),
                    "clients": a.clients.display().to_string(), "jwk": key.jwk() }),
            format!(
                "Wrote key {} of client {} to {}; its public key is registered in {}",
                id.kid,
                id.client_id,
                id.key.display(),
                a.clients.display()
            ),
        ))
    }
}
