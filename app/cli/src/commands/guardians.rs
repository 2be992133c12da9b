//! `hdx guardians` (the patient sets, shows or removes guardians) and
//! `hdx guardian` (a guardian proposes, approves, executes, revokes at once).

use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::codes::{Category, GuardianMode};
use hdx_sdk::export::rfc3339;
use hdx_sdk::ix;
use hdx_sdk::program::state::{GuardianSet, Proposal};
use hdx_sdk::program::{EmergencyPreferences, ProposalAction};
use hdx_sdk::transport::Transport;
use serde_json::{json, Value};

use super::consent::TermsArgs;
use super::{parse_pubkey, provider_named, signer_arg, table, Ctx, Output};

fn parse_mode(s: &str) -> Result<GuardianMode, String> {
    match s {
        "alone" => Ok(GuardianMode::Alone),
        "alongside" => Ok(GuardianMode::Alongside),
        "recovery-only" => Ok(GuardianMode::RecoveryOnly),
        _ => Err(format!(
            "{s:?} is not a guardian mode (alone, alongside, recovery-only)"
        )),
    }
}

#[derive(Subcommand, Debug)]
pub enum GuardiansCmd {
    /// (patient) Set your guardians: up to 5 keys, the approvals a proposal needs, and how they act
    Set {
        /// Guardian keys, comma-separated
        #[arg(long, value_delimiter = ',', value_parser = parse_pubkey, required = true)]
        guardian: Vec<Pubkey>,
        /// Approvals a proposal needs (M of N)
        #[arg(long)]
        threshold: u8,
        /// alone (a minor: your own key cannot act), alongside, or recovery-only
        #[arg(long, value_parser = parse_mode)]
        mode: GuardianMode,
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// (patient) Remove your guardians
    Remove {
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// A patient's guardians and their proposals [default: the keypair's patient]
    Show {
        #[arg(value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProposeCmd {
    /// Grant a provider a consent (its full terms)
    Grant {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Replace a consent's terms (flags not given keep their current value)
    Update {
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Move the patient's control to a new key (a lost wallet)
    Recover {
        #[arg(long, value_parser = parse_pubkey)]
        new_authority: Pubkey,
    },
    /// Hand control to the patient's own new key (a minor comes of age)
    HandOver {
        #[arg(long, value_parser = parse_pubkey)]
        new_authority: Pubkey,
        /// Keep the guardians, for recovery only (else they are removed)
        #[arg(long)]
        keep_for_recovery: bool,
    },
    /// Set the patient's emergency preferences (while guardians act alone, only
    /// they can); flags not given keep the current value
    EmergencyPreferences {
        /// Opt the patient out of emergency access altogether
        #[arg(long, conflicts_with = "opt_in")]
        opt_out: bool,
        /// Opt the patient back in
        #[arg(long)]
        opt_in: bool,
        /// Categories excluded from emergency access, comma-separated, or `none`
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum GuardianCmd {
    /// Propose for a patient (your approval counts)
    Propose {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        #[command(subcommand)]
        what: ProposeCmd,
    },
    /// Approve a proposal
    Approve {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        proposal: u32,
    },
    /// Execute a proposal that has its approvals (a recovery needs the new key: --new-key)
    Execute {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        proposal: u32,
        /// The new authority's signer, for a recovery or hand-over
        #[arg(long, value_name = "KEYPAIR")]
        new_key: Option<String>,
    },
    /// Revoke a patient's consent at once (any single guardian)
    Revoke {
        #[arg(value_parser = parse_pubkey)]
        patient: Pubkey,
        #[arg(value_parser = parse_pubkey)]
        provider: Pubkey,
    },
}

impl GuardiansCmd {
    pub fn sends(&self) -> bool {
        !matches!(self, GuardiansCmd::Show { .. })
    }
}

/// The provider a proposal names, and the new authority (what the CLI shows).
fn named(action: &ProposalAction) -> (Option<Pubkey>, Option<Pubkey>) {
    match action {
        ProposalAction::Grant { provider, .. } | ProposalAction::Update { provider, .. } => {
            (Some(*provider), None)
        }
        ProposalAction::Recover { new_authority }
        | ProposalAction::HandOver { new_authority, .. } => (None, Some(*new_authority)),
        ProposalAction::EmergencyPreferences { .. } => (None, None),
    }
}

fn proposal_json(p: &Proposal, set: &GuardianSet, now: i64) -> Value {
    let (provider, new_authority) = named(&p.action);
    json!({
        "proposal": p.index,
        "kind": p.action.kind().name(),
        "proposer": p.proposer.to_string(),
        "approvals": p.approval_count(),
        "threshold": set.threshold,
        "approved_by": (0..set.count as usize).filter(|i| p.approvals & (1 << i) != 0).map(|i| set.guardians[i].to_string()).collect::<Vec<_>>(),
        "executed": p.executed,
        "stale": p.generation != set.generation,
        "expired": now >= p.expires_at,
        "expires_at": rfc3339(p.expires_at),
        "provider": provider.map(|k| k.to_string()),
        "new_authority": new_authority.map(|k| k.to_string()),
    })
}

pub fn run_set(ctx: &Ctx, cmd: GuardiansCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    let now = client.transport.unix_time()?;
    match cmd {
        GuardiansCmd::Set {
            guardian,
            threshold,
            mode,
            patient,
        } => {
            let p = ctx.my_patient(&client, patient)?;
            anyhow::ensure!(
                (1..=5).contains(&guardian.len()),
                "give 1 to 5 guardians (you gave {})",
                guardian.len()
            );
            anyhow::ensure!(
                (1..=guardian.len()).contains(&(threshold as usize)),
                "the threshold must be between 1 and the number of guardians ({})",
                guardian.len()
            );
            let n = guardian.len();
            let sig = ctx.send(
                &client,
                &[ix::set_guardians(
                    p.authority,
                    &p.id,
                    guardian.clone(),
                    threshold,
                    mode,
                )],
            )?;
            Ok(Output::new(
                json!({ "patient": p.id.to_string(), "guardians": guardian.iter().map(|g| g.to_string()).collect::<Vec<_>>(), "threshold": threshold, "mode": mode.name(), "signature": sig.to_string() }),
                format!(
                    "Guardians set: {threshold} of {n}, {}\nsignature: {sig}",
                    mode.name()
                ),
            ))
        }
        GuardiansCmd::Remove { patient } => {
            let p = ctx.my_patient(&client, patient)?;
            let sig = ctx.send(
                &client,
                &[ix::set_guardians(
                    p.authority,
                    &p.id,
                    vec![],
                    0,
                    GuardianMode::None,
                )],
            )?;
            Ok(Output::new(
                json!({ "patient": p.id.to_string(), "signature": sig.to_string() }),
                format!("Guardians removed\nsignature: {sig}"),
            ))
        }
        GuardiansCmd::Show { patient } => {
            let id = match patient {
                Some(id) => id,
                None => ctx.my_patient(&client, None)?.id,
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
}

pub fn run(ctx: &Ctx, cmd: GuardianCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    let now = client.transport.unix_time()?;
    let me = ctx.pubkey()?;
    let set_of = |patient: &Pubkey| -> anyhow::Result<GuardianSet> {
        client
            .fetch::<GuardianSet>(&hdx_sdk::pda::guardian_set(patient).0)?
            .ok_or_else(|| anyhow::anyhow!("patient {patient} has no guardians"))
    };
    match cmd {
        GuardianCmd::Propose { patient, what } => {
            let set = set_of(&patient)?;
            anyhow::ensure!(
                set.position(&me).is_some(),
                "{me} is not one of patient {patient}'s guardians"
            );
            let action = match what {
                ProposeCmd::Grant { provider, terms } => {
                    let provider = provider_named(&client, &provider)?;
                    ProposalAction::Grant {
                        provider: provider.id,
                        terms: terms.resolve(None, now)?,
                    }
                }
                ProposeCmd::Update { provider, terms } => {
                    let provider = provider_named(&client, &provider)?;
                    let current = client.consent(&patient, &provider.id)?.ok_or_else(|| {
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
                ProposeCmd::EmergencyPreferences {
                    opt_out,
                    opt_in,
                    exclude,
                } => {
                    let current = client.patient(&patient)?.emergency;
                    let excluded = if exclude.is_empty() {
                        current.excluded
                    } else if exclude == ["none"] {
                        0
                    } else {
                        exclude.iter().try_fold(0u16, |m, c| {
                            super::parse_category(c)
                                .map(|c: Category| m | c.bit())
                                .map_err(|e| anyhow::anyhow!(e))
                        })?
                    };
                    ProposalAction::EmergencyPreferences {
                        preferences: EmergencyPreferences {
                            opt_out: match (opt_out, opt_in) {
                                (true, _) => true,
                                (_, true) => false,
                                _ => current.opt_out,
                            },
                            excluded,
                        },
                    }
                }
            };
            let kind = action.kind();
            let index = set.proposals;
            let sig = ctx.send(
                &client,
                &[ix::propose_guardian_action(me, &patient, index, action)],
            )?;
            Ok(Output::new(
                json!({ "patient": patient.to_string(), "proposal": index, "kind": kind.name(), "approvals": 1, "threshold": set.threshold, "signature": sig.to_string() }),
                format!(
                    "Proposed {} as proposal {index} for patient {patient} (1 of {} approvals)\nsignature: {sig}",
                    kind.name(),
                    set.threshold
                ),
            ))
        }
        GuardianCmd::Approve { patient, proposal } => {
            let set = set_of(&patient)?;
            let sig = ctx.send(
                &client,
                &[ix::approve_guardian_action(me, &patient, proposal)],
            )?;
            let p: Proposal = client
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
        GuardianCmd::Execute {
            patient,
            proposal,
            new_key,
        } => {
            let p: Proposal = client
                .fetch(&hdx_sdk::pda::proposal(&patient, proposal).0)?
                .ok_or_else(|| anyhow::anyhow!("patient {patient} has no proposal {proposal}"))?;
            let kind = p.action.kind();
            let sig = match p.action {
                ProposalAction::Grant { provider, .. } => ctx.send(
                    &client,
                    &[ix::execute_guardian_grant(
                        me, &patient, proposal, &provider,
                    )],
                )?,
                ProposalAction::Update { provider, .. } => ctx.send(
                    &client,
                    &[ix::execute_guardian_update(
                        me, &patient, proposal, &provider,
                    )],
                )?,
                ProposalAction::EmergencyPreferences { .. } => ctx.send(
                    &client,
                    &[ix::execute_guardian_preferences(me, &patient, proposal)],
                )?,
                ProposalAction::Recover { new_authority }
                | ProposalAction::HandOver { new_authority, .. } => {
                    let source = new_key.ok_or_else(|| {
                        anyhow::anyhow!(
                            "a {} needs the new key's signature: --new-key KEYPAIR",
                            kind.name()
                        )
                    })?;
                    let new = signer_arg(&source, "new key")?;
                    anyhow::ensure!(
                        new.pubkey() == new_authority,
                        "the proposal names {} as the new authority, not {}",
                        new_authority,
                        new.pubkey()
                    );
                    ctx.send_with(
                        &client,
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
        GuardianCmd::Revoke { patient, provider } => {
            let provider = provider_named(&client, &provider)?;
            let authority = client.patient(&patient)?.authority;
            let sig = ctx.send(
                &client,
                &[ix::guardian_revoke_consent(
                    me,
                    &patient,
                    &provider.id,
                    authority,
                )],
            )?;
            Ok(Output::new(
                json!({ "patient": patient.to_string(), "provider": provider.id.to_string(), "signature": sig.to_string() }),
                format!(
                    "Revoked the consent for {} of patient {patient}\nsignature: {sig}",
                    provider.id
                ),
            ))
        }
    }
}
