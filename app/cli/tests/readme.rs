//! The README's `hdx` session runs as written: every `$` line of its console
//! block, in order, in a fresh HOME, and each command prints what the README
//! shows (keys, signatures, hashes and times aside; `signature:` lines are
//! left out of the README). Twice: on the embedded default, and against
//! `hdx serve` through a Solana CLI config file naming its URL — so not one
//! character of the commands changes, and the RPC transport is tested
//! against a real node.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{Server, HDX};

/// One `$` command and the lines the README shows after it.
struct Step {
    command: String,
    expected: Vec<String>,
}

fn session() -> Vec<Step> {
    let steps = block("```console\n$ cargo build -p hdx");
    assert!(steps.len() > 15, "the session has {} commands", steps.len());
    steps
}

/// The `$` steps of the README's console block that starts with `opening`.
fn block(opening: &str) -> Vec<Step> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README.md");
    let start = readme.find(opening).expect("the README's session block");
    let block = &readme[start + "```console\n".len()..];
    let block = &block[..block.find("```").expect("the block ends")];
    let mut steps: Vec<Step> = Vec::new();
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: command.to_string(),
                expected: Vec::new(),
            });
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if let Some(step) = steps.last_mut() {
            step.expected.push(line.to_string());
        }
    }
    assert!(steps.len() >= 5, "the block has {} commands", steps.len());
    steps
}

