//! Negation and hypothetical scope, as ConText does it (Chapman et al. 2001, NegEx; Harkema et al.
//! 2009, ConText): trigger terms open a scope that runs forward (or, for post-triggers, backward)
//! until the sentence ends or a terminator (a contrastive conjunction, `;`, `:`, a dash or a
//! bracket) closes it. A claim matched inside such a scope is not asserted by the writer ("We do
//! not promise a cure", "Be wary of clinics that guarantee results", "Claims that cells regrow
//! discs are unproven") and raises nothing.
//!
//! Pseudo-triggers ("not only", "no doubt", "no longer") look like triggers but are not, and are
//! skipped. A question is hypothetical unless it is a sales question ("Want to live pain-free?").

use super::triggers::{
    ADVICE_TRIGGERS, HYPOTHETICAL_TRIGGERS, NEGATION_TRIGGERS, POST_TRIGGERS, PSEUDO_TRIGGERS,
    SALES_QUESTION_WORDS, SETTING_TRIGGERS, TERMINATORS,
};

/// A token of a sentence: a lowercased word, or a punctuation mark that can end a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    /// Lowercased word (apostrophes normalised to `'`), or the punctuation mark itself.
    text: String,
    /// Byte offset of the token in the sentence.
    start: usize,
    /// Byte offset just past the token.
    end: usize,
    kind: TokenKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Word,
    /// A comma: ends the short scopes of conditionals and of other people's claims.
    Comma,
    /// `;`, `:`, a dash or a bracket: ends every scope.
    Stop,
}

/// How far a trigger's scope runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Forward to a terminator or the end of the sentence (negations, advice).
    Forward,
    /// Forward, but a comma also ends it (conditionals, other clinics' claims).
    ForwardToComma,
    /// Backward to a terminator or the start of the sentence (post-triggers).
    Backward,
    /// The whole clause around the trigger (laboratory and animal settings).
    Clause,
}

/// Splits a sentence into lowercased words and scope-ending punctuation.
fn tokenize(sentence: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut word = String::new();
    let flush = |tokens: &mut Vec<Token>, word: &mut String, start: &mut Option<usize>, end: usize| {
        if let Some(s) = start.take() {
            // An apostrophe at the edge is a quotation mark, not part of the word.
            let trimmed = word.trim_matches('\'');
            if !trimmed.is_empty() {
                tokens.push(Token {
                    text: trimmed.to_owned(),
                    start: s,
                    end,
                    kind: TokenKind::Word,
                });
            }
            word.clear();
        }
    };
    let mut previous = ' ';
    for (i, c) in sentence.char_indices() {
        let next = sentence[i + c.len_utf8()..].chars().next().unwrap_or(' ');
        let decimal = matches!(c, ',' | '.') && previous.is_ascii_digit() && next.is_ascii_digit();
        previous = c;
        if decimal {
            word.push(c);
            continue;
        }
        if c.is_alphanumeric() || matches!(c, '\'' | '’' | '‘') {
            word_start.get_or_insert(i);
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else {
                word.push('\'');
            }
            continue;
        }
        flush(&mut tokens, &mut word, &mut word_start, i);
        let kind = match c {
            ',' => Some(TokenKind::Comma),
            ';' | ':' | '—' | '–' | '(' | ')' | '[' | ']' | '•' | '✔' | '✓' | '·' | '|' | '★' => {
                Some(TokenKind::Stop)
            }
            _ => None,
        };
        if let Some(kind) = kind {
            tokens.push(Token {
                text: c.to_string(),
                start: i,
                end: i + c.len_utf8(),
                kind,
            });
        }
    }
    flush(&mut tokens, &mut word, &mut word_start, sentence.len());
    // " - " between words is a dash.
    let bytes = sentence.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'-' && i > 0 && i + 1 < bytes.len() && bytes[i - 1] == b' ' && bytes[i + 1] == b' ' {
            let at = tokens.partition_point(|t| t.start < i);
            tokens.insert(
                at,
                Token {
                    text: "-".into(),
                    start: i,
                    end: i + 1,
                    kind: TokenKind::Stop,
                },
            );
        }
    }
    tokens
}

