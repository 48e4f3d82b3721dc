//! What the index directory says about itself: the meta file naming the schema version
//! (so another version's index is emptied, and a foreign directory is refused), and the
//! commit payload carrying the indexed ledger height.

use std::fs;
use std::path::Path;

use super::{META_FILE, SCHEMA_VERSION};
use crate::error::{IndexError, Result};

const META_MAGIC: &str = "truffle-index";

/// The schema version the meta file names (0 if unreadable); `None` without a meta file.
pub(super) fn read_meta(dir: &Path) -> Result<Option<u32>> {
    let path = dir.join(META_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            text.lines()
                .find_map(|l| l.strip_prefix("schema_version="))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IndexError::io(path, e)),
    }
}

/// Writes the meta file for [`SCHEMA_VERSION`] (through a temporary file and a rename).
pub(super) fn write_meta(dir: &Path) -> Result<()> {
    let path = dir.join(META_FILE);
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let text = format!(
        "# Truffle product search index (derived from the ledger; safe to delete).\n\
         # The indexed ledger height is committed with the documents, in meta.json.\n\
         schema_version={SCHEMA_VERSION}\n"
    );
    fs::write(&tmp, text).map_err(|e| IndexError::io(&tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| IndexError::io(&path, e))
}

/// The commit payload recording the indexed height (`None`: must be rebuilt).
pub(super) fn format_payload(height: Option<u64>) -> String {
    match height {
        Some(h) => format!("{META_MAGIC} schema={SCHEMA_VERSION} height={h}"),
        None => format!("{META_MAGIC} schema={SCHEMA_VERSION} height=none"),
    }
}

/// The indexed height a commit payload records; `None` if absent or not ours.
pub(super) fn parse_payload(payload: Option<&str>) -> Option<u64> {
    let payload = payload?;
    let mut parts = payload.split_whitespace();
    if parts.next() != Some(META_MAGIC) {
        return None;
    }
    parts
        .find_map(|p| p.strip_prefix("height="))
        .and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip() {
        assert_eq!(parse_payload(Some(&format_payload(Some(42)))), Some(42));
        assert_eq!(parse_payload(Some(&format_payload(None))), None);
        assert_eq!(parse_payload(Some("something else height=3")), None);
        assert_eq!(parse_payload(None), None);
    }
}
