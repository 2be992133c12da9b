//! Events from transaction logs. On SBF they appear as `Program data: <base64>`
//! (Anchor's `emit!`); natively as `Program log: hdx-event:<hex>` (see the
//! program's `native` module). Both decode to the same [`HdxEvent`].

use anchor_lang::{AnchorDeserialize, Discriminator};
use base64::Engine;
use health_data_exchange::events::*;
use health_data_exchange::native::EVENT_LOG_PREFIX;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HdxEvent {
    RegistryInitialized(RegistryInitialized),
    AuthorityProposed(AuthorityProposed),
    AuthorityAccepted(AuthorityAccepted),
    PausedSet(PausedSet),
    ProviderRegistered(ProviderRegistered),
    ProviderStatusChanged(ProviderStatusChanged),
    ProviderKeyRotated(ProviderKeyRotated),
    PatientRegistered(PatientRegistered),
    PatientAuthorityRotated(PatientAuthorityRotated),
    RecordAdded(RecordAdded),
    ConsentGranted(ConsentGranted),
    ConsentUpdated(ConsentUpdated),
    ConsentRenewed(ConsentRenewed),
    ConsentRevoked(ConsentRevoked),
    LogPageOpened(LogPageOpened),
    AccessRecorded(AccessRecorded),
}

fn decode_as<E: AnchorDeserialize + Discriminator>(bytes: &[u8]) -> Option<E> {
    let body = bytes.strip_prefix(E::DISCRIMINATOR)?;
    E::deserialize(&mut &body[..]).ok()
}

/// Decodes one event from its bytes (discriminator + borsh).
pub fn decode_event(bytes: &[u8]) -> Option<HdxEvent> {
    macro_rules! try_variants {
        ($($v:ident),*) => {
            $(if let Some(e) = decode_as::<$v>(bytes) { return Some(HdxEvent::$v(e)); })*
        };
    }
    try_variants!(
        RegistryInitialized,
        AuthorityProposed,
        AuthorityAccepted,
        PausedSet,
        ProviderRegistered,
        ProviderStatusChanged,
        ProviderKeyRotated,
        PatientRegistered,
        PatientAuthorityRotated,
        RecordAdded,
        ConsentGranted,
        ConsentUpdated,
        ConsentRenewed,
        ConsentRevoked,
        LogPageOpened,
        AccessRecorded
    );
    None
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Every event in a transaction's log lines, in order.
pub fn parse_logs(logs: &[String]) -> Vec<HdxEvent> {
    let native_prefix = format!("Program log: {EVENT_LOG_PREFIX}");
    logs.iter()
        .filter_map(|line| {
            let bytes = if let Some(hex) = line.strip_prefix(&native_prefix) {
                hex_decode(hex.trim())?
            } else if let Some(b64) = line.strip_prefix("Program data: ") {
                base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()?
            } else {
                return None;
            };
            decode_event(&bytes)
        })
        .collect()
}
