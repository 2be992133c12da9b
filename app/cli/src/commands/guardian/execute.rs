//! `hdx guardian execute`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use hdx_sdk::program::state::Proposal;
use hdx_sdk::program::ProposalAction;
use serde_json::json;

use crate::commands::args::{parse_pubkey, parse_u32, signer_arg, usage};
use crate::commands::{Output, Run, Session};

/// Execute a proposal that has its approvals (a recovery needs the new key: --new-key)
#[derive(clap::Args, Debug)]
pub struct Execute {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    /// The proposal's index
    #[arg(value_parser = parse_u32, allow_hyphen_values = true)]
    proposal: u32,
    /// The new authority's signer, for a recovery or hand-over
    #[arg(long, value_name = "KEYPAIR")]
    new_key: Option<String>,
}

impl Run for Execute {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let (patient, proposal) = (self.patient, self.proposal);
        let me = s.pubkey()?;
        let p: Proposal = s
            .client()?
            .fetch(&hdx_sdk::pda::proposal(&patient, proposal).0)?
            .ok_or_else(|| anyhow::anyhow!("patient {patient} has no proposal {proposal}"))?;
        let kind = p.action.kind();
        let sig = match p.action {
            ProposalAction::Grant { provider, .. } => s.send(&[ix::execute_guardian_grant(
                me, &patient, proposal, &provider,
            )])?,
            ProposalAction::Update { provider, .. } => s.send(&[ix::execute_guardian_update(
                me, &patient, proposal, &provider,
            )])?,
            ProposalAction::EmergencyPreferences { .. } => {
                s.send(&[ix::execute_guardian_preferences(me, &patient, proposal)])?
            }
            ProposalAction::Enroll { study, .. } => {
                s.send(&[ix::execute_guardian_enroll(me, &patient, proposal, study)])?
            }
            ProposalAction::Recover { new_authority }
            | ProposalAction::HandOver { new_authority, .. } => {
                let Some(source) = self.new_key else {
                    usage!(
                        "a {} needs the new key's signature: --new-key KEYPAIR",
                        kind.name()
                    );
                };
                let new = signer_arg(&source, "new key")?;
                anyhow::ensure!(
                    new.pubkey() == new_authority,
                    "the proposal names {} as the new authority, not {}",
                    new_authority,
                    new.pubkey()
                );
                s.send_with(
                    &[ix::execute_guardian_recovery(
                        me,
                        &patient,
                        proposal,
                        new_authority,
                    )],
                    &[new.as_ref()],
                )?
            }
        };
        Ok(Output::new(
            json!({ "patient": patient.to_string(), "proposal": proposal, "kind": kind.name(), "signature": sig.to_string() }),
            format!(
                "Executed proposal {proposal} ({}) for patient {patient}\nsignature: {sig}",
                kind.name()
            ),
        ))
    }
}
