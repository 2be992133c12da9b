//! `hdx record`: a patient's record pointers.

use hdx_sdk::export::{day_date, rfc3339};
use hdx_sdk::program::state::Record;
use serde_json::{json, Value};

use crate::commands::output::hex;

pub mod add;
pub mod list;
pub mod upload;

crate::commands::group! {
    /// A patient's record pointers: add, upload (to a data gateway), list
    pub enum RecordCmd {
        Add(add::Add),
        Upload(upload::Upload),
        List(list::List),
    }
}

pub fn record_json(r: &Record) -> Value {
    json!({
        "index": r.index,
        "category": r.category.name(),
        "clinical_date": (r.clinical_day != 0).then(|| day_date(r.clinical_day)),
        "author": r.author.to_string(),
        "locator": String::from_utf8_lossy(&r.locator),
        "content_hash": hex(&r.content_hash),
        "created_at": rfc3339(r.created_at),
    })
}
