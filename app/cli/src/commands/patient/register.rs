//! `hdx patient register`.

use hdx_sdk::{ix, pda};
use serde_json::json;

use crate::commands::{Output, Run, Session};

/// Register the keypair as a patient: its key becomes the patient's id
/// and first authority (opens the first audit-log page)
#[derive(clap::Args, Debug)]
pub struct Register;

impl Run for Register {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let client = s.client()?;
        let me = s.pubkey()?;
        anyhow::ensure!(
            client
                .fetch::<hdx_sdk::program::state::Patient>(&pda::patient(&me).0)?
                .is_none(),
            "{me} is already registered as a patient"
        );
        let sig = s.send(&[ix::register_patient(me)])?;
        Ok(Output::new(
            json!({ "patient": me.to_string(), "account": pda::patient(&me).0.to_string(), "signature": sig.to_string() }),
            format!("Registered patient {me}\nsignature: {sig}"),
        ))
    }
}
