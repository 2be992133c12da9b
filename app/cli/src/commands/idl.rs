//! `hdx idl [--check]`: regenerates `idl/health_data_exchange.json` from the
//! program's code (the builder `anchor idl build` uses), or checks that the
//! committed file matches it.

use std::path::PathBuf;

use anyhow::{bail, Context};

fn repo_root() -> PathBuf {
    // app/cli -> the repository root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("app/cli sits two levels below the root")
        .to_path_buf()
}

/// (developers) Regenerate idl/health_data_exchange.json, or check it is current
#[derive(clap::Args, Debug)]
pub struct Idl {
    /// Fail if the committed IDL differs from what the code generates
    #[arg(long)]
    check: bool,
}

impl Idl {
    /// Runs without a session: no cluster, no keys.
    pub fn run(self) -> anyhow::Result<super::Output> {
        generate(self.check)?;
        Ok(super::Output::new(serde_json::json!({ "ok": true }), ""))
    }
}

fn generate(check: bool) -> anyhow::Result<()> {
    // Under `cargo run` RUSTUP_TOOLCHAIN is set, and the builder would then ask
    // rustup to install that toolchain: build with the default one instead.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let root = repo_root();
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(root.join("programs/health_data_exchange"))
        .build()
        .context("building the IDL")?;
    let json = serde_json::to_string_pretty(&idl)? + "\n";
    let path = root.join("idl/health_data_exchange.json");
    if check {
        let committed = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if committed != json {
            bail!(
                "{} is out of date with the program: run `cargo run -p hdx -- idl` and commit it",
                path.display()
            );
        }
        println!("IDL up to date: {}", path.display());
    } else {
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
