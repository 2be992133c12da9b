//! `hdx guardian propose`: a guardian proposes an action for a patient
//! (its own approval counts).

use anchor_lang::prelude::Pubkey;
use hdx_sdk::ix;
use hdx_sdk::program::ProposalAction;
use serde_json::json;

use crate::commands::args::parse_pubkey;
use crate::commands::consent::TermsArgs;
use crate::commands::guardians::set_of;
use crate::commands::patient::PreferenceArgs;
use crate::commands::study::EnrollTerms;
use crate::commands::{Output, Run, Session};

/// Propose for a patient (your approval counts)
#[derive(clap::Args, Debug)]
pub struct Propose {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Pubkey,
    #[command(subcommand)]
    what: ProposeCmd,
}

#[derive(clap::Subcommand, Debug)]
pub enum ProposeCmd {
    /// Grant a provider a consent (its full terms)
    Grant {
        /// The provider: its id or current key
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Replace a consent's terms (flags not given keep their current value)
    Update {
        /// The provider: its id or current key
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Move the patient's control to a new key (a lost wallet)
    Recover {
        /// The patient's new authority (it co-signs the execution)
        #[arg(long, value_parser = parse_pubkey)]
        new_authority: Pubkey,
    },
    /// Hand control to the patient's own new key (a minor comes of age)
    HandOver {
        /// The patient's new authority (it co-signs the execution)
        #[arg(long, value_parser = parse_pubkey)]
        new_authority: Pubkey,
        /// Keep the guardians, for recovery only (else they are removed)
        #[arg(long)]
        keep_for_recovery: bool,
    },
    /// Set the patient's emergency preferences (while guardians act alone, only
    /// they can); flags not given keep the current value
    EmergencyPreferences {
        #[command(flatten)]
        preferences: PreferenceArgs,
    },
    /// Enrol the patient in an approved research study
    Enroll {
        /// The study's address
        #[arg(value_parser = parse_pubkey)]
        study: Pubkey,
        #[command(flatten)]
        terms: EnrollTerms,
    },
}

impl ProposeCmd {
    /// The action proposed, its terms resolved and checked before anything is sent.
    fn action(self, s: &Session, patient: &Pubkey) -> anyhow::Result<ProposalAction> {
        let client = s.client()?;
        let now = s.now()?;
        Ok(match self {
            ProposeCmd::Grant { provider, terms } => ProposalAction::Grant {
                provider: s.provider_named(&provider)?.id,
                terms: terms.resolve(None, now)?,
            },
            ProposeCmd::Update { provider, terms } => {
                let provider = s.provider_named(&provider)?;
                let current = client.consent(patient, &provider.id)?.ok_or_else(|| {
                    anyhow::anyhow!("patient {patient} has no live consent for {}", provider.id)
                })?;
                ProposalAction::Update {
                    provider: provider.id,
                    terms: terms.resolve(Some(&current), now)?,
                }
            }
            ProposeCmd::Recover { new_authority } => ProposalAction::Recover { new_authority },
            ProposeCmd::HandOver {
                new_authority,
                keep_for_recovery,
            } => ProposalAction::HandOver {
                new_authority,
                keep_for_recovery,
            },
            ProposeCmd::EmergencyPreferences { preferences } => {
                let current = client.patient(patient)?.emergency;
                ProposalAction::EmergencyPreferences {
                    preferences: preferences.resolve(current)?,
                }
            }
            ProposeCmd::Enroll { study, terms } => {
                let (categories, until) =
                    terms.resolve(&crate::commands::study::study_at(s, &study)?, now)?;
                ProposalAction::Enroll {
                    study,
                    categories,
                    until,
                }
            }
        })
    }
}

impl Run for Propose {
    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let patient = self.patient;
        let me = s.pubkey()?;
        let set = set_of(s, &patient)?;
        anyhow::ensure!(
            set.position(&me).is_some(),
            "{me} is not one of patient {patient}'s guardians"
        );
        let action = self.what.action(s, &patient)?;
        let kind = action.kind();
        let index = set.proposals;
        let sig = s.send(&[ix::propose_guardian_action(me, &patient, index, action)])?;
        Ok(Output::new(
            json!({ "patient": patient.to_string(), "proposal": index, "kind": kind.name(), "approvals": 1, "threshold": set.threshold, "signature": sig.to_string() }),
            format!(
                "Proposed {} as proposal {index} for patient {patient} (1 of {} approvals)\nsignature: {sig}",
                kind.name(),
                set.threshold
            ),
        ))
    }
}
