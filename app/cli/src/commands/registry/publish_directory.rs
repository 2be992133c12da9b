//! `hdx registry publish-directory FILE`: the provider directory's hash on-chain.

use std::path::PathBuf;

use hdx_sdk::directory::{bundle_sha256, parse_bundle, ProviderName, VerifiedDirectory};
use hdx_sdk::ix;
use hdx_sdk::program::state::Provider;
use serde_json::json;

use crate::commands::output::hex;
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Publish a provider directory: FILE is a FHIR R4 Bundle of Organization
/// resources (name, NPI, kind, address, endpoint, the salt that opens each
/// provider's commitment; see `hdx provider register --npi`). Its SHA-256
/// goes on-chain; the bundle itself is stored where this cluster serves it
/// (the ledger directory, or `hdx serve`'s /directory)
#[derive(clap::Args, Debug)]
pub struct PublishDirectory {
    /// The bundle, exactly as it will be served (its bytes are hashed)
    file: PathBuf,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for PublishDirectory {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let bytes = std::fs::read(&self.file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", self.file.display()))?;
        let entries =
            parse_bundle(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", self.file.display()))?;
        // Each entry should name a registered provider and open its commitment.
        let client = s.client()?;
        let would_be = VerifiedDirectory::as_if_published(&bytes);
        let mut problems = Vec::new();
        let mut listed: Vec<_> = entries.values().collect();
        listed.sort_by_key(|o| o.provider);
        for org in listed {
            match client.fetch::<Provider>(&hdx_sdk::pda::provider(&org.provider).0)? {
                None => problems.push(format!(
                    "{} ({}) is not a registered provider",
                    org.name, org.provider
                )),
                Some(p) => {
                    if let ProviderName::Unnamed(why) = would_be.name(&p) {
                        problems.push(format!("{} ({}): {why}", org.name, org.provider));
                    }
                }
            }
        }
        anyhow::ensure!(
            problems.is_empty(),
            "{} would not name every provider it lists; nothing was published:\n  {}",
            self.file.display(),
            problems.join("\n  ")
        );
        let sha = bundle_sha256(&bytes);
        let authority = self.tx.authority(s)?;
        let ix = ix::publish_directory(authority, authority, sha, entries.len() as u32);
        let done = format!(
            "Published the provider directory: {} organisations, SHA-256 {}",
            entries.len(),
            hex(&sha)
        );
        let mut out = self.tx.submit(s, ix, &done)?;
        if self.tx.sends() {
            let at = s.upload_bundle(&bytes)?;
            out.json["bundle"] = json!(at);
            out.json["sha256"] = json!(hex(&sha));
            out.text.push_str(&format!("\nbundle served from {at}"));
        }
        Ok(out)
    }
}
