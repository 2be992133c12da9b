//! `hdx-migrate` against a temporary embedded ledger: initialises once,
//! then reports and changes nothing; refuses a mismatched Anchor.toml, a
//! different authority, and a signer that is not the upgrade authority.

use std::path::Path;
use std::process::Command;

use hdx_node::ledger::FileLedger;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

const MIGRATE: &str = env!("CARGO_BIN_EXE_hdx-migrate");
const ANCHOR_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../Anchor.toml");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn migrate(dir: &Path, keypair: &Path, args: &[&str]) -> Run {
    let out = Command::new(MIGRATE)
        .args(args)
        .arg("--ledger")
        .arg(dir.join("ledger"))
        .arg("-k")
        .arg(keypair)
        .env("HOME", dir)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn keypair(dir: &Path, name: &str) -> (Keypair, std::path::PathBuf) {
    let k = Keypair::new();
    let path = dir.join(format!("{name}.json"));
    write_keypair_file(&k, &path).unwrap();
    (k, path)
}

/// Every account, the transaction count and the slot of the ledger (`None` before there is one).
fn ledger(dir: &Path) -> Option<hdx_node::store::Snapshot> {
    hdx_node::store::Snapshot::of(&dir.join("ledger")).unwrap()
}

#[test]
fn migrate_initialises_once_then_reports_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (deployer, deployer_path) = keypair(dir, "deployer");
    let multisig = Keypair::new().pubkey().to_string();
    let args = [
        "--authority",
        multisig.as_str(),
        "--anchor-toml",
        ANCHOR_TOML,
    ];

    let first = migrate(dir, &deployer_path, &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first
            .stdout
            .contains("matches Anchor.toml [programs.localnet]"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains(&format!("registry initialised: authority {multisig}")),
        "{}",
        first.stdout
    );
    {
        let ledger = FileLedger::open(&dir.join("ledger"), None, 0).unwrap();
        assert_eq!(ledger.upgrade_authority(), deployer.pubkey());
        let registry = ledger.client().registry().unwrap();
        assert_eq!(registry.authority.to_string(), multisig);
        assert!(!registry.paused);
    }

    let before = ledger(dir);
    let second = migrate(dir, &deployer_path, &args);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains(&format!(
            "registry already initialised: authority {multisig}, paused: false; nothing to do"
        )),
        "{}",
        second.stdout
    );
    assert_eq!(ledger(dir), before, "a second run changes nothing");

    // A different authority is refused by name, changing nothing.
    let other = Keypair::new().pubkey().to_string();
    let third = migrate(
        dir,
        &deployer_path,
        &["--authority", &other, "--anchor-toml", ANCHOR_TOML],
    );
    assert_eq!(third.code, 1);
    assert!(
        third.stderr.contains(&format!(
            "already initialised with authority {multisig} (not {other}); nothing changed"
        )),
        "{}",
        third.stderr
    );
    assert_eq!(ledger(dir), before);
}

#[test]
fn migrate_refuses_a_mismatched_program_id_and_a_non_upgrade_authority() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (deployer, deployer_path) = keypair(dir, "deployer");
    let (stranger, stranger_path) = keypair(dir, "stranger");
    let authority = Keypair::new().pubkey().to_string();

    let wrong = dir.join("Anchor.toml");
    std::fs::write(
        &wrong,
        "[programs.localnet]\nhealth_data_exchange = \"11111111111111111111111111111111\"\n",
    )
    .unwrap();
    let r = migrate(
        dir,
        &deployer_path,
        &[
            "--authority",
            &authority,
            "--anchor-toml",
            wrong.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("[programs.localnet] names 11111111111111111111111111111111, but this build's declare_id! is 6Jco8RURhC98vmrQk818uFzSyozdBsKhsWk217imGFTN"), "{}", r.stderr);
    assert!(ledger(dir).is_none(), "nothing was created");

    // A ledger "deployed" by `deployer`: a stranger cannot initialise it.
    drop(FileLedger::open(&dir.join("ledger"), Some(&deployer.pubkey()), 0).unwrap());
    let before = ledger(dir);
    let r = migrate(
        dir,
        &stranger_path,
        &["--authority", &authority, "--anchor-toml", ANCHOR_TOML],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "the signer {} is not the program's upgrade authority ({})",
            stranger.pubkey(),
            deployer.pubkey()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(ledger(dir), before, "nothing was sent");
}
