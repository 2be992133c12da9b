//! The transaction options of every registry-authority command: send it,
//! or print it unsigned for a multisig to sign.

use anchor_lang::prelude::Pubkey;
use base64::Engine;
use serde_json::json;
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::transaction::Transaction;

use super::args::parse_pubkey;
use super::{Output, Session};

/// How an authority command prints its unsigned transaction instead of sending it.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum TxEncoding {
    Base58,
    Base64,
}

/// Flags of every authority command: send, or print the unsigned
/// transaction for a multisig to sign.
#[derive(clap::Args, Debug, Clone)]
pub struct TxOpts {
    /// Print the unsigned transaction (for multisig signing) instead of sending it
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub print_tx: Option<TxEncoding>,
    /// With --print-tx: the authority address that will sign (e.g. a multisig vault)
    /// [default: the keypair's address]
    #[arg(long, value_name = "PUBKEY", value_parser = parse_pubkey, requires = "print_tx")]
    pub authority: Option<Pubkey>,
}

impl TxOpts {
    /// Whether the command sends (printing an unsigned transaction does not).
    pub fn sends(&self) -> bool {
        self.print_tx.is_none()
    }

    /// The key that signs as authority.
    pub fn authority(&self, s: &Session) -> anyhow::Result<Pubkey> {
        match self.authority {
            Some(k) => Ok(k),
            None => s.pubkey(),
        }
    }

    /// Sends `ix` signed by the keypair, or prints it unsigned with `authority` as fee payer.
    pub fn submit(&self, s: &Session, ix: Instruction, done: &str) -> anyhow::Result<Output> {
        match self.print_tx {
            None => {
                let sig = s.send(&[ix])?;
                Ok(Output::new(
                    json!({ "signature": sig.to_string() }),
                    format!("{done}\nsignature: {sig}"),
                ))
            }
            Some(encoding) => {
                let payer = self.authority(s)?;
                let message = Message::new_with_blockhash(
                    &[ix],
                    Some(&payer),
                    &s.client()?.transport.latest_blockhash()?,
                );
                let bytes = bincode::serialize(&Transaction::new_unsigned(message))?;
                let (name, text) = match encoding {
                    TxEncoding::Base58 => ("base58", bs58::encode(bytes).into_string()),
                    TxEncoding::Base64 => (
                        "base64",
                        base64::engine::general_purpose::STANDARD.encode(bytes),
                    ),
                };
                Ok(Output::new(
                    json!({ "unsigned_transaction": text, "encoding": name, "fee_payer": payer.to_string() }),
                    text,
                ))
            }
        }
    }
}
