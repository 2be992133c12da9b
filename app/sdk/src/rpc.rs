//! An RPC cluster (devnet, mainnet, a local validator) behind [`Transport`],
//! through `solana-rpc-client`.

use base64::Engine;
use solana_account_decoder_client_types::{UiAccount, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as RpcClientError, ErrorKind};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp as RpcMemcmp, RpcFilterType};
use solana_rpc_client_api::request::{RpcError, RpcRequest, RpcResponseErrorData};
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::sysvar;
use solana_sdk::transaction::Transaction;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, UiTransactionEncoding,
};

use crate::transport::{
    ClusterError, Faucet, Landed, Memcmp, Receipt, SendError, Signed, Transport,
};

/// `getMultipleAccounts` takes at most 100 keys.
const MAX_MULTIPLE_ACCOUNTS: usize = 100;

pub struct RpcTransport {
    client: RpcClient,
    url: String,
}

impl RpcTransport {
    pub fn new(url: &str, commitment: CommitmentConfig) -> Self {
        Self {
            client: RpcClient::new_with_commitment(url.to_string(), commitment),
            url: url.to_string(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the cluster is at a loopback address (a local node or validator).
    pub fn is_loopback(&self) -> bool {
        let host = self
            .url
            .split("://")
            .nth(1)
            .unwrap_or(&self.url)
            .split(['/', '?'])
            .next()
            .unwrap_or_default();
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Account reads in plain base64 at this transport's commitment: the
    /// client's default (base64+zstd) makes the node compress every
    /// account and this side decompress it, which on a release path costs
    /// more than the bytes it saves.
    fn account_config(&self) -> RpcAccountInfoConfig {
        RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(self.client.commitment()),
            ..RpcAccountInfoConfig::default()
        }
    }

    /// The account `ui` says `address` holds; one that does not decode is
    /// an error here, not the client's panic.
    fn decoded(&self, address: &Pubkey, ui: UiAccount) -> Result<Account, ClusterError> {
        ui.decode::<Account>()
            .ok_or_else(|| self.malformed(format!("account {address} came back undecodable")))
    }

    fn malformed(&self, detail: impl std::fmt::Display) -> ClusterError {
        ClusterError::Malformed {
            url: self.url.clone(),
            detail: detail.to_string(),
        }
    }
}

impl Faucet for RpcTransport {
    /// `requestAirdrop` (a local validator's or `hdx serve`'s faucet, devnet's).
    fn fund(&self, wallet: &Pubkey, lamports: u64) -> Result<(), ClusterError> {
        let balance = self
            .client
            .get_balance(wallet)
            .map_err(|e| self.unreachable(e))?;
        if balance >= lamports / 10 {
            return Ok(());
        }
        let signature = self
            .client
            .request_airdrop(wallet, lamports)
            .map_err(|e| self.unreachable(e))?;
        // The airdrop is confirmed once its status is known.
        for _ in 0..100 {
            let status = self
                .client
                .get_signature_status(&signature)
                .map_err(|e| self.unreachable(e))?;
            match status {
                Some(Ok(())) => return Ok(()),
                Some(Err(e)) => {
                    return Err(ClusterError::Refused {
                        url: self.url.clone(),
                        detail: format!("the airdrop to {wallet} failed: {e}"),
                    })
                }
                None => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
        Err(ClusterError::Unreachable {
            url: self.url.clone(),
            detail: format!("the airdrop to {wallet} was not confirmed within 10 s"),
        })
    }
}

impl RpcTransport {
    fn unreachable(&self, e: RpcClientError) -> ClusterError {
        match e.kind() {
            ErrorKind::Reqwest(_) | ErrorKind::Io(_) => ClusterError::Unreachable {
                url: self.url.clone(),
                detail: e.to_string(),
            },
            _ => ClusterError::Refused {
                url: self.url.clone(),
                detail: e.to_string(),
            },
        }
    }

    /// Sends `tx` and waits until it is confirmed (at this transport's
    /// commitment) or can no longer land. The stock client's
    /// `send_and_confirm_transaction` also asks for the latest blockhash
    /// with every send (one more round trip) only to know how long to wait;
    /// the transaction's own blockhash says that: once it is no longer
    /// valid the transaction cannot land, and its status is read once more
    /// before giving up (it may have landed just before).
    fn send_and_confirm(&self, tx: &Transaction) -> Result<(), RpcClientError> {
        let signature = self.client.send_transaction(tx)?;
        let status = || {
            self.client
                .get_signature_status_with_commitment(&signature, self.client.commitment())
        };
        loop {
            if let Some(done) = status()? {
                return done.map_err(Into::into);
            }
            if !self
                .client
                .is_blockhash_valid(&tx.message.recent_blockhash, CommitmentConfig::processed())?
            {
                return match status()? {
                    Some(done) => done.map_err(Into::into),
                    None => Err(RpcError::ForUser(format!(
                        "transaction {signature} was not confirmed before its blockhash expired: it did not land"
                    ))
                    .into()),
                };
            }
            // As the stock client does: twice a second.
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }

    /// The landed transaction's logs and return data.
    fn receipt(&self, tx: &Transaction) -> Result<Receipt, ClusterError> {
        let signature = tx.signatures[0];
        let landed = self
            .client
            .get_transaction_with_config(
                &signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: Some(self.client.commitment()),
                    max_supported_transaction_version: Some(0),
                },
            )
            .map_err(|e| self.unreachable(e))?;
        let meta = landed
            .transaction
            .meta
            .ok_or_else(|| self.malformed("the transaction came back without its status"))?;
        let logs = match meta.log_messages {
            OptionSerializer::Some(logs) => logs,
            _ => Vec::new(),
        };
        let return_data = match meta.return_data {
            OptionSerializer::Some(r) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(r.data.0)
                    .map_err(|e| self.malformed(format!("return data is not base64: {e}")))?,
            ),
            _ => None,
        };
        Ok(Receipt {
            signature,
            logs,
            return_data,
        })
    }
}

impl Transport for RpcTransport {
    fn latest_blockhash(&self) -> Result<Hash, ClusterError> {
        self.client
            .get_latest_blockhash()
            .map_err(|e| self.unreachable(e))
    }

    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        match self.send_and_confirm(tx) {
            Ok(()) => Ok(self.receipt(tx)?),
            Err(e) => {
                // A preflight failure carries the simulation's error and logs.
                if let ErrorKind::RpcError(RpcError::RpcResponseError {
                    data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
                    ..
                }) = e.kind()
                {
                    if let Some(err) = sim.err.clone() {
                        return Err(SendError::Failed {
                            error: err.into(),
                            logs: sim.logs.clone().unwrap_or_default(),
                        });
                    }
                }
                match e.get_transaction_error() {
                    Some(error) => Err(SendError::Failed {
                        error,
                        logs: Vec::new(),
                    }),
                    None => Err(self.unreachable(e).into()),
                }
            }
        }
    }

    fn account(&self, address: &Pubkey) -> Result<Option<Account>, ClusterError> {
        // getMultipleAccounts keeps the transport error's kind (getAccountInfo's
        // client wrapper folds it into a not-found message).
        Ok(self.accounts(&[*address])?.pop().flatten())
    }

    fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Account>>, ClusterError> {
        let config = self.account_config();
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(MAX_MULTIPLE_ACCOUNTS) {
            let answered = self
                .client
                .get_multiple_ui_accounts_with_config(chunk, config.clone())
                .map_err(|e| self.unreachable(e))?
                .value;
            if answered.len() != chunk.len() {
                return Err(self.malformed(format!(
                    "getMultipleAccounts answered {} accounts for {}",
                    answered.len(),
                    chunk.len()
                )));
            }
            for (address, ui) in chunk.iter().zip(answered) {
                out.push(match ui {
                    None => None,
                    Some(ui) => Some(self.decoded(address, ui)?),
                });
            }
        }
        Ok(out)
    }

    fn program_accounts(&self, filters: &[Memcmp]) -> Result<Vec<(Pubkey, Account)>, ClusterError> {
        Ok(self.program_accounts_at(filters)?.1)
    }

    fn program_accounts_at(
        &self,
        filters: &[Memcmp],
    ) -> Result<(u64, Vec<(Pubkey, Account)>), ClusterError> {
        use solana_rpc_client_api::response::{OptionalContext, RpcKeyedAccount};
        let config = RpcProgramAccountsConfig {
            filters: Some(
                filters
                    .iter()
                    .map(|f| {
                        RpcFilterType::Memcmp(RpcMemcmp::new_base58_encoded(f.offset, &f.bytes))
                    })
                    .collect(),
            ),
            account_config: self.account_config(),
            with_context: Some(true),
            ..RpcProgramAccountsConfig::default()
        };
        let answer: OptionalContext<Vec<RpcKeyedAccount>> = self
            .client
            .send(
                RpcRequest::GetProgramAccounts,
                serde_json::json!([crate::PROGRAM_ID.to_string(), config]),
            )
            .map_err(|e| self.unreachable(e))?;
        let OptionalContext::Context(answer) = answer else {
            return Err(self.malformed("getProgramAccounts with withContext answered no slot"));
        };
        let accounts = answer
            .value
            .into_iter()
            .map(|keyed| {
                let key: Pubkey = keyed.pubkey.parse().map_err(|_| {
                    self.malformed(format!("getProgramAccounts named {:?}", keyed.pubkey))
                })?;
                Ok((key, self.decoded(&key, keyed.account)?))
            })
            .collect::<Result<Vec<_>, ClusterError>>()?;
        Ok((answer.context.slot, accounts))
    }

    fn unix_time(&self) -> Result<i64, ClusterError> {
        let account = self
            .account(&sysvar::clock::ID)?
            .ok_or_else(|| self.malformed("the cluster has no Clock sysvar"))?;
        let clock: Clock = bincode::deserialize(&account.data)
            .map_err(|e| self.malformed(format!("the Clock sysvar does not decode: {e}")))?;
        Ok(clock.unix_timestamp)
    }

    fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        limit: usize,
    ) -> Result<Vec<Signed>, ClusterError> {
        let found = self
            .client
            .get_signatures_for_address_with_config(
                address,
                GetConfirmedSignaturesForAddress2Config {
                    before: before.copied(),
                    until: None,
                    limit: Some(limit),
                    commitment: Some(self.client.commitment()),
                },
            )
            .map_err(|e| self.unreachable(e))?;
        found
            .into_iter()
            .map(|s| {
                Ok(Signed {
                    signature: s.signature.parse().map_err(|_| {
                        self.malformed(format!("a bad signature {:?}", s.signature))
                    })?,
                    slot: s.slot,
                    block_time: s.block_time,
                    succeeded: s.err.is_none(),
                })
            })
            .collect()
    }

    fn transaction(&self, signature: &Signature) -> Result<Option<Landed>, ClusterError> {
        // `null` for a signature the cluster does not know: an Option, not an error.
        let landed: Option<EncodedConfirmedTransactionWithStatusMeta> = self
            .client
            .send(
                RpcRequest::GetTransaction,
                serde_json::json!([
                    signature.to_string(),
                    RpcTransactionConfig {
                        encoding: Some(UiTransactionEncoding::Base64),
                        commitment: Some(self.client.commitment()),
                        max_supported_transaction_version: Some(0),
                    }
                ]),
            )
            .map_err(|e| self.unreachable(e))?;
        let Some(landed) = landed else {
            return Ok(None);
        };
        let meta = landed
            .transaction
            .meta
            .ok_or_else(|| self.malformed("the transaction came back without its status"))?;
        Ok(Some(Landed {
            signature: *signature,
            slot: landed.slot,
            block_time: landed.block_time,
            succeeded: meta.err.is_none(),
            logs: match meta.log_messages {
                OptionSerializer::Some(logs) => logs,
                _ => Vec::new(),
            },
        }))
    }

    fn minimum_balance(&self, data_len: usize) -> Result<u64, ClusterError> {
        self.client
            .get_minimum_balance_for_rent_exemption(data_len)
            .map_err(|e| self.unreachable(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// An RPC endpoint on loopback that answers every request with `result`
    /// (a hostile or broken cluster).
    fn answering(result: serde_json::Value) -> String {
        answering_by(move |_| result.clone())
    }

    /// An RPC endpoint on loopback that answers each request with what
    /// `result` makes of its method (at most 16 requests).
    fn answering_by(mut result: impl FnMut(&str) -> serde_json::Value + Send + 'static) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(16) {
                let Ok(mut stream) = stream else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body its Content-Length names.
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let asked: serde_json::Value = text
                    .find("\r\n\r\n")
                    .and_then(|end| serde_json::from_str(&text[end + 4..]).ok())
                    .unwrap_or_default();
                let method = asked["method"].as_str().unwrap_or_default().to_string();
                let id = asked["id"].clone();
                let body =
                    serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result(&method)})
                        .to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        url
    }

    fn account(data: &str) -> serde_json::Value {
        serde_json::json!({
            "lamports": 1, "data": [data, "base64"], "owner": Pubkey::default().to_string(),
            "executable": false, "rentEpoch": 0, "space": 3
        })
    }

    #[test]
    fn accounts_a_cluster_answers_wrongly_are_errors_that_say_so() {
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let context = serde_json::json!({"slot": 7});
        // Data that is not base64.
        let url =
            answering(serde_json::json!({"context": context, "value": [account("!!!"), null]}));
        let t = RpcTransport::new(&url, CommitmentConfig::confirmed());
        match t.accounts(&[a, b]) {
            Err(ClusterError::Malformed { detail, .. }) => {
                assert_eq!(detail, format!("account {a} came back undecodable"))
            }
            other => panic!("{other:?}"),
        }
        // One account for two asked.
        let url = answering(serde_json::json!({"context": context, "value": [account("AQID")]}));
        let t = RpcTransport::new(&url, CommitmentConfig::confirmed());
        match t.accounts(&[a, b]) {
            Err(ClusterError::Malformed { detail, .. }) => {
                assert_eq!(detail, "getMultipleAccounts answered 1 accounts for 2")
            }
            other => panic!("{other:?}"),
        }
        // A right answer decodes.
        let url =
            answering(serde_json::json!({"context": context, "value": [account("AQID"), null]}));
        let t = RpcTransport::new(&url, CommitmentConfig::confirmed());
        let got = t.accounts(&[a, b]).unwrap();
        assert_eq!(got[0].as_ref().map(|a| a.data.clone()), Some(vec![1, 2, 3]));
        assert!(got[1].is_none());
    }

    #[test]
    fn a_send_that_never_lands_ends_when_its_blockhash_expires_and_a_late_landing_counts() {
        use solana_sdk::signature::{Keypair, Signer};
        let payer = Keypair::new();
        let tx = Transaction::new_signed_with_payer(
            &[crate::ix::register_patient(payer.pubkey())],
            Some(&payer.pubkey()),
            &[&payer],
            Hash::new_unique(),
        );
        let signature = tx.signatures[0].to_string();
        let context = serde_json::json!({"slot": 7});
        // `landed_on_last_look`: the status read after the blockhash expired finds it.
        let fake = |landed_on_last_look: bool| {
            let (signature, context) = (signature.clone(), context.clone());
            let mut looks = 0;
            answering_by(move |method| match method {
                "sendTransaction" => serde_json::json!(signature),
                "getSignatureStatuses" => {
                    looks += 1;
                    let status = (landed_on_last_look && looks == 2).then(|| {
                        serde_json::json!({"slot": 7, "confirmations": null, "err": null,
                            "status": {"Ok": null}, "confirmationStatus": "confirmed"})
                    });
                    serde_json::json!({"context": context, "value": [status]})
                }
                "isBlockhashValid" => serde_json::json!({"context": context, "value": false}),
                _ => serde_json::Value::Null,
            })
        };
        let t = RpcTransport::new(&fake(false), CommitmentConfig::confirmed());
        let started = std::time::Instant::now();
        let e = t.send_and_confirm(&tx).unwrap_err();
        assert!(
            e.to_string().ends_with(&format!(
                "transaction {signature} was not confirmed before its blockhash expired: it did not land"
            )),
            "{e}"
        );
        // It did not wait out a blockhash that was already gone.
        assert!(started.elapsed() < std::time::Duration::from_millis(400));
        let t = RpcTransport::new(&fake(true), CommitmentConfig::confirmed());
        t.send_and_confirm(&tx).unwrap();
    }
}