/// Keys, signatures, hashes, times and column padding made comparable.
fn normalise(line: &str) -> String {
    line.split_whitespace()
        .map(|word| {
            let core = word.trim_matches(|c| "(),:".contains(c));
            let class = if core.len() == 64 && core.bytes().all(|b| b.is_ascii_hexdigit()) {
                "<hex>"
            } else if core.len() == 20 && core.as_bytes()[4] == b'-' && core.ends_with('Z') {
                "<time>"
            } else if (32..=88).contains(&core.len())
                && core
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() && !b"0OIl".contains(&b))
            {
                "<key>"
            } else {
                return word.to_string();
            };
            word.replacen(core, class, 1)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A fresh user: HOME, a PATH with `hdx` on it, and the session's shell variables.
struct User {
    dir: tempfile::TempDir,
}

impl User {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::os::unix::fs::symlink(HDX, dir.path().join("bin/hdx")).unwrap();
        std::fs::write(dir.path().join("vars"), "").unwrap();
        Self { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Runs one README line in bash (stderr with stdout, as a terminal shows
    /// them), keeping `$PATIENT` and `$LAB` for the next lines.
    fn run(&self, command: &str) -> Vec<String> {
        let vars = self.dir.path().join("vars");
        let keep = [
            "PATIENT",
            "LAB",
            "MUM",
            "DAD",
            "ADULT",
            "ER",
            "TOKEN",
            "RESEARCHER",
            "CUSTODIAN",
            "STUDY",
        ];
        let save: String = keep
            .iter()
            .map(|v| {
                format!(
                    "printf '{v}=%q\\n' \"${v}\" >> {vars}\n",
                    vars = vars.display()
                )
            })
            .collect();
        let script = format!(
            ". {vars}\n{{ {command}\n}} 2>&1\n: > {vars}\n{save}",
            vars = vars.display()
        );
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(self.dir.path())
            .env("HOME", self.home())
            .env("PATH", path)
            .env_remove("XDG_DATA_HOME")
            .env_remove("RUST_BACKTRACE")
            .output()
            .expect("bash runs");
        let home = self.home().display().to_string();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("signature: "))
            .map(|l| l.replace(&home, "/home/you"))
            .collect()
    }
}

fn run_session(served: bool) {
    let user = User::new();
    let mut server: Option<Server> = None;
    for (n, step) in session().into_iter().enumerate() {
        if step.command.starts_with("cargo build") {
            continue; // `hdx` is on the PATH already.
        }
        if served && server.is_none() && !step.command.contains("keygen") {
            // The README's keys exist: serve a ledger whose upgrade authority
            // is the authority's key, and point the Solana CLI config at it.
            let s = Server::start(
                &user.home(),
                &user.dir.path().join("served-ledger"),
                &user.home().join("hdx/authority.json"),
            );
            let config = user.home().join(".config/solana/cli");
            std::fs::create_dir_all(&config).unwrap();
            std::fs::write(
                config.join("config.yml"),
                format!(
                    "---\njson_rpc_url: \"{}\"\nwebsocket_url: \"\"\nkeypair_path: {}\naddress_labels: {{}}\ncommitment: confirmed\n",
                    s.url,
                    user.home().join("hdx/authority.json").display()
                ),
            )
            .unwrap();
            server = Some(s);
        }
        let actual = user.run(&step.command);
        let expected: Vec<String> = step.expected.iter().map(|l| normalise(l)).collect();
        let got: Vec<String> = actual.iter().map(|l| normalise(l)).collect();
        assert_eq!(
            got,
            expected,
            "README command {n} ({}) printed, on the {} cluster:\n{}",
            step.command,
            if served { "served" } else { "embedded" },
            actual.join("\n")
        );
    }
    // Where the state went: the served ledger, or the embedded default, never both.
    let embedded = user
        .home()
        .join(".local/share/hdx/embedded-ledger/ledger.sqlite3");
    let served_db = user.dir.path().join("served-ledger/ledger.sqlite3");
    assert_eq!(
        (embedded.exists(), served_db.exists()),
        (!served, served),
        "the session's state is on the {} cluster only",
        if served { "served" } else { "embedded" }
    );
    drop(server);
    // The session left what it says on disk: a verified JSON copy and a FHIR bundle.
    assert!(user.dir.path().join("disclosures.json").exists());
    let fhir = std::fs::read_to_string(user.dir.path().join("disclosures.fhir.json")).unwrap();
    assert!(fhir.contains("\"resourceType\": \"Bundle\""));
}

#[test]
fn the_readme_session_runs_as_written_on_the_embedded_ledger() {
    run_session(false);
}

#[test]
fn the_readme_session_runs_unchanged_against_hdx_serve() {
    run_session(true);
}

/// A README command that keeps running (`hdx serve`, `hdx gateway`): started
/// in the background; what it prints up to "Ctrl-C stops." is compared.
struct Background(std::process::Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl User {
    fn start(&self, command: &str) -> (Background, Vec<String>) {
        use std::io::BufRead;
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(format!("exec {command}"))
            .current_dir(self.dir.path())
            .env("HOME", self.home())
            .env("PATH", path)
            .env_remove("XDG_DATA_HOME")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("bash runs");
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let home = self.home().display().to_string();
        let mut said = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap().replace(&home, "/home/you");
            let last = line == "Ctrl-C stops." || line.ends_with("Ctrl-C stops.");
            said.push(line);
            if last {
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        (Background(child), said)
    }
}

/// "Sharing a record end to end": the three terminals, as written, with the
/// README's ports (8899/8900 for `hdx serve`, 8898 for the gateway).
#[test]
fn the_readme_sharing_session_runs_as_written() {
    for port in [8897, 8898, 8899, 8900] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} is in use: the README's sharing session needs 8897-8900 (stop a local validator, gateway or front door)"
        );
    }
    let user = User::new();
    let mut running = Vec::new();
    // Then "The EHR's front door", in the same terminals (port 8897 too).
    let steps = block("```console\n# Terminal 1: the chain")
        .into_iter()
        .chain(block("```console\n# Terminal 4: the EHR's client key"));
    for (n, step) in steps.enumerate() {
        let background = step.command.starts_with("hdx serve")
            || step.command.starts_with("hdx gateway")
            || step.command.starts_with("hdx -u l fhir serve");
        let actual = if background {
            let (child, said) = user.start(&step.command);
            running.push(child);
            said
        } else {
            user.run(&step.command)
        };
        let expected: Vec<String> = step.expected.iter().map(|l| normalise(l)).collect();
        let got: Vec<String> = actual.iter().map(|l| normalise(l)).collect();
        assert_eq!(
            got,
            expected,
            "README sharing command {n} ({}) printed:\n{}",
            step.command,
            actual.join("\n")
        );
    }
    assert_eq!(
        std::fs::read_to_string(user.dir.path().join("from-patient.txt")).unwrap(),
        "HbA1c 5.6 % (2026-11-20)\n"
    );
    drop(running);
}

/// A README session run as written on the embedded ledger, in a fresh HOME.
fn run_block(opening: &str, what: &str) {
    let user = User::new();
    for (n, step) in block(opening).into_iter().enumerate() {
        let actual = user.run(&step.command);
        let expected: Vec<String> = step.expected.iter().map(|l| normalise(l)).collect();
        let got: Vec<String> = actual.iter().map(|l| normalise(l)).collect();
        assert_eq!(
            got,
            expected,
            "README {what} command {n} ({}) printed:\n{}",
            step.command,
            actual.join("\n")
        );
    }
}

/// "Emergency access (break the glass)": the session as written.
#[test]
fn the_readme_emergency_session_runs_as_written() {
    run_block(
        "```console\n# An emergency department's system",
        "emergency",
    );
}

/// "Guardians (M of N), recovery, hand-over and automated renewal": the session as written, on
/// the embedded ledger.
#[test]
fn the_readme_guardians_session_runs_as_written() {
    run_block("```console\n# The child's key registers", "guardians");
}

/// "Research studies": the session as written, on the embedded ledger.
#[test]
fn the_readme_research_session_runs_as_written() {
    run_block("```console\n# A researcher's study", "research");
}

#[test]
fn normalising_keeps_what_matters() {
    assert_eq!(
        normalise(
            "Granted E6RcrNaGkUyWrNcnDp8afK7k2umRLCMgqhrDuqdRa2Zz until 2026-12-25T09:45:56Z"
        ),
        "Granted <key> until <time>"
    );
    assert_eq!(
        normalise(
            "0    2026-11-25T09:45:57Z  #0 E6Rcr7k2umRLCMgqhrDuqdRa2ZzAAAAAAAAAAAAA  read  #0"
        ),
        "0 <time> #0 <key> read #0"
    );
    assert_ne!(
        normalise("Denied: NoConsent (the attempt is logged as entry 4)"),
        normalise("Denied: Expired (the attempt is logged as entry 4)")
    );
    assert_ne!(normalise("exit 1"), normalise("exit 3"));
}
