//! What a command prints: [`Output`] (a JSON value for `--output json`, text
//! otherwise), and the table and progress bar the text uses.

use serde_json::Value;

/// What a command prints: `json` with `--output json`, `text` otherwise;
/// a `raw` output (a CSV or FHIR export) is printed as is either way.
pub struct Output {
    pub json: Value,
    pub text: String,
    pub raw: bool,
}

impl Output {
    pub fn new(json: Value, text: impl Into<String>) -> Self {
        Self {
            json,
            text: text.into(),
            raw: false,
        }
    }

    pub fn raw(text: String) -> Self {
        Self {
            json: Value::Null,
            text,
            raw: true,
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    hdx::demo::hex(bytes)
}

/// `1 entry`, `2 entries`: the noun agrees with its number.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Left-aligned columns sized to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// A progress bar on a terminal's stderr; hidden when stderr is not a terminal.
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}")
            .expect("valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(0u32, "entry", "entries"), "0 entries");
        assert_eq!(count(1u32, "renewal", "renewals"), "1 renewal");
        assert_eq!(count(2u64, "renewal", "renewals"), "2 renewals");
    }
}
