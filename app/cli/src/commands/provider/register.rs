//! `hdx provider register`: the keypair becomes a provider (pending).

use std::path::PathBuf;

use hdx_sdk::codes::ProviderKind;
use hdx_sdk::credential::{new_salt, npi_commitment, Npi};
use hdx_sdk::ix;
use hdx_sdk::program::state::Provider;
use serde_json::json;

use crate::commands::args::{parse_hash, parse_kind, usage};
use crate::commands::output::hex;
use crate::commands::{Output, Run, Session};

/// Register the keypair as a provider: its key becomes the provider's id
/// and first signing key (pending until the registry authority verifies it,
/// or a licence attestation does). With --npi the credential commitment is
/// `sha256("hdx-credential-v1" || salt || NPI)`, the salt new and kept in
/// KEYPAIR.credential.json beside the keypair (the directory needs it)
#[derive(clap::Args, Debug)]
pub struct Register {
    /// hospital, clinic, laboratory, pharmacy, imaging, insurer, researcher or other
    #[arg(long, value_parser = parse_kind)]
    kind: ProviderKind,
    /// The organisation's US National Provider Identifier (10 digits, check digit verified)
    #[arg(long, value_parser = parse_npi, conflicts_with = "credential_commitment")]
    npi: Option<Npi>,
    /// Instead of --npi: a commitment computed elsewhere, 64 hex digits (the directory cannot name you)
    #[arg(long, value_name = "HEX", value_parser = parse_hash)]
    credential_commitment: Option<[u8; 32]>,
}

fn parse_npi(s: &str) -> Result<Npi, String> {
    Npi::parse(s).map_err(|e| e.to_string())
}

/// Where the salt of the keypair at `keypair` is kept.
pub fn credential_path(keypair: &str) -> PathBuf {
    PathBuf::from(format!("{keypair}.credential.json"))
}

impl Run for Register {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let me = s.pubkey()?;
        anyhow::ensure!(
            client
                .fetch::<Provider>(&hdx_sdk::pda::provider(&me).0)?
                .is_none(),
            "{me} is already registered as a provider"
        );
        let (instruction, credential) = match (self.npi, self.credential_commitment) {
            (Some(npi), None) => {
                let keypair = s.keypair_path();
                anyhow::ensure!(
                    std::path::Path::new(keypair).is_file(),
                    "--npi keeps its salt beside the keypair file, and {keypair} is not a file"
                );
                let path = credential_path(keypair);
                anyhow::ensure!(
                    !path.exists(),
                    "{} exists: it holds the salt of an earlier registration (move it away to register anew)",
                    path.display()
                );
                let salt = new_salt();
                let saved = json!({
                    "provider": me.to_string(),
                    "system": "http://hl7.org/fhir/sid/us-npi",
                    "npi": npi.to_string(),
                    "salt": hex(&salt),
                    "commitment": hex(&npi_commitment(&salt, &npi)),
                });
                // Written before the transaction: a registration never lacks its salt.
                write_private(&path, &serde_json::to_vec_pretty(&saved)?)?;
                (
                    ix::register_provider_npi(me, self.kind, &salt, &npi),
                    Some((path, saved)),
                )
            }
            (None, Some(commitment)) => (ix::register_provider(me, self.kind, commitment), None),
            _ => usage!("give --npi NPI (or --credential-commitment HEX)"),
        };
        let sig = s.send(&[instruction])?;
        let number = client.provider(&me)?.number;
        let mut j = json!({ "provider": me.to_string(), "number": number, "status": "pending", "signature": sig.to_string() });
        let mut text = format!(
            "Registered provider {me}, number {number} (pending verification)\nsignature: {sig}"
        );
        if let Some((path, saved)) = credential {
            j["npi"] = saved["npi"].clone();
            j["salt"] = saved["salt"].clone();
            j["credential_file"] = json!(path.display().to_string());
            text.push_str(&format!(
                "\nNPI {} committed; salt kept in {} (give it to the registry authority for the directory)",
                saved["npi"].as_str().unwrap_or_default(),
                path.display()
            ));
        }
        Ok(Output::new(j, text))
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
