//! `hdx keygen`: a new keypair file in the Solana CLI's format.

use std::path::PathBuf;

use serde_json::json;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

use crate::commands::Output;

/// Create a keypair file (Solana CLI format)
#[derive(clap::Args, Debug)]
pub struct Keygen {
    /// Where to write the keypair (a JSON array of 64 bytes; not overwritten without --force)
    #[arg(short = 'o', long)]
    outfile: PathBuf,
    /// Overwrite a keypair file that is there
    #[arg(long)]
    force: bool,
}

impl Keygen {
    /// Runs without a session: no cluster, no config needed.
    pub fn run(self) -> anyhow::Result<Output> {
        let outfile = self.outfile;
        if outfile.is_dir() {
            anyhow::bail!("{} is a directory: name a file", outfile.display());
        }
        anyhow::ensure!(
            self.force || !outfile.exists(),
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
}
