//! `hdx guardian approve`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use hdx_sdk::program::state::Proposal;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_u32};
use crate::commands::guardians::set_of;
use crate::commands::{Output, Run, Session};

/// Approve a proposal
#[derive(clap::Args, Debug)]
pub struct Approve {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The proposal's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    proposal: u32,
}

impl Run for Approve {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (patient, proposal) = (self.patient, self.proposal);
        let set = set_of(s, &patient)?;
        let sig = s.send(&[ix::approve_guardian_action(s.pubkey()?, &patient, proposal)])?;
        let p: Proposal = s
            .client()?
            .fetch(&hdx_sdk::pda::proposal(&patient, proposal).0)?
            .ok_or_else(|| anyhow::anyhow!("proposal {proposal} disappeared"))?;
        Ok(Output::new(
            json!({ "patient": patient.to_string(), "proposal": proposal, "approvals": p.approval_count(), "threshold": set.threshold, "signature": sig.to_string() }),
            format!(
                "Approved proposal {proposal} ({} of {} approvals)\nsignature: {sig}",
                p.approval_count(),
                set.threshold
            ),
        ))
    }
}
