//! `hdx serve` as a child process: what the serve benchmark measures and
//! the integration tests talk to. It binds a loopback port the OS picks; its
//! URLs are read from what it prints; dropping it kills it (SIGKILL).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct ServeProcess {
    pub child: Child,
    /// JSON-RPC over HTTP.
    pub url: String,
    /// PubSub over WebSocket (the next port).
    pub ws: String,
}

impl ServeProcess {
    /// Runs `HDX serve --bind 127.0.0.1:0 --ledger LEDGER -k KEYPAIR` with
    /// `home` as HOME, and waits until it prints its URLs.
    pub fn start(hdx: &Path, home: &Path, ledger: &Path, keypair: &Path) -> anyhow::Result<Self> {
        Self::start_with(hdx, home, ledger, Some(keypair)).map(|(s, _)| s)
    }

    /// [`ServeProcess::start`], with no `-k` when `keypair` is `None`;
    /// also returns what it printed before its URLs.
    pub fn start_with(
        hdx: &Path,
        home: &Path,
        ledger: &Path,
        keypair: Option<&Path>,
    ) -> anyhow::Result<(Self, Vec<String>)> {
        let mut command = Command::new(hdx);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--ledger"])
            .arg(ledger);
        if let Some(k) = keypair {
            command.arg("-k").arg(k);
        }
        let mut child = command
            .env("HOME", home)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {} serve: {e}", hdx.display()))?;
        let (mut url, mut ws) = (None, None);
        let mut said = Vec::new();
        let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
        for line in lines.by_ref() {
            let line = line?;
            if let Some(u) = line.strip_prefix("JSON-RPC: ") {
                url = Some(u.trim().to_string());
            }
            if let Some(u) = line.strip_prefix("PubSub:   ") {
                ws = Some(u.trim().to_string());
                break;
            }
            said.push(line);
        }
        // Keep reading its stderr: a closed pipe would fail its later writes.
        std::thread::spawn(move || lines.for_each(drop));
        match (url, ws) {
            (Some(url), Some(ws)) => Ok((Self { child, url, ws }, said)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("hdx serve did not start: {}", said.join("\n"))
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash: nothing runs in the server after this.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `hdx gateway` as a child process, reading the chain at `cluster`.
pub struct GatewayProcess {
    pub child: Child,
    /// The gateway's base URL.
    pub url: String,
}

impl GatewayProcess {
    /// Runs `HDX -u CLUSTER gateway --bind 127.0.0.1:0 --store STORE [EXTRA...]`
    /// with `home` as HOME, and waits until it prints its URL.
    pub fn start(
        hdx: &Path,
        home: &Path,
        cluster: &str,
        store: &Path,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(hdx);
        command
            .args(["-u", cluster, "gateway", "--bind", "127.0.0.1:0", "--store"])
            .arg(store)
            .args(extra)
            .env("HOME", home);
        let (child, url) = announced(command, "Gateway: ", "hdx gateway")?;
        Ok(Self { child, url })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `command` (stderr piped) and waits for the line starting with
/// `prefix` (its URL follows); the rest of stderr is drained.
fn announced(mut command: Command, prefix: &str, what: &str) -> anyhow::Result<(Child, String)> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {what}: {e}"))?;
    let mut url = None;
    let mut said = Vec::new();
    let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(u) = line.strip_prefix(prefix) {
            url = Some(u.trim().to_string());
            break;
        }
        said.push(line);
    }
    std::thread::spawn(move || lines.for_each(drop));
    match url {
        Some(url) => Ok((child, url)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("{what} did not start: {}", said.join("\n"))
        }
    }
}

/// `hdx fhir serve` as a child process (the provider's front door).
pub struct FhirProcess {
    pub child: Child,
    /// The front door's base URL.
    pub url: String,
}

impl FhirProcess {
    /// Runs `HDX -u CLUSTER fhir serve --bind 127.0.0.1:0 -k KEY --gateway G
    /// --clients FILE --store STORE [EXTRA...]` with `home` as HOME, and waits
    /// until it prints its URL.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        hdx: &Path,
        home: &Path,
        cluster: &str,
        key: &Path,
        gateway: &str,
        clients: &Path,
        store: &Path,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(hdx);
        command
            .args(["-u", cluster, "-k"])
            .arg(key)
            .args([
                "fhir",
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--gateway",
                gateway,
                "--clients",
            ])
            .arg(clients)
            .arg("--store")
            .arg(store)
            .args(extra)
            .env("HOME", home);
        let (child, url) = announced(command, "FHIR: ", "hdx fhir serve")?;
        Ok(Self { child, url })
    }
}

impl Drop for FhirProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
