//! `hdx registry credential-policy`: whose licence attestations verify providers.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use hdx_sdk::program::CredentialPolicy;

use crate::commands::args::{parse_pubkey, usage};
use crate::commands::tx::TxOpts;
use crate::commands::{Output, Run, Session};

/// Name the trusted issuer of licence attestations (a Solana Attestation
/// Service credential) and their schema, or --clear the policy: then anyone
/// can verify a provider that holds such an attestation
/// (`hdx provider verify-by-attestation`)
#[derive(clap::Args, Debug)]
pub struct CredentialPolicyCmd {
    /// The issuer's credential account
    #[arg(long, value_parser = parse_pubkey, required_unless_present = "clear")]
    credential: Option<Pubkey>,
    /// The attestation schema account (data: the provider's commitment, 32 bytes, and kind, 1 byte)
    #[arg(long, value_parser = parse_pubkey, required_unless_present = "clear")]
    schema: Option<Pubkey>,
    /// Clear the policy: only the registry authority verifies
    #[arg(long, conflicts_with_all = ["credential", "schema"])]
    clear: bool,
    #[command(flatten)]
    tx: TxOpts,
}

impl Run for CredentialPolicyCmd {
    fn sends(&self) -> bool {
        self.tx.sends()
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let policy = match (self.credential, self.schema) {
            (Some(credential), Some(schema)) => CredentialPolicy { credential, schema },
            (None, None) if self.clear => CredentialPolicy::default(),
            _ => usage!("give --credential and --schema, or --clear"),
        };
        let done = if self.clear {
            "Credential policy cleared: only the registry authority verifies providers".to_string()
        } else {
            format!(
                "Credential policy: attestations of credential {} under schema {} verify providers",
                policy.credential, policy.schema
            )
        };
        self.tx.submit(
            s,
            ix::set_credential_policy(self.tx.authority(s)?, policy),
            &done,
        )
    }
}
