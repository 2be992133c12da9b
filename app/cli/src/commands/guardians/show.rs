//! `hdx guardians show`.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::rfc3339;
use hdx_sdk::program::state::{GuardianSet, Proposal};
use serde_json::json;

use super::proposal_json;
use crate::commands::args::parse_pubkey;
use crate::commands::output::table;
use crate::commands::{Output, Run, Session};

/// A patient's guardians and their proposals [default: the keypair's patient]
#[derive(clap::Args, Debug)]
pub struct Show {
    /// The patient's id
    #[arg(value_parser = parse_pubkey)]
    patient: Option<Pubkey>,
}

impl Run for Show {
    fn sends(&self) -> bool {
        false
    }

    fn run(self, s: &Session) -> anyhow::Result<Output> {
        let patient = self.patient;
        let client = s.client()?;
        let now = s.now()?;

        let id = match patient {
            Some(id) => id,
            None => s.my_patient(None)?.id,
        };
        let set: GuardianSet = client
            .fetch(&hdx_sdk::pda::guardian_set(&id).0)?
            .ok_or_else(|| anyhow::anyhow!("patient {id} has no guardians"))?;
        let proposals: Vec<Proposal> = (0..set.proposals)
            .filter_map(|i| client.fetch(&hdx_sdk::pda::proposal(&id, i).0).transpose())
            .collect::<Result<_, _>>()?;
        let guardians: Vec<String> = set.guardians[..set.count as usize]
            .iter()
            .map(|g| g.to_string())
            .collect();
        let rows: Vec<Vec<String>> = proposals
            .iter()
            .map(|p| {
                vec![
                    p.index.to_string(),
                    p.action.kind().name().into(),
                    format!("{}/{}", p.approval_count(), set.threshold),
                    if p.executed {
                        "executed".into()
                    } else if p.generation != set.generation {
                        "stale".into()
                    } else if now >= p.expires_at {
                        "expired".into()
                    } else {
                        format!("open until {}", rfc3339(p.expires_at))
                    },
                ]
            })
            .collect();
        let mut text = format!(
            "Guardians of patient {id}: {} of {}, {}\n{}",
            set.threshold,
            set.count,
            set.mode.name(),
            guardians.join("\n")
        );
        if !rows.is_empty() {
            text.push('\n');
            text.push_str(&table(&["proposal", "kind", "approvals", "state"], &rows));
        }
        Ok(Output::new(
            json!({
                "patient": id.to_string(),
                "mode": set.mode.name(),
                "threshold": set.threshold,
                "guardians": guardians,
                "generation": set.generation,
                "proposals": proposals.iter().map(|p| proposal_json(p, &set, now)).collect::<Vec<_>>(),
            }),
            text,
        ))
    }
}
