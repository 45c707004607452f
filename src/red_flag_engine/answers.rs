//! Claims made as a question and its short answer: "Side effects? None.", "Back pain? Not after
//! our treatment.", "Pain? Gone." The question alone is hypothetical and the answer alone names
//! nothing, so neither sentence raises a text rule; read together they assert a claim. Each such
//! pair is restated as one sentence ("no side effects", "pain gone") that the text rules read like
//! any other, outside the same negation scopes, and a match there quotes the pair as written.

use super::context::blocked_ranges;

/// Longest question, in words, read as rhetorical: a bare noun phrase ("Side effects?"), not a
/// question put to the reader ("Does the clinic promise a cure?").
const MAX_QUESTION_WORDS: usize = 4;

/// Longest answer, in words: a longer one argues rather than asserts ("Safe? Yes, but every
/// injection carries some risk.").
const MAX_ANSWER_WORDS: usize = 6;

/// Answers that deny the question's noun phrase: "Side effects? None." asserts "no side effects";
/// "Miracle cure? No." restates as "no miracle cure", which negation scope keeps honest.
const DENYING: &[&str] = &[
    "none",
    "no",
    "zero",
    "nothing",
    "never",
    "nope",
    "not",
    "nil",
    "impossible",
];

/// Answers that confirm it: "Pain? Gone.", "Pain-free? Absolutely."
const CONFIRMING: &[&str] = &[
    "gone",
    "vanished",
    "disappeared",
    "history",
    "yes",
    "absolutely",
    "definitely",
    "certainly",
    "always",
    "guaranteed",
];

/// First words of a real question, which is not restated ("Is it safe? No.").
const QUESTION_OPENERS: &[&str] = &[
    "what", "why", "how", "when", "where", "who", "which", "whose", "is", "are", "was", "were", "do", "does",
    "did", "can", "could", "will", "would", "should", "may", "might", "have", "has", "had", "shall", "must",
];

/// A question and its answer restated as one claim.
#[derive(Debug)]
pub(super) struct RestatedPair {
    /// The restatement the text rules read ("no side effects").
    pub text: String,
    /// Ranges of `text` under a negation or hypothetical scope.
    pub blocked: Vec<(usize, usize)>,
    /// Byte offset of the question in the analysed text.
    pub start: usize,
    /// Byte offset just past the answer.
    pub end: usize,
}

impl RestatedPair {
    /// True when a claim starting at byte `pos` of the restatement is asserted.
    pub fn asserts_at(&self, pos: usize) -> bool {
        !super::context::is_blocked(&self.blocked, pos)
    }
}

/// The rhetorical question-and-answer pairs among consecutive `sentences` (each its byte offset in
/// the text and its text), restated.
pub(super) fn restate(sentences: &[(usize, &str)]) -> Vec<RestatedPair> {
    sentences
        .windows(2)
        .filter_map(|pair| restate_pair(pair[0], pair[1]))
        .collect()
}

fn restate_pair(
    (question_start, question): (usize, &str),
    (answer_start, answer): (usize, &str),
) -> Option<RestatedPair> {
    let asked = question.trim().strip_suffix('?')?.trim();
    let asked_words = words(asked);
    let opener = asked_words.first()?;
    if asked_words.len() > MAX_QUESTION_WORDS || QUESTION_OPENERS.contains(&opener.as_str()) {
        return None;
    }
    let answered = answer.trim().trim_end_matches(['.', '!']);
    let answer_words = words(answered);
    let (first, rest) = answer_words.split_first()?;
    if answer_words.len() > MAX_ANSWER_WORDS {
        return None;
    }
    let asked = asked.to_lowercase();
    let text = if DENYING.contains(&first.as_str()) {
        // "Back pain? Not after our treatment." → "no back pain after our treatment".
        let rest = rest.join(" ");
        format!("no {asked} {rest}").trim_end().to_owned()
    } else if CONFIRMING.contains(&first.as_str()) {
        format!("{asked} {}", answer_words.join(" "))
    } else {
        return None;
    };
    Some(RestatedPair {
        blocked: blocked_ranges(&text),
        text,
        start: question_start,
        end: answer_start + answer.trim_end().len(),
    })
}

/// Lowercased words, with the punctuation around them removed.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}
