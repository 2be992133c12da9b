//! `hdx patient rotate-authority`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use serde_json::json;

use crate::commands::args::{parse_pubkey, signer_arg};
use crate::commands::{Output, Run, Session};

/// Hand control of the patient to a new key (the new key co-signs; the
/// current one is powerless from the next transaction on)
#[derive(clap::Args, Debug)]
pub struct RotateAuthority {
    /// The new authority's signer: a keypair file (or prompt://, usb://...)
    #[arg(long, value_name = "KEYPAIR")]
    new_authority: String,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for RotateAuthority {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let p = s.my_patient(self.patient)?;
        let new = signer_arg(&self.new_authority, "new authority")?;
        let new_key = new.pubkey();
        anyhow::ensure!(
            new_key != p.authority,
            "{new_key} is already the patient's authority"
        );
        let sig = s.send_with(
            &[ix::rotate_patient_authority(p.authority, new_key, &p.id)],
            &[new.as_ref()],
        )?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "previous": p.authority.to_string(), "authority": new_key.to_string(), "signature": sig.to_string() }),
            format!(
                "Patient {} is now controlled by {new_key} ({} no longer can)\nsignature: {sig}",
                p.id, p.authority
            ),
        ))
    }
}
