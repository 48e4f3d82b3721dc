//! Highlighting: the query's matches marked (`<mark>`, HTML-escaped) in a hit's names and
//! in the best fragment of its description.

use std::ops::Range;

use tantivy::query::Query;
use tantivy::snippet::SnippetGenerator;
use tantivy::Searcher;

use super::Fields;
use crate::error::Result;
use truffle_wire::search::{Highlight, ProductDoc};

const NAME_SNIPPET_BYTES: usize = 2_000;
const DESCRIPTION_SNIPPET_BYTES: usize = 240;
const DESCRIPTION_FALLBACK_CHARS: usize = 80;

/// Highlights the query's terms in a hit's names and description.
pub(super) struct Highlighter {
    name_ko: SnippetGenerator,
    name_en: SnippetGenerator,
    description: SnippetGenerator,
}

impl Highlighter {
    /// Snippet generators for `query`'s terms in the names and the description.
    pub(super) fn new(
        searcher: &Searcher,
        query: &dyn Query,
        fields: &Fields,
    ) -> Result<Highlighter> {
        let make = |field, max| -> Result<SnippetGenerator> {
            let mut g = SnippetGenerator::create(searcher, query, field)?;
            g.set_max_num_chars(max);
            Ok(g)
        };
        Ok(Highlighter {
            name_ko: make(fields.name_ko, NAME_SNIPPET_BYTES)?,
            name_en: make(fields.name_en, NAME_SNIPPET_BYTES)?,
            description: make(fields.description, DESCRIPTION_SNIPPET_BYTES)?,
        })
    }

    /// The names and description of `doc`, escaped, with the matches marked.
    pub(super) fn highlight(&self, doc: &ProductDoc) -> Highlight {
        Highlight {
            name_ko: mark_whole(&self.name_ko, &doc.name_ko),
            name_en: mark_whole(&self.name_en, &doc.name_en),
            snippet: mark_fragment(&self.description, &doc.description),
        }
    }
}

/// The whole text, escaped, with the generator's matches marked.
fn mark_whole(generator: &SnippetGenerator, text: &str) -> String {
    let snippet = generator.snippet(text);
    let start = snippet.fragment_range().start;
    let ranges: Vec<Range<usize>> = snippet
        .highlighted()
        .iter()
        .map(|r| r.start + start..r.end + start)
        .collect();
    render_marked(text, &ranges)
}

/// The best fragment of the text, escaped, with its matches marked and "…" where the
/// text was cut; the beginning of the text when nothing matched.
fn mark_fragment(generator: &SnippetGenerator, text: &str) -> String {
    let snippet = generator.snippet(text);
    if snippet.is_empty() {
        return description_start(text);
    }
    let range = snippet.fragment_range();
    let mut out = String::new();
    if range.start > 0 {
        out.push('…');
    }
    out.push_str(&render_marked(snippet.fragment(), snippet.highlighted()));
    if range.end < text.trim_end().len() {
        out.push('…');
    }
    out
}

/// The beginning of the description, escaped: the snippet when nothing is highlighted.
pub(super) fn description_start(text: &str) -> String {
    let mut chars = text.char_indices();
    match chars.nth(DESCRIPTION_FALLBACK_CHARS) {
        Some((cut, _)) => format!("{}…", escape_html(&text[..cut])),
        None => escape_html(text),
    }
}

/// Escapes `text` and wraps the (possibly overlapping) byte `ranges` in `<mark>`.
fn render_marked(text: &str, ranges: &[Range<usize>]) -> String {
    let mut sorted: Vec<Range<usize>> = ranges
        .iter()
        .filter(|r| r.start < r.end && r.end <= text.len())
        .filter(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        .cloned()
        .collect();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            // Touching matches ("범고" + "고래") become one mark.
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(text.len() + merged.len() * 13);
    let mut at = 0;
    for r in merged {
        out.push_str(&escape_html(&text[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&text[r.clone()]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&escape_html(&text[at..]));
    out
}

/// Minimal HTML escaping of text content and attribute values.
pub(super) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_marks_and_escapes() {
        assert_eq!(
            render_marked("범고래 <b>", &[0..6, 3..9]),
            "<mark>범고래</mark> &lt;b&gt;"
        );
        assert_eq!(
            render_marked("Tom & Jerry's", &[0..3, 6..11]),
            "<mark>Tom</mark> &amp; <mark>Jerry</mark>&#x27;s"
        );
        // Ranges that are out of bounds or split a character are ignored.
        assert_eq!(render_marked("가나", &[1..3, 0..9]), "가나");
    }
}
