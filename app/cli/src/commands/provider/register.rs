//! `hdx provider register`: the keypair becomes a provider (pending).

use hdx_sdk::codes::ProviderKind;
use hdx_sdk::ix;
use hdx_sdk::program::state::Provider;
use serde_json::json;

use crate::commands::args::{parse_hash, parse_kind};
use crate::commands::{Output, Run, Session};

/// Register the keypair as a provider: its key becomes the provider's id
/// and first signing key (pending until the registry authority verifies it)
#[derive(clap::Args, Debug)]
pub struct Register {
    /// hospital, clinic, laboratory, pharmacy, imaging, insurer, researcher or other
    #[arg(long, value_parser = parse_kind)]
    kind: ProviderKind,
    /// SHA-256 of (salt || credential identifier), computed off-chain: 64 hex digits
    #[arg(long, value_name = "HEX", value_parser = parse_hash)]
    credential_commitment: [u8; 32],
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
        let sig = s.send(&[ix::register_provider(
            me,
            self.kind,
            self.credential_commitment,
        )])?;
        let number = client.provider(&me)?.number;
        Ok(Output::new(
            json!({ "provider": me.to_string(), "number": number, "status": "pending", "signature": sig.to_string() }),
            format!(
                "Registered provider {me}, number {number} (pending verification)\nsignature: {sig}"
            ),
        ))
    }
}
