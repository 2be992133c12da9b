//! `hdx provider rotate-key`: signing moves to a new key that co-signs.

use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::signer_arg;
use crate::commands::{Output, Run, Session};

/// Hand the provider's signing to a new key (the new key co-signs; the
/// current one is powerless from the next transaction on; consents stay)
#[derive(clap::Args, Debug)]
pub struct RotateKey {
    /// The new key's signer: a keypair file (or prompt://, usb://...)
    #[arg(long, value_name = "KEYPAIR")]
    new_key: String,
}

impl Run for RotateKey {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = s.my_provider()?;
        let new = signer_arg(&self.new_key, "new key")?;
        let key = new.pubkey();
        anyhow::ensure!(key != p.signer, "{key} is already the provider's key");
        let sig = s.send_with(
            &[ix::rotate_provider_key(p.signer, key, &p.id)],
            &[new.as_ref()],
        )?;
        Ok(Output::new(
            json!({ "provider": p.id.to_string(), "previous": p.signer.to_string(), "signer": key.to_string(), "signature": sig.to_string() }),
            format!(
                "Provider {} now signs with {key} ({} no longer can)\nsignature: {sig}",
                p.id, p.signer
            ),
        ))
    }
}
