//! The node's resources stay bounded however many transactions it runs.
//! A slot per transaction leaves, in agave's accounts database, one storage
//! file per slot that last wrote a still-live account; without packing old
//! storages the process runs out of file descriptors (a 2,000-sequence model
//! run did, at slot 32,064). Here every transaction leaves a new live
//! account, the worst case, and the open files must level off.

use hdx_node::embedded::EmbeddedLedger;
use hdx_node::runtime::{ANCIENT_AFTER_SLOTS, CLEAN_EVERY_SLOTS, MAX_ANCIENT_STORAGES};
use solana_sdk::signature::{Keypair, Signer};

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[test]
fn open_files_level_off_when_every_transaction_leaves_a_new_account() {
    let ledger = EmbeddedLedger::quiet(&Keypair::new().pubkey()).unwrap();
    let before = open_files();
    let transactions = 6_000;
    let mut peak = 0;
    for i in 0..transactions {
        ledger.airdrop(&Keypair::new().pubkey(), 1_000_000).unwrap();
        if i % 500 == 499 {
            let now = open_files().saturating_sub(before);
            let rss = std::fs::read_to_string("/proc/self/status")
                .unwrap()
                .lines()
                .find(|l| l.starts_with("VmRSS"))
                .unwrap()
                .to_string();
            println!(
                "after {:>5} transactions: {now} more open files {rss}",
                i + 1
            );
            peak = peak.max(now);
        }
    }
    // Live storages: the slots not yet old enough to pack, those since the
    // last clean, and the ancient ones packing converges to (with slack: it
    // converges, it is not exact).
    let bound = (ANCIENT_AFTER_SLOTS + CLEAN_EVERY_SLOTS) as usize + 2 * MAX_ANCIENT_STORAGES;
    assert!(
        peak < bound,
        "{peak} more open files after {transactions} transactions (bound {bound})"
    );
}
