//! Emergency ("break-the-glass") access: the registry authority's policy; a
//! provider holding the emergency role opens a window for one patient with a
//! coded reason; inside it the provider reads records through the same log,
//! as emergency reads; the window expires with no transaction, or the
//! provider closes it, or the patient ends it; a cooldown follows; the
//! registry authority records a verdict on every window and the patient may
//! acknowledge it. The decision itself is `gate::decide_emergency`.

use anchor_lang::prelude::*;

use crate::codes::EndedBy;
use crate::emit_event;
use crate::error::HdxError;
use crate::events::EmergencyEnded;
use crate::state::{EmergencyTracker, EmergencyWindow};

pub mod acknowledge_emergency;
pub mod close_emergency;
pub mod emergency_access;
pub mod end_emergency;
pub mod open_emergency;
pub mod review_emergency;
pub mod set_emergency_policy;

pub use acknowledge_emergency::*;
pub use close_emergency::*;
pub use emergency_access::*;
pub use end_emergency::*;
pub use open_emergency::*;
pub use review_emergency::*;
pub use set_emergency_policy::*;

/// Ends an open window now (checks, then effects); the tracker's end moves
/// with it when it tracks this window. Shared by the provider's close and
/// the patient's end.
fn end_window(
    window: &mut EmergencyWindow,
    tracker: &mut EmergencyTracker,
    by: EndedBy,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    require!(window.is_open(now), HdxError::EmergencyWindowEnded);
    window.ended_at = now;
    window.ended_by = by;
    if tracker.last_window == window.index {
        tracker.last_ends_at = now;
    }
    emit_event!(EmergencyEnded {
        patient: window.patient,
        provider: window.provider,
        window: window.index,
        by,
        at: now,
    });
    Ok(())
}
