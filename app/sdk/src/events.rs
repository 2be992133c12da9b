//! Events from transaction logs. On SBF they appear as `Program data: <base64>`
//! (Anchor's `emit!`); natively as `Program log: hdx-event:<hex>` (see the
//! program's `native` module). Both decode to the same [`HdxEvent`].

use anchor_lang::prelude::Pubkey;
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
    EmergencyPolicySet(EmergencyPolicySet),
    ProviderRolesChanged(ProviderRolesChanged),
    EmergencyPreferencesSet(EmergencyPreferencesSet),
    EmergencyOpened(EmergencyOpened),
    EmergencyEnded(EmergencyEnded),
    EmergencyReviewed(EmergencyReviewed),
    EmergencyAcknowledged(EmergencyAcknowledged),
    GuardiansSet(GuardiansSet),
    ProposalCreated(ProposalCreated),
    ProposalApproved(ProposalApproved),
    ProposalExecuted(ProposalExecuted),
    HandedOver(HandedOver),
    CredentialPolicySet(CredentialPolicySet),
    ProviderAttested(ProviderAttested),
    ProviderLapsed(ProviderLapsed),
    DirectoryPublished(DirectoryPublished),
    StudyCreated(StudyCreated),
    StudyApproved(StudyApproved),
    StudyClosed(StudyClosed),
    StudyEnrolled(StudyEnrolled),
    StudyWithdrawn(StudyWithdrawn),
    StudyReleaseRecorded(StudyReleaseRecorded),
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
        AccessRecorded,
        EmergencyPolicySet,
        ProviderRolesChanged,
        EmergencyPreferencesSet,
        EmergencyOpened,
        EmergencyEnded,
        EmergencyReviewed,
        EmergencyAcknowledged,
        GuardiansSet,
        ProposalCreated,
        ProposalApproved,
        ProposalExecuted,
        HandedOver,
        CredentialPolicySet,
        ProviderAttested,
        ProviderLapsed,
        DirectoryPublished,
        StudyCreated,
        StudyApproved,
        StudyClosed,
        StudyEnrolled,
        StudyWithdrawn,
        StudyReleaseRecorded
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

/// The program a runtime line (`Program <id> invoke [n]`, `... success`,
/// `... failed: ...`) is about, and whether it opens (`true`) or closes a call.
fn frame_line(line: &str) -> Option<(Pubkey, bool)> {
    let (id, tail) = line.strip_prefix("Program ")?.split_once(' ')?;
    // "Program log: ..." and "Program data: ..." name no program.
    let id: Pubkey = id.parse().ok()?;
    if tail.starts_with("invoke [") {
        Some((id, true))
    } else if tail == "success" || tail.starts_with("failed") {
        Some((id, false))
    } else {
        None
    }
}

/// Every event this program emitted in a transaction's log lines, in order.
/// Only lines written while this program is the one running count: another
/// program in the same transaction can write any `Program data:` line it
/// likes, but not inside this program's frame.
pub fn parse_logs(logs: &[String]) -> Vec<HdxEvent> {
    let native_prefix = format!("Program log: {EVENT_LOG_PREFIX}");
    let mut frames: Vec<Pubkey> = Vec::new();
    let mut events = Vec::new();
    for line in logs {
        if let Some((program, opens)) = frame_line(line) {
            if opens {
                frames.push(program);
            } else {
                frames.pop();
            }
            continue;
        }
        if frames.last() != Some(&crate::PROGRAM_ID) {
            continue;
        }
        let bytes = if let Some(hex) = line.strip_prefix(&native_prefix) {
            hex_decode(hex.trim())
        } else if let Some(b64) = line.strip_prefix("Program data: ") {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        } else {
            None
        };
        if let Some(event) = bytes.as_deref().and_then(decode_event) {
            events.push(event);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::Event;
    use health_data_exchange::state::ConsentTerms;

    fn granted() -> ConsentGranted {
        ConsentGranted {
            patient: Pubkey::new_unique(),
            provider: Pubkey::new_unique(),
            revision: 1,
            terms: ConsentTerms::default(),
            actor: health_data_exchange::codes::Actor::Patient,
            signer: Pubkey::new_unique(),
            proposal: None,
            at: 1,
        }
    }

    fn data_line(e: &ConsentGranted) -> String {
        format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(e.data())
        )
    }

    #[test]
    fn only_lines_inside_this_programs_frame_are_its_events() {
        let real = granted();
        let forged = ConsentGranted {
            revision: 9,
            ..granted()
        };
        let us = crate::PROGRAM_ID.to_string();
        let other = Pubkey::new_unique().to_string();
        let logs = vec![
            // Another program writes a perfect copy of our event's bytes.
            format!("Program {other} invoke [1]"),
            data_line(&forged),
            // It also logs text that looks like runtime lines: not a frame.
            "Program log: success".to_string(),
            format!("Program {other} success"),
            // Ours, with a CPI to the system program inside.
            format!("Program {us} invoke [1]"),
            "Program 11111111111111111111111111111111 invoke [2]".to_string(),
            data_line(&forged),
            "Program 11111111111111111111111111111111 success".to_string(),
            data_line(&real),
            format!("Program {us} success"),
            // After our frame closed.
            data_line(&forged),
        ];
        assert_eq!(parse_logs(&logs), [HdxEvent::ConsentGranted(real)]);
    }
}
