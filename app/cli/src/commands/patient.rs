//! `hdx patient` and `hdx record`: the patient's account, its authority, and
//! its record pointers.

use super::{hex, parse_pubkey, signer_arg, table, Ctx, Output, PointerArgs};
use anchor_lang::prelude::Pubkey;
use clap::Subcommand;
use hdx_sdk::export::{day_date, rfc3339};
use hdx_sdk::ix;
use hdx_sdk::pda;
use hdx_sdk::program::state::Record;
use hdx_sdk::program::AddRecordArgs;
use hdx_sdk::transport::Transport;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum PatientCmd {
    /// Register the keypair as a patient: its key becomes the patient's id
    /// and first authority (opens the first audit-log page)
    Register,
    /// Show a patient [default: the one the keypair controls]
    Show {
        /// The patient's id
        #[arg(value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// Hand control of the patient to a new key (the new key co-signs; the
    /// current one is powerless from the next transaction on)
    RotateAuthority {
        /// The new authority's signer: a keypair file (or prompt://, usb://...)
        #[arg(long, value_name = "KEYPAIR")]
        new_authority: String,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// What the patient allows in an emergency: opt out altogether, or exclude
    /// categories (emergency access is allowed by default; changes apply from
    /// the next transaction)
    EmergencyPolicy {
        /// Refuse all emergency access
        #[arg(long, conflicts_with = "opt_in")]
        opt_out: bool,
        /// Allow emergency access again
        #[arg(long)]
        opt_in: bool,
        /// Categories emergency access may not read, comma-separated, or `none`
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
}

impl PatientCmd {
    /// Whether it sends a transaction (and so may create an embedded ledger).
    pub fn sends(&self) -> bool {
        !matches!(self, PatientCmd::Show { .. })
    }
}

#[derive(Subcommand, Debug)]
pub enum RecordCmd {
    /// Add a pointer to one of your records (nothing but the locator, hash,
    /// category and clinical date goes on-chain)
    Add {
        #[command(flatten)]
        pointer: PointerArgs,
        /// The patient's id [default: the one the keypair controls]
        #[arg(long, value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
    /// Upload a file to a data gateway (sealed there) and add the record pointing at it:
    /// its ipfs:// locator and content hash. Nothing goes on-chain if the upload fails.
    Upload(super::gateway::UploadArgs),
    /// List a patient's record pointers [default: the keypair's patient]
    List {
        /// The patient's id
        #[arg(value_parser = parse_pubkey)]
        patient: Option<Pubkey>,
    },
}

impl RecordCmd {
    /// Whether it sends a transaction (and so may create an embedded ledger).
    pub fn sends(&self) -> bool {
        matches!(self, RecordCmd::Add { .. } | RecordCmd::Upload(_))
    }
}

pub fn record_json(r: &Record) -> Value {
    json!({
        "index": r.index,
        "category": r.category.name(),
        "clinical_date": (r.clinical_day != 0).then(|| day_date(r.clinical_day)),
        "author": r.author.to_string(),
        "locator": String::from_utf8_lossy(&r.locator),
        "content_hash": hex(&r.content_hash),
        "created_at": rfc3339(r.created_at),
    })
}

pub fn patient(ctx: &Ctx, cmd: PatientCmd) -> anyhow::Result<Output> {
    let client = ctx.client()?;
    match cmd {
        PatientCmd::Register => {
            let me = ctx.pubkey()?;
            anyhow::ensure!(
                client
                    .fetch::<hdx_sdk::program::state::Patient>(&pda::patient(&me).0)?
                    .is_none(),
                "{me} is already registered as a patient"
            );
            let sig = ctx.send(&client, &[ix::register_patient(me)])?;
            Ok(Output::new(
                json!({ "patient": me.to_string(), "account": pda::patient(&me).0.to_string(), "signature": sig.to_string() }),
                format!("Registered patient {me}\nsignature: {sig}"),
            ))
        }
        PatientCmd::EmergencyPolicy {
            opt_out,
            opt_in,
            exclude,
            patient,
        } => super::emergency::preferences(ctx, &client, patient, opt_out, opt_in, exclude),
        PatientCmd::Show { patient } => {
            let p = match patient {
                Some(id) => client.patient(&id)?,
                None => ctx.my_patient(&client, None)?,
            };
            Ok(Output::new(
                json!({
                    "patient": p.id.to_string(),
                    "authority": p.authority.to_string(),
                    "account": pda::patient(&p.id).0.to_string(),
                    "records": p.record_count,
                    "log_pages": p.log_pages,
                    "consent_revisions": p.consent_revisions,
                    "registered_at": rfc3339(p.registered_at),
                }),
                format!(
                    "Patient {}\nauthority:  {}\nrecords:    {}\nlog pages:  {}\nregistered: {}",
                    p.id,
                    p.authority,
                    p.record_count,
                    p.log_pages,
                    rfc3339(p.registered_at)
                ),
            ))
        }
        PatientCmd::RotateAuthority {
            new_authority,
            patient,
        } => {
            let p = ctx.my_patient(&client, patient)?;
            let new = signer_arg(&new_authority, "new authority")?;
            let new_key = new.pubkey();
            anyhow::ensure!(
                new_key != p.authority,
                "{new_key} is already the patient's authority"
            );
            let sig = ctx.send_with(
                &client,
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
}

pub fn record(ctx: &Ctx, cmd: RecordCmd) -> anyhow::Result<Output> {
    match cmd {
        RecordCmd::Add { pointer, patient } => {
            let client = ctx.client()?;
            let pointer = pointer.resolve(client.transport.unix_time()?)?;
            let p = ctx.my_patient(&client, patient)?;
            let signer = ctx.payer(&client)?;
            let index = client.add_record(
                signer,
                &p.id,
                AddRecordArgs {
                    category: pointer.category,
                    clinical_day: pointer.clinical_day,
                    locator: pointer.locator,
                    content_hash: pointer.content_hash,
                },
            )?;
            Ok(Output::new(
                json!({ "patient": p.id.to_string(), "index": index, "category": pointer.category.name(), "content_hash": hex(&pointer.content_hash) }),
                format!("Added record {index} ({})", pointer.category.name()),
            ))
        }
        RecordCmd::Upload(a) => super::gateway::upload(ctx, a),
        RecordCmd::List { patient } => {
            let client = ctx.client()?;
            let id = match patient {
                Some(id) => id,
                None => ctx.my_patient(&client, None)?.id,
            };
            let records = client.records(&id)?;
            let rows: Vec<Vec<String>> = records
                .iter()
                .map(|r| {
                    vec![
                        r.index.to_string(),
                        r.category.name().to_string(),
                        if r.clinical_day == 0 {
                            "-".into()
                        } else {
                            day_date(r.clinical_day)
                        },
                        r.author.to_string(),
                        String::from_utf8_lossy(&r.locator).to_string(),
                        hex(&r.content_hash),
                    ]
                })
                .collect();
            Ok(Output::new(
                Value::Array(records.iter().map(record_json).collect()),
                if rows.is_empty() {
                    "no records".into()
                } else {
                    table(
                        &[
                            "index",
                            "category",
                            "clinical date",
                            "author",
                            "locator",
                            "content hash",
                        ],
                        &rows,
                    )
                },
            ))
        }
    }
}
