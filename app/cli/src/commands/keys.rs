//! `hdx keygen` and `hdx address`: a new user needs keys before anything else.

use std::path::PathBuf;

use serde_json::json;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

use super::{Ctx, Output};

/// Writes a new keypair file in the Solana CLI's format (a JSON byte array).
pub fn keygen(outfile: PathBuf, force: bool) -> anyhow::Result<Output> {
    anyhow::ensure!(
        force || !outfile.exists(),
        "{} already exists (pass --force to overwrite it)",
        outfile.display()
    );
    if let Some(dir) = outfile.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let keypair = Keypair::new();
    write_keypair_file(&keypair, &outfile)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", outfile.display()))?;
    Ok(Output::new(
        json!({ "pubkey": keypair.pubkey().to_string(), "outfile": outfile.display().to_string() }),
        format!(
            "Wrote new keypair to {}\npubkey: {}",
            outfile.display(),
            keypair.pubkey()
        ),
    ))
}

/// The signer's address.
pub fn address(ctx: &Ctx) -> anyhow::Result<Output> {
    let key = ctx.pubkey()?;
    Ok(Output::new(
        json!({ "pubkey": key.to_string() }),
        key.to_string(),
    ))
}
