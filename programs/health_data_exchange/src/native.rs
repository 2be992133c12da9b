//! Shims for running the program natively (solana-program-test, the embedded
//! ledger). Off SBF, anchor-lang 1.x drops `emit!` output and return data; the
//! test harness implements the `sol_log` and `sol_set_return_data` stubs, so
//! this module routes both through them. On SBF nothing here is compiled and
//! the program uses plain `emit!` and Anchor's own return data.

/// Prefix of an event line in native logs: `Program log: hdx-event:<hex of discriminator+borsh>`.
/// On SBF events appear as the usual `Program data: <base64>`.
pub const EVENT_LOG_PREFIX: &str = "hdx-event:";

/// Emits an event: `emit!` on SBF, a prefixed log line natively.
#[macro_export]
macro_rules! emit_event {
    ($event:expr) => {{
        #[cfg(target_os = "solana")]
        {
            anchor_lang::prelude::emit!($event);
        }
        #[cfg(not(target_os = "solana"))]
        {
            $crate::native::log_event(&$event);
        }
    }};
}

#[cfg(not(target_os = "solana"))]
pub fn log_event<E: anchor_lang::Event>(event: &E) {
    use std::fmt::Write;
    let data = event.data();
    let mut line = String::with_capacity(EVENT_LOG_PREFIX.len() + data.len() * 2);
    line.push_str(EVENT_LOG_PREFIX);
    for b in data {
        let _ = write!(line, "{b:02x}");
    }
    solana_sysvar::program_stubs::sol_log(&line);
}

/// Sets the instruction's return data natively (Anchor does it on SBF).
#[cfg(not(target_os = "solana"))]
pub fn set_return_data<T: anchor_lang::AnchorSerialize>(value: &T) {
    let mut bytes = Vec::with_capacity(256);
    if value.serialize(&mut bytes).is_ok() {
        solana_sysvar::program_stubs::sol_set_return_data(&bytes);
    }
}

#[cfg(target_os = "solana")]
#[inline(always)]
pub fn set_return_data<T>(_value: &T) {}
