//! `hdx audit`: a patient's accounting of disclosures, exported and verified.

use anchor_lang::prelude::Pubkey;
use hdx_sdk::export::{self, AuditRow, ExportError};

use crate::commands::output::progress;
use crate::commands::Session;

pub mod log;
pub mod verify;

crate::commands::group! {
    /// Auditors and patients: export a patient's log (table, JSON, CSV, FHIR); verify its hash chain
    pub enum AuditCmd {
        Log(log::Log),
        Verify(verify::Verify),
    }
}

/// Streams the patient's log through `each`, row by row (providers resolved,
/// each page checked against the chain as it is read), with a progress bar
/// on a terminal; returns the head and the entry count (the outer error: the
/// cluster could not be opened).
pub fn stream_rows(
    s: &Session,
    patient: &Pubkey,
    each: &mut dyn FnMut(AuditRow) -> Result<(), ExportError>,
) -> anyhow::Result<Result<([u8; 32], u64), ExportError>> {
    let client = s.client()?;
    let bar = progress(0, "reading log pages");
    let done = export::stream_rows(
        client,
        patient,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
        each,
    );
    bar.finish_and_clear();
    Ok(done)
}

/// A closed pipe (`hdx audit log ... | head`) ends the export quietly.
pub fn quiet_on_closed_pipe(r: Result<(), ExportError>) -> Result<(), ExportError> {
    match r {
        Err(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
