//! The `hdx` binary as a user runs it: a machine (its own HOME and
//! embedded ledger), keys, and a scene with every role. Shared by the binary
//! tests (`cli.rs`, `inputs.rs`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub const HDX: &str = env!("CARGO_BIN_EXE_hdx");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// A user's machine: its own HOME (so no Solana config unless a test writes
/// one) and its own embedded ledger directory.
pub struct Machine {
    pub dir: tempfile::TempDir,
}

pub struct Key {
    pub path: String,
    pub pubkey: String,
}

impl Machine {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Every account, the transaction count and the slot of the ledger
    /// directory (`None` before the first command creates it).
    pub fn ledger(&self) -> Option<hdx_node::store::Snapshot> {
        hdx_node::store::Snapshot::of(&self.path("ledger")).unwrap()
    }

    /// Runs `hdx ARGS --ledger DIR` as this machine's user.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(HDX)
            .args(args)
            .arg("--ledger")
            .arg(self.path("ledger"))
            .env("HOME", self.path("home"))
            .env_remove("RUST_BACKTRACE")
            .output()
            .expect("run hdx");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "hdx {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        self.ok(&all).json()
    }

    pub fn keygen(&self, name: &str) -> Key {
        let path = self.path(&format!("{name}.json")).display().to_string();
        let j = self.json(&["keygen", "--outfile", &path]);
        Key {
            path,
            pubkey: j["pubkey"].as_str().unwrap().to_string(),
        }
    }
}

pub const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
pub const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// The registry authority, a verified laboratory, a pending researcher and a
/// patient with record 0 (lab-results) and record 1 (imaging).
pub struct Scene {
    pub m: Machine,
    pub auth: Key,
    pub lab: Key,
    pub researcher: Key,
    pub patient: Key,
}

impl Scene {
    pub fn new() -> Self {
        let m = Machine::new();
        let auth = m.keygen("authority");
        let lab = m.keygen("lab");
        let researcher = m.keygen("researcher");
        let patient = m.keygen("patient");
        m.ok(&["registry", "init", "-k", &auth.path]);
        m.ok(&[
            "provider",
            "register",
            "--kind",
            "laboratory",
            "--credential-commitment",
            H1,
            "-k",
            &lab.path,
        ]);
        m.ok(&[
            "provider",
            "register",
            "--kind",
            "researcher",
            "--credential-commitment",
            H2,
            "-k",
            &researcher.path,
        ]);
        m.ok(&["provider", "verify", &lab.pubkey, "-k", &auth.path]);
        m.ok(&["patient", "register", "-k", &patient.path]);
        m.ok(&[
            "record",
            "add",
            "--category",
            "lab-results",
            "--locator",
            "vault://lab-0",
            "--content-hash",
            H1,
            "-k",
            &patient.path,
        ]);
        m.ok(&[
            "record",
            "add",
            "--category",
            "imaging",
            "--locator",
            "vault://img-1",
            "--content-hash",
            H2,
            "-k",
            &patient.path,
        ]);
        Scene {
            m,
            auth,
            lab,
            researcher,
            patient,
        }
    }

    pub fn as_patient(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["-k", &self.patient.path]);
        self.m.run(&all)
    }

    pub fn grant_lab(&self, extra: &[&str]) {
        let mut args = vec![
            "consent",
            "grant",
            &self.lab.pubkey,
            "--categories",
            "lab-results",
            "--modes",
            "read",
            "--purposes",
            "treatment",
            "--expires",
            "30d",
        ];
        args.extend(extra);
        let r = self.as_patient(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }

    /// `hdx access` as the lab, JSON output.
    pub fn lab_access(&self, record: &str, purpose: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "access",
            &self.patient.pubkey,
            record,
            "--purpose",
            purpose,
            "-k",
            &self.lab.path,
            "--output",
            "json",
        ];
        args.extend(extra);
        self.m.run(&args)
    }

    /// `hdx access` as the lab, which must be granted.
    pub fn lab_granted(&self, record: &str, purpose: &str) -> Value {
        let r = self.lab_access(record, purpose, &[]);
        assert_eq!(r.code, 0, "expected a grant:\n{}\n{}", r.stdout, r.stderr);
        r.json()
    }

    pub fn outcomes(&self) -> Vec<String> {
        self.m
            .json(&["audit", "log", &self.patient.pubkey])
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["outcome"].as_str().unwrap().to_string())
            .collect()
    }
}

pub fn assert_denied(r: &Run, reason: &str, sequence: u64) {
    assert_eq!(
        r.code, 3,
        "expected a denial, got:\n{}\n{}",
        r.stdout, r.stderr
    );
    let j = r.json();
    assert_eq!(j["outcome"], "Denied");
    assert_eq!(j["reason"], reason);
    assert_eq!(j["sequence"], sequence);
}
