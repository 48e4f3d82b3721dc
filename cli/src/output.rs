//! Printing results as text or JSON.

use serde::Serialize;

use crate::args::OutputFormat;

/// Prints `value` as pretty JSON, or as `text` for people.
pub(crate) fn print<T: Serialize>(format: OutputFormat, value: &T, text: impl FnOnce() -> String) {
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).expect("values serialize")
        ),
        OutputFormat::Text => println!("{}", text()),
    }
}
