//! Entry point of the skill-payload fuzz target (`fuzz/fuzz_targets/kakao_skill.rs`),
//! kept here so that its saved corpus replays as an ordinary test on stable.

use crate::data::{Term, Vocabulary};
use crate::{parse_payload, read_search, route, Command};

/// Reads a webhook body as Kakao would send it, routes it, and reads a search's filters
/// against a small vocabulary: none of it may panic, whatever the bytes.
pub fn skill_payload(body: &[u8]) {
    let Ok(payload) = parse_payload(body) else {
        return;
    };
    let _ = payload.user_key();
    let _ = payload.callback_url();
    if let Command::Search { query, .. } = route(&payload) {
        let vocabulary = Vocabulary {
            brands: vec![Term {
                key: "nike".into(),
                spellings: vec!["나이키".into(), "Nike".into()],
            }],
            categories: vec![Term {
                key: "sneakers".into(),
                spellings: vec!["스니커즈".into(), "운동화".into()],
            }],
        };
        let read = read_search(&query, &vocabulary);
        let _ = read.summary();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_corpus_replays() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/kakao_skill");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            skill_payload(&std::fs::read(entry.unwrap().path()).unwrap());
            count += 1;
        }
        assert!(count >= 10, "the corpus is saved: {count} files");
    }
}
