//! `hdx bench fhir`: what the front door costs an EHR. A child `hdx serve`,
//! `hdx gateway` and `hdx fhir serve` on loopback; one lab whose patient's
//! record of 1 MiB is held by the gateway. Reads alternate between the two
//! paths, so both see the same machine: through the front door (a fresh
//! client assertion for a token, then `GET /Binary`: the access on-chain,
//! the gateway's release, the hash check, the bytes over HTTP) and directly
//! as `hdx fetch` reads (the access on-chain, then the gateway's release,
//! hash checked). Reported: reads per second and p50/p99 of each, and the
//! front door's p99 over the direct p99 (the issue asks at most 1.20).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hdx_fhir::ehr::EhrKey;
use hdx_sdk::codes::Purpose;
use serde::Serialize;
use serde_json::json;
use solana_sdk::signature::{write_keypair_file, Signer};

use super::gateway::{lab_with_record, Stage};
use super::percentile_ms;
use crate::served::FhirProcess;

#[derive(Debug, Clone)]
pub struct FhirBenchConfig {
    pub hdx: PathBuf,
    /// Reads through each path.
    pub reads: u64,
    /// Size of the record's data.
    pub bytes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub reads: u64,
    pub seconds: f64,
    pub reads_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FhirBench {
    pub record_bytes: usize,
    /// Token + Binary read through `hdx fhir serve`.
    pub front_door: Path,
    /// Access + gateway fetch, as `hdx fetch` does.
    pub direct: Path,
    /// Front door p99 / direct p99.
    pub p99_ratio: f64,
    /// At most 1.20.
    pub within_budget: bool,
}

fn summary(mut t: Vec<Duration>) -> Path {
    let seconds: f64 = t.iter().map(Duration::as_secs_f64).sum();
    t.sort();
    Path {
        reads: t.len() as u64,
        seconds,
        reads_per_second: t.len() as f64 / seconds.max(f64::MIN_POSITIVE),
        p50_ms: percentile_ms(&t, 50),
        p99_ms: percentile_ms(&t, 99),
    }
}

pub fn run(config: &FhirBenchConfig, progress: &mut dyn FnMut(&str)) -> anyhow::Result<FhirBench> {
    anyhow::ensure!(config.reads >= 1, "at least one read");
    let stage = Stage::start(&config.hdx, config.bytes)?;
    let Stage {
        dir,
        server,
        gateway,
        c,
        faucet,
        authority,
        g,
        ..
    } = &stage;
    let d = dir.path();
    let cast = lab_with_record(c, faucet, authority, g, 0, config.bytes)?;
    write_keypair_file(&cast.lab, d.join("lab.json")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ehr = EhrKey::generate("bench")?;
    std::fs::write(
        d.join("clients.json"),
        json!({ "clients": [{ "client_id": "ehr", "jwks": { "keys": [ehr.jwk()] } }] }).to_string(),
    )?;
    let door = FhirProcess::start(
        &config.hdx,
        d,
        &server.url,
        &d.join("lab.json"),
        &gateway.url,
        &d.join("clients.json"),
        &d.join("fhir"),
        &[],
    )?;
    progress(&format!(
        "ledger {}, gateway {}, front door {}: {} reads of {} bytes through each path, alternating",
        server.url, gateway.url, door.url, config.reads, config.bytes
    ));
    let http = reqwest::blocking::Client::new();
    let token_url = format!("{}/token", door.url);
    let binary = format!("{}/Binary/{}.0", door.url, cast.patient);
    let l = cast.lab.pubkey();
    let (mut front, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..config.reads {
        // Through the front door: sign in, then read.
        let t0 = Instant::now();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64;
        let assertion = ehr.assertion("ehr", &token_url, now, 240)?;
        let token: serde_json::Value = http
            .post(&token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "system/Binary.r"),
                ("client_assertion_type", hdx_fhir::smart::ASSERTION_TYPE),
                ("client_assertion", assertion.as_str()),
            ])
            .send()?
            .error_for_status()?
            .json()?;
        let bytes = http
            .get(&binary)
            .bearer_auth(token["access_token"].as_str().unwrap_or_default())
            .send()?
            .error_for_status()?
            .bytes()?;
        front.push(t0.elapsed());
        anyhow::ensure!(
            bytes.as_ref() == cast.data.as_slice(),
            "the front door's bytes differ"
        );

        // Directly, as `hdx fetch` reads.
        let t0 = Instant::now();
        let granted = c.access_record(&cast.lab, &l, &cast.patient, 0, Purpose::Treatment)?;
        let data = g.fetch(
            &cast.lab,
            &cast.patient,
            0,
            granted.sequence,
            &cast.hash,
            c.transport.unix_time()?,
        )?;
        direct.push(t0.elapsed());
        anyhow::ensure!(data == cast.data, "the gateway's bytes differ");
    }
    drop(door);
    let (front, direct) = (summary(front), summary(direct));
    let p99_ratio = front.p99_ms / direct.p99_ms.max(f64::MIN_POSITIVE);
    Ok(FhirBench {
        record_bytes: config.bytes,
        within_budget: p99_ratio <= 1.20,
        p99_ratio,
        front_door: front,
        direct,
    })
}

pub fn render(r: &FhirBench) -> String {
    let line = |name: &str, p: &Path| {
        format!(
            "{name:<36} {} reads, {:.1} reads/s  p50 {:.2} ms  p99 {:.2} ms\n",
            p.reads, p.reads_per_second, p.p50_ms, p.p99_ms
        )
    };
    format!(
        "The front door (loopback; one {} KiB record, reads alternating between the paths)\n{}{}\
         front door p99 / direct p99          {:.3} ({})\n",
        r.record_bytes / 1024,
        line("token + Binary via hdx fhir serve", &r.front_door),
        line("access + fetch (as hdx fetch)", &r.direct),
        r.p99_ratio,
        if r.within_budget {
            "within 1.20"
        } else {
            "OVER 1.20"
        },
    )
}
