//! Text rules: sentences, the scopes that block a claim, pattern matches and their evidence.

use regex::Regex;

use super::answers::{self, RestatedPair};
use super::context::{blocked_ranges, is_blocked};

/// Longest evidence text, in characters (including any "…").
pub(super) const MAX_EVIDENCE_CHARS: usize = 300;

/// Characters of context kept before a match when a long sentence has to be cut around it.
const CONTEXT_BEFORE_MATCH: usize = 60;

/// One sentence of a text, with the byte ranges (relative to the sentence) under a negation or
/// hypothetical scope.
#[derive(Debug)]
pub(super) struct Sentence<'t> {
    /// Byte offset of the sentence in its text.
    pub start: usize,
    /// The sentence, untrimmed.
    pub text: &'t str,
    /// Ranges (relative to `text`) in which a claim is not asserted.
    pub blocked: Vec<(usize, usize)>,
}

impl Sentence<'_> {
    /// True when a claim starting at byte `pos` (relative to the sentence) is asserted.
    pub fn asserts_at(&self, pos: usize) -> bool {
        !is_blocked(&self.blocked, pos)
    }
}

/// A text split into sentences, analysed once for every rule.
#[derive(Debug)]
pub(super) struct AnalysedText<'t> {
    pub text: &'t str,
    pub sentences: Vec<Sentence<'t>>,
    /// Rhetorical questions with their short answers, restated as claims ("Side effects? None.").
    pub pairs: Vec<RestatedPair>,
    /// True when the text cites a DOI, PMID, PMC or NCT id.
    pub cited: bool,
}

impl<'t> AnalysedText<'t> {
    pub fn new(text: &'t str, citation: &Regex) -> AnalysedText<'t> {
        let sentences: Vec<Sentence> = sentence_spans(text)
            .into_iter()
            .map(|(s, e)| {
                let sentence = text.get(s..e).unwrap_or_default();
                Sentence {
                    start: s,
                    text: sentence,
                    blocked: blocked_ranges(sentence),
                }
            })
            .collect();
        AnalysedText {
            text,
            pairs: answers::restate(&sentences.iter().map(|s| (s.start, s.text)).collect::<Vec<_>>()),
            sentences,
            cited: citation.is_match(text),
        }
    }
}

/// Byte spans of the sentences of `text`: a sentence ends at `.`, `!` or `?` followed by
/// whitespace (the mark stays in the sentence), or at a newline.
fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = match c {
            '\n' => Some((i, i + 1)),
            '.' | '!' | '?' => match chars.peek() {
                Some(&(_, next)) if next.is_whitespace() => Some((i + 1, i + 1)),
                _ => None,
            },
            _ => None,
        };
        if let Some((end, next_start)) = boundary {
            spans.push((start, end));
            start = next_start;
        }
    }
    spans.push((start, text.len()));
    spans
}

/// Byte range of the sentence holding byte offset `pos`.
#[cfg(test)]
pub(super) fn sentence_bounds(text: &str, pos: usize) -> (usize, usize) {
    let spans = sentence_spans(text);
    spans
        .iter()
        .find(|&&(_, e)| pos < e)
        .or(spans.last())
        .copied()
        .unwrap_or((0, text.len()))
}

/// A rule's compiled patterns: triggers, and exceptions (patterns written with a leading `!`).
#[derive(Debug, Clone, Default)]
pub(super) struct CompiledPatterns {
    pub triggers: Vec<Regex>,
    pub exceptions: Vec<Regex>,
}

/// Earliest asserted match `(start, end)` (byte offsets in the text) of `patterns` in `text`,
/// skipping sentences that hold an exception; failing that, the first restated question and answer
/// that matches, as the span of the pair.
pub(super) fn first_match(patterns: &CompiledPatterns, text: &AnalysedText) -> Option<(usize, usize)> {
    let in_sentences = text.sentences.iter().find_map(|sentence| {
        earliest_asserted(patterns, sentence.text, |pos| sentence.asserts_at(pos))
            .map(|(start, end)| (sentence.start + start, sentence.start + end))
    });
    in_sentences.or_else(|| {
        text.pairs
            .iter()
            .find(|pair| {
                let written = text.text.get(pair.start..pair.end).unwrap_or_default();
                !patterns.exceptions.iter().any(|re| re.is_match(written))
                    && earliest_asserted(patterns, &pair.text, |pos| pair.asserts_at(pos)).is_some()
            })
            .map(|pair| (pair.start, pair.end))
    })
}

/// Earliest match `(start, end)` (byte offsets in `sentence`) of a trigger at a position
/// `asserted` accepts; none when an exception matches the sentence.
fn earliest_asserted(
    patterns: &CompiledPatterns,
    sentence: &str,
    asserted: impl Fn(usize) -> bool,
) -> Option<(usize, usize)> {
    if patterns.exceptions.iter().any(|re| re.is_match(sentence)) {
        return None;
    }
    patterns
        .triggers
        .iter()
        .filter_map(|re| re.find_iter(sentence).find(|m| asserted(m.start())))
        .min_by_key(|m| m.start())
        .map(|m| (m.start(), m.end()))
}

/// The trimmed sentence holding the match `[start, end)` (through `end` when the match runs past
/// it), cut to [`MAX_EVIDENCE_CHARS`].
pub(super) fn sentence_evidence(text: &AnalysedText, start: usize, end: usize) -> String {
    let (s, sentence) = text
        .sentences
        .iter()
        .rev()
        .find(|s| s.start <= start)
        .map_or((0, text.text), |s| (s.start, s.text));
    // A match may run past its sentence (a question and its answer): quote up to its end.
    let sentence = text.text.get(s..end.max(s + sentence.len())).unwrap_or(sentence);
    let leading = sentence.len() - sentence.trim_start().len();
    let trimmed = sentence.trim();
    let rel_start = start.saturating_sub(s + leading).min(trimmed.len());
    let rel_end = end.saturating_sub(s + leading).clamp(rel_start, trimmed.len());
    clip(trimmed, rel_start, rel_end)
}

/// Cuts `s` to at most [`MAX_EVIDENCE_CHARS`] characters, marking cuts with "…" and keeping the
/// match `[start, end)` (byte offsets) visible when possible.
fn clip(s: &str, start: usize, end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX_EVIDENCE_CHARS {
        return s.to_owned();
    }
    let start_c = s.get(..start).map_or(0, |p| p.chars().count());
    let end_c = s.get(..end).map_or(start_c, |p| p.chars().count());
    let keep = MAX_EVIDENCE_CHARS - 1;
    if end_c <= keep {
        let mut out: String = chars[..keep].iter().collect();
        out.push('…');
        return out;
    }
    let from = start_c.saturating_sub(CONTEXT_BEFORE_MATCH);
    let mut out = String::from("…");
    if chars.len() - from <= keep {
        out.extend(&chars[chars.len() - keep..]);
    } else {
        out.extend(&chars[from..from + keep - 1]);
        out.push('…');
    }
    out
}
