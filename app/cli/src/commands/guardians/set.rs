//! `hdx guardians set`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::codes::GuardianMode;
use hdx_sdk::ix;
use serde_json::json;

use super::parse_mode;
use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::{Output, Run, Session};

/// (patient) Set your guardians: up to 5 keys, the approvals a proposal needs, and how they act
#[derive(clap::Args, Debug)]
pub struct Set {
    /// Guardian keys, comma-separated
    #[arg(long, value_delimiter = ',', value_parser = parse_pubkey, required = true)]
    guardian: Vec<Pubkey>,
    /// Approvals a proposal needs (M of N)
    #[arg(long, value_parser = parse_u32, allow_hyphen_values = true)]
    threshold: u32,
    /// alone (a minor: your own key cannot act), alongside, or recovery-only
    #[arg(long, value_parser = parse_mode)]
    mode: GuardianMode,
    /// The patient's id [default: the one the keypair controls]
    #[arg(long, value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Set {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (guardian, mode) = (self.guardian, self.mode);
        let p = s.my_patient(self.patient)?;
        let n = guardian.len();
        anyhow::ensure!((1..=5).contains(&n), "give 1 to 5 guardians (you gave {n})");
        let threshold = u8::try_from(self.threshold)
            .ok()
            .filter(|t| (1..=n).contains(&usize::from(*t)))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--threshold {} must be between 1 and the number of guardians ({n})",
                    self.threshold
                )
            })?;
        let sig = s.send(&[ix::set_guardians(
            p.authority,
            &p.id,
            guardian.clone(),
            threshold,
            mode,
        )])?;
        Ok(Output::new(
            json!({ "patient": p.id.to_string(), "guardians": guardian.iter().map(|g| g.to_string()).collect::<Vec<_>>(), "threshold": threshold, "mode": mode.name(), "signature": sig.to_string() }),
            format!(
                "Guardians set: {threshold} of {n}, {}\nsignature: {sig}",
                mode.name()
            ),
        ))
    }
}
