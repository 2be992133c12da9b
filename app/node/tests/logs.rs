//! Transaction logs read as a cluster's: one invoke line and one closing
//! line per call, with CPI depths as the runtime counts them, `msg!` output
//! as `Program log:` and events as `Program data:`. Anchor's TypeScript
//! event parser walks these lines as a stack and throws on an unbalanced
//! one, so this pins the exact lines.

use hdx_node::embedded::EmbeddedLedger;
use hdx_sdk::ix;
use hdx_sdk::transport::SendError;
use health_data_exchange::ID as PROGRAM;
use solana_sdk::signature::{Keypair, Signer};

const SYSTEM: &str = "11111111111111111111111111111111";

#[test]
fn a_cpi_logs_one_invoke_and_one_success_at_the_runtime_s_depth() {
    let authority = Keypair::new();
    let ledger = EmbeddedLedger::quiet(&authority.pubkey()).unwrap();
    let patient = Keypair::new();
    ledger.airdrop(&patient.pubkey(), 1_000_000_000).unwrap();
    let c = ledger.client();
    let receipt = c
        .send(&[ix::register_patient(patient.pubkey())], &patient, &[])
        .unwrap();
    // Natively `msg!` prints to stdout, which the node captures into
    // `Program log:` lines; under the test harness stdout is the harness's,
    // so those lines are left out here (runtime.rs tests their placement).
    let mut logs: Vec<String> = receipt
        .logs
        .iter()
        .filter(|l| !l.starts_with("Program log: "))
        .cloned()
        .collect();
    let data = logs
        .iter()
        .position(|l| l.starts_with("Program data: "))
        .expect("the PatientRegistered event");
    logs[data] = "Program data: <event>".into();
    let p = PROGRAM.to_string();
    assert_eq!(
        logs,
        [
            format!("Program {p} invoke [1]"),
            format!("Program {SYSTEM} invoke [2]"),
            format!("Program {SYSTEM} success"),
            format!("Program {SYSTEM} invoke [2]"),
            format!("Program {SYSTEM} success"),
            "Program data: <event>".into(),
            format!("Program {p} success"),
        ]
    );
}

#[test]
fn a_failed_instruction_logs_one_failed_line() {
    let authority = Keypair::new();
    let ledger = EmbeddedLedger::quiet(&authority.pubkey()).unwrap();
    let patient = Keypair::new();
    ledger.airdrop(&patient.pubkey(), 1_000_000_000).unwrap();
    let c = ledger.client();
    c.send(&[ix::register_patient(patient.pubkey())], &patient, &[])
        .unwrap();
    // Registering twice: the account exists, the program refuses.
    let tx = c
        .transaction(&[ix::register_patient(patient.pubkey())], &patient, &[])
        .unwrap();
    let Err(SendError::Failed { logs, .. }) = c.transport.send(&tx) else {
        panic!("a second registration must fail");
    };
    let p = PROGRAM.to_string();
    let invokes = logs.iter().filter(|l| l.contains(" invoke [")).count();
    let closes = logs
        .iter()
        .filter(|l| l.ends_with(" success") || l.contains(" failed"))
        .count();
    assert_eq!(invokes, closes, "{logs:#?}");
    assert_eq!(
        logs.first(),
        Some(&format!("Program {p} invoke [1]")),
        "{logs:#?}"
    );
    let last = logs.last().unwrap();
    assert!(
        last.starts_with(&format!("Program {p} failed: ")),
        "{logs:#?}"
    );
}