/// Number of tokens of `phrase` matched at `tokens[at..]` (consecutive words), if it matches.
fn phrase_at(tokens: &[Token], at: usize, phrase: &str) -> Option<usize> {
    let mut n = 0;
    for part in phrase.split(' ') {
        let token = tokens.get(at + n)?;
        if token.kind != TokenKind::Word || token.text != part {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Longest phrase of `list` matched at `at`.
fn longest_at(tokens: &[Token], at: usize, list: &[&str]) -> Option<usize> {
    list.iter().filter_map(|p| phrase_at(tokens, at, p)).max()
}

fn ends_scope(token: &Token, reach: Reach) -> bool {
    match token.kind {
        TokenKind::Stop => true,
        TokenKind::Comma => reach == Reach::ForwardToComma,
        TokenKind::Word => TERMINATORS.iter().any(|t| !t.contains(' ') && token.text == *t),
    }
}

/// True when the sentence is a question that is not a sales pitch ("Does the clinic promise a
/// cure?" is hypothetical; "Want to live pain-free?" is a claim).
fn is_hypothetical_question(sentence: &str, tokens: &[Token]) -> bool {
    sentence.trim_end().ends_with('?')
        && !tokens
            .iter()
            .any(|t| t.kind == TokenKind::Word && SALES_QUESTION_WORDS.contains(&t.text.as_str()))
}

/// Byte ranges of `sentence` under a negation or hypothetical scope. A claim starting inside one
/// of them is not asserted.
pub(super) fn blocked_ranges(sentence: &str) -> Vec<(usize, usize)> {
    let tokens = tokenize(sentence);
    if is_hypothetical_question(sentence, &tokens) {
        return vec![(0, sentence.len())];
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].kind != TokenKind::Word {
            i += 1;
            continue;
        }
        if let Some(n) = longest_at(&tokens, i, PSEUDO_TRIGGERS) {
            i += n;
            continue;
        }
        let backward_start = || {
            tokens[..i]
                .iter()
                .rev()
                .find(|t| ends_scope(t, Reach::Backward))
                .map_or(0, |t| t.end)
        };
        // A post-trigger scopes backward; after a pronoun ("…, but they are not evidence") it also
        // covers the clause the pronoun refers to.
        if longest_at(&tokens, i, POST_TRIGGERS).is_some() {
            ranges.push((post_scope_start(&tokens, i), tokens[i].start));
        }
        // ... and the longest pre-trigger starting here scopes forward (or over its clause).
        let candidates = [
            (longest_at(&tokens, i, SETTING_TRIGGERS), Reach::Clause),
            (longest_at(&tokens, i, ADVICE_TRIGGERS), Reach::Forward),
            (
                longest_at(&tokens, i, HYPOTHETICAL_TRIGGERS),
                Reach::ForwardToComma,
            ),
            (longest_at(&tokens, i, NEGATION_TRIGGERS), Reach::Forward),
        ];
        // The longest trigger wins; on a tie, the earlier kind in the list above.
        let best = candidates
            .iter()
            .filter_map(|(n, reach)| n.map(|n| (n, *reach)))
            .fold(None::<(usize, Reach)>, |best, (n, reach)| match best {
                Some((b, _)) if b >= n => best,
                _ => Some((n, reach)),
            });
        if let Some((n, reach)) = best {
            let after = i + n;
            // "No downtime, no side effects": a determiner's scope ends where the next one starts a
            // list item.
            let determiner = n == 1 && DETERMINERS.contains(&tokens[i].text.as_str());
            // "No hospital, no anaesthesia, just …": a determiner followed closely by a comma
            // negates only its noun phrase.
            let list_comma = determiner
                && tokens[after..tokens.len().min(after + 3)]
                    .iter()
                    .any(|t| t.kind == TokenKind::Comma);
            let breaks_list = |k: usize| {
                tokens[k].kind == TokenKind::Comma
                    && tokens.get(k + 1).is_some_and(|t| {
                        LIST_BREAKERS.contains(&t.text.as_str()) || DETERMINERS.contains(&t.text.as_str())
                    })
            };
            let end = (after..tokens.len())
                .find(|&k| {
                    ends_scope(&tokens[k], reach)
                        || is_multiword_terminator(&tokens, k)
                        || (determiner && starts_list_item(&tokens, k))
                        || (list_comma && breaks_list(k))
                })
                .map_or(sentence.len(), |k| tokens[k].start);
            match reach {
                Reach::Clause => ranges.push((backward_start(), end)),
                _ => {
                    let start = tokens.get(after).map_or(sentence.len(), |t| t.start);
                    ranges.push((start, end.max(start)));
                }
            }
        }
        i += 1;
    }
    ranges
}

/// Pronouns that refer a post-trigger back to the previous clause.
const ANAPHORS: &[&str] = &[
    "they", "it", "this", "these", "those", "that", "such", "which", "all",
];

/// Start of a post-trigger's backward scope: the previous terminator, or the one before it when
/// only pronouns stand between the terminator and the trigger.
fn post_scope_start(tokens: &[Token], i: usize) -> usize {
    let previous = |before: usize| {
        (0..before)
            .rev()
            .find(|&k| ends_scope(&tokens[k], Reach::Backward))
    };
    let Some(k) = previous(i) else { return 0 };
    let between = &tokens[k + 1..i];
    let anaphoric = !between.is_empty()
        && between.len() <= 2
        && between.iter().all(|t| ANAPHORS.contains(&t.text.as_str()));
    let k = if anaphoric {
        // Skip a comma right before a conjunction ("…, but they …").
        match previous(k) {
            Some(j) if j + 1 == k && tokens[j].kind == TokenKind::Comma => previous(j),
            other => other,
        }
    } else {
        Some(k)
    };
    k.map_or(0, |k| tokens[k].end)
}

/// Negations that apply to the noun phrase after them ("no downtime").
const DETERMINERS: &[&str] = &["no", "zero", "without"];

/// Words after a comma that end a determiner's list ("No hospital, just one injection"), unlike a
/// noun continuing it ("No actor, athlete or celebrity").
const LIST_BREAKERS: &[&str] = &[
    "just", "only", "simply", "instead", "one", "a", "an", "our", "your", "the", "we", "you", "it", "this",
    "with", "and", "but", "fast", "quick", "real",
];

/// True when `tokens[k]` is a determiner starting a new item of a list ("…, no side effects",
/// "… and no rejection").
fn starts_list_item(tokens: &[Token], k: usize) -> bool {
    k > 0
        && DETERMINERS.contains(&tokens[k].text.as_str())
        && (tokens[k - 1].kind == TokenKind::Comma || matches!(tokens[k - 1].text.as_str(), "and" | "or"))
}

/// True when `tokens[at]` starts a multi-word terminator ("which means").
fn is_multiword_terminator(tokens: &[Token], at: usize) -> bool {
    TERMINATORS
        .iter()
        .filter(|t| t.contains(' '))
        .any(|t| phrase_at(tokens, at, t).is_some())
}

/// True when byte `pos` of the sentence lies in one of `ranges`.
pub(super) fn is_blocked(ranges: &[(usize, usize)], pos: usize) -> bool {
    ranges.iter().any(|&(s, e)| s <= pos && pos < e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked_word(sentence: &str, word: &str) -> bool {
        let pos = sentence.to_lowercase().find(word).expect("word in sentence");
        is_blocked(&blocked_ranges(sentence), pos)
    }

    #[test]
    fn negation_scope_runs_to_a_terminator_not_a_word_window() {
        let s = "We do not promise that our cells will completely cure back pain, but patients say it helps.";
        assert!(blocked_word(s, "cure"));
        assert!(!blocked_word(s, "patients say"));
        assert!(blocked_word(
            "No treatment is completely safe.",
            "completely safe"
        ));
        assert!(blocked_word(
            "There is no evidence that stem cells regenerate damaged discs.",
            "regenerate"
        ));
    }

    #[test]
    fn a_trigger_inside_the_claim_does_not_negate_it() {
        // "no" starts the claim itself: nothing before it negates it.
        assert!(!blocked_word(
            "Our therapy has no side effects.",
            "no side effects"
        ));
    }

    #[test]
    fn pseudo_triggers_are_skipped() {
        assert!(!blocked_word(
            "Not only do we cure back pain, we also regrow cartilage.",
            "cure"
        ));
        assert!(!blocked_word("No doubt our patients are pain-free.", "pain-free"));
    }

    #[test]
    fn post_triggers_scope_backward() {
        let s = "Claims that stem cells regrow cartilage are unproven.";
        assert!(blocked_word(s, "regrow"));
        assert!(blocked_word(
            "A 100% success rate is something no honest clinic can promise.",
            "100%"
        ));
    }

    #[test]
    fn conditionals_end_at_a_comma_advice_does_not() {
        let s = "If a clinic promises a cure, walk away.";
        assert!(blocked_word(s, "cure"));
        let s = "If you are in pain, our treatment will cure it.";
        assert!(!blocked_word(s, "cure"));
        let s = "Be wary of miracle claims, guaranteed results or celebrity patients.";
        assert!(blocked_word(s, "celebrity"));
        let s = "Unlike other clinics, we guarantee results.";
        assert!(!blocked_word(s, "guarantee"));
    }

    #[test]
    fn questions_are_hypothetical_unless_they_sell() {
        assert!(blocked_word("Does the clinic guarantee results?", "guarantee"));
        assert!(!blocked_word("Want to live pain-free again?", "pain-free"));
    }

    #[test]
    fn laboratory_settings_cover_the_clause() {
        assert!(blocked_word(
            "MSCs can turn into cartilage cells in the lab.",
            "turn into"
        ));
        assert!(blocked_word(
            "In animal studies, MSCs repaired damaged discs.",
            "repaired"
        ));
    }

    #[test]
    fn tokens_keep_byte_offsets_and_dashes() {
        let tokens = tokenize("Don’t wait - it’s 99,5 %");
        let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["don't", "wait", "-", "it's", "99,5"]);
        assert_eq!(tokens[0].start, 0);
    }
}
