//! Negation and hypothetical scope, as ConText does it (Chapman et al. 2001, NegEx; Harkema et al.
//! 2009, ConText): trigger terms open a scope that runs forward (or, for post-triggers, backward)
//! until the sentence ends or a terminator (a contrastive conjunction, `;`, `:`, a dash or a
//! bracket) closes it. A claim matched inside such a scope is not asserted by the writer ("We do
//! not promise a cure", "Be wary of clinics that guarantee results", "Claims that cells regrow
//! discs are unproven") and raises nothing.
//!
//! Pseudo-triggers ("not only", "no doubt", "no longer") look like triggers but are not, and are
//! skipped. A question is hypothetical unless it is a sales question ("Want to live pain-free?").

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

/// Not triggers, though they start like one.
const PSEUDO_TRIGGERS: &[&str] = &[
    "not only",
    "not just",
    "no doubt",
    "no longer",
    "no wonder",
    "no matter",
    "not to mention",
    "not least",
    "nothing but",
    "without doubt",
    "without a doubt",
    "no questions asked",
];

/// Negations and doubts: scope runs forward to a terminator.
const NEGATION_TRIGGERS: &[&str] = &[
    "no",
    "not",
    "never",
    "without",
    "cannot",
    "can't",
    "cant",
    "won't",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "didn't",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "hasn't",
    "haven't",
    "hadn't",
    "shouldn't",
    "wouldn't",
    "couldn't",
    "mustn't",
    "nor",
    "neither",
    "none",
    "nothing",
    "nobody",
    "no one",
    "lack of",
    "lacks",
    "lacking",
    "absence of",
    "little evidence",
    "weak evidence",
    "limited evidence",
    "insufficient evidence",
    "scant evidence",
    "unclear",
    "rather than",
    "instead of",
    "unable to",
    "refuse to",
    "refuses to",
    "far from",
    "unproven",
    "unsupported",
    "false",
    "myth",
    "myths",
    "misleading",
    "unrealistic",
    "exaggerated",
    "dubious",
    "bogus",
    "deny",
    "denies",
    "warn",
    "warns",
    "warned",
    "warning",
    "caution",
    "cautions",
    "stay away from",
    "advise against",
    "advises against",
    "warn against",
    "caution against",
    "recommend against",
    "seeking approval",
    "seeking regulatory",
    "may one day",
    "might one day",
    "could one day",
    "hope that",
    "hope to",
    "we hope",
    "hopes that",
    "steer clear of",
    "awaiting",
    "applied for",
    "hoped",
    "hoping",
    "someday",
    "in the future",
    "under investigation",
    "being studied",
    "being investigated",
    "theoretically",
    "in theory",
];

/// Advice to the reader: scope runs forward to a terminator ("Be wary of X, Y and Z").
const ADVICE_TRIGGERS: &[&str] = &[
    "be wary",
    "wary of",
    "beware",
    "be careful",
    "be cautious",
    "be sceptical",
    "be skeptical",
    "sceptical of",
    "skeptical of",
    "suspicious of",
    "be suspicious",
    "watch out",
    "look out for",
    "red flag",
    "red flags",
    "warning sign",
    "warning signs",
    "avoid clinics",
    "avoid any",
    "avoid providers",
    "avoid anyone",
    "ask whether",
    "ask if",
    "ask the clinic",
    "ask your",
    "ask any",
    "ask for",
    "ask how",
    "ask what",
    "ask to see",
    "ask them",
    "check whether",
    "check that",
    "check if",
    "question any",
    "question claims",
    "distrust",
    "walk away",
    "think twice",
    "with caution",
    "report any",
];

/// Conditionals and other people's claims: scope runs forward to a comma or terminator.
const HYPOTHETICAL_TRIGGERS: &[&str] = &[
    "if",
    "unless",
    "whether",
    "in case",
    "suppose",
    "other clinics",
    "some clinics",
    "many clinics",
    "most clinics",
    "clinics that",
    "clinics which",
    "clinics who",
    "clinics claiming",
    "clinics promising",
    "clinics offering",
    "clinics advertising",
    "clinics selling",
    "clinics using",
    "clinic that",
    "clinic which",
    "clinic claiming",
    "clinic promising",
    "clinic offering",
    "clinic advertising",
    "any clinic",
    "any provider",
    "providers that",
    "providers who",
    "providers claiming",
    "providers promising",
    "some providers",
    "other providers",
    "anyone who",
    "anyone promising",
    "anyone claiming",
    "anyone offering",
    "someone who",
    "those who",
    "websites",
    "ads",
    "adverts",
    "advertisements",
    "advertising",
    "marketing",
    "unlike",
    "so called",
    "claims like",
    "claims such as",
    "claims of",
    "claim of",
    "claims that",
    "claim that",
    "phrases like",
    "phrases such as",
    "words like",
    "words such as",
    "promises like",
    "promises of",
    "promises that",
    "promise of",
    "terms like",
    "slogans",
];

/// Laboratory and animal settings: the whole clause is not a claim about patients.
const SETTING_TRIGGERS: &[&str] = &[
    "in mice",
    "in rats",
    "in animals",
    "in dogs",
    "animal studies",
    "animal study",
    "animal models",
    "animal model",
    "in the lab",
    "in the laboratory",
    "in a lab",
    "in a laboratory",
    "in vitro",
    "in a dish",
    "in a petri dish",
    "in culture",
    "cell culture",
    "preclinical",
    "laboratory studies",
    "lab studies",
];

/// Post-triggers: the scope runs backward ("Claims that … are unproven").
const POST_TRIGGERS: &[&str] = &[
    "is not true",
    "are not true",
    "isn't true",
    "aren't true",
    "is untrue",
    "are untrue",
    "is false",
    "are false",
    "is a myth",
    "are myths",
    "is misleading",
    "are misleading",
    "is unproven",
    "are unproven",
    "remain unproven",
    "remains unproven",
    "not been shown",
    "never been shown",
    "not been proven",
    "never been proven",
    "not been demonstrated",
    "not been established",
    "is not supported",
    "are not supported",
    "is not established",
    "lacks evidence",
    "lack evidence",
    "is not possible",
    "isn't possible",
    "is impossible",
    "is unrealistic",
    "are unrealistic",
    "is not realistic",
    "is a red flag",
    "are red flags",
    "are a red flag",
    "is a warning sign",
    "are warning signs",
    "are a warning sign",
    "should make you suspicious",
    "should raise suspicion",
    "should be avoided",
    "is a sales tactic",
    "are sales tactics",
    "is not evidence",
    "are not evidence",
    "is not proof",
    "are not proof",
    "is no substitute",
    "are no substitute",
    "is not a substitute",
    "are not a substitute",
    "cannot replace",
    "can't replace",
    "do not replace",
    "does not replace",
    "do not prove",
    "does not prove",
    "don't prove",
    "doesn't prove",
    "is not scientific",
    "are not scientific",
    "are anecdotes",
    "is anecdotal",
    "are anecdotal",
    "does not mean",
    "do not mean",
    "doesn't mean",
    "is not the same as",
    "is not an approval",
    "is experimental",
    "remains experimental",
    "is investigational",
    "is being studied",
    "are being studied",
    "is ongoing",
    "are ongoing",
    "is under investigation",
    "are under investigation",
    "was not observed",
    "were not observed",
    "was not seen",
    "were not seen",
    "is overstated",
    "are overstated",
    "is exaggerated",
    "are exaggerated",
    "is not something",
    "are not something",
    "is something we never",
    "are something we never",
    "no honest",
    "no reputable",
    "no responsible",
    "no ethical",
    "no serious",
    "no legitimate",
    "no clinic",
    "no doctor",
    "nobody can",
    "no one can",
    "we do not",
    "we don't",
    "we never",
    "we will not",
    "we won't",
    "we cannot",
    "we can't",
    "we avoid",
    "we refuse",
    "you should not",
    "you shouldn't",
    "should not be trusted",
    "cannot be trusted",
    "is not a promise",
    "is not a guarantee",
    "are not a guarantee",
    "are not guaranteed",
    "is not guaranteed",
    "cannot tell you",
    "can't tell you",
    "is an anecdote",
    "not evidence",
    "not proof",
    "are unreliable",
    "is unreliable",
    "are not reliable",
    "is not reliable",
    "is pending",
    "is a research goal",
    "remains a research goal",
    "is a goal",
    "remains a goal",
    "is a hope",
    "remains a hope",
    "is theoretical",
    "remains theoretical",
    "is hypothetical",
    "remains hypothetical",
    "remains to be shown",
    "remains to be proven",
    "remains to be seen",
    "is not yet known",
    "is unknown",
    "is weak",
    "are weak",
    "is limited",
    "are limited",
    "remains limited",
    "remain limited",
    "is poor",
    "is thin",
    "is scarce",
    "is lacking",
    "is inconclusive",
    "is insufficient",
    "is uncertain",
    "remains uncertain",
    "is mixed",
    "are pending",
];

/// Words that end every scope.
const TERMINATORS: &[&str] = &[
    "but",
    "however",
    "although",
    "though",
    "yet",
    "except",
    "while",
    "whereas",
    "nevertheless",
    "nonetheless",
    "because",
    "then",
    "which means",
];

/// Words that make a question a sales question rather than a hypothetical one.
const SALES_QUESTION_WORDS: &[&str] = &[
    "want", "wanting", "ready", "tired", "sick", "fed", "looking", "wish", "dream", "dreaming", "imagine",
    "why", "like",
];

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
            ';' | ':' | '—' | '–' | '(' | ')' | '[' | ']' => Some(TokenKind::Stop),
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
        // A post-trigger scopes backward ...
        if longest_at(&tokens, i, POST_TRIGGERS).is_some() {
            ranges.push((backward_start(), tokens[i].start));
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
            let end = (after..tokens.len())
                .find(|&k| {
                    ends_scope(&tokens[k], reach)
                        || is_multiword_terminator(&tokens, k)
                        || (determiner && starts_list_item(&tokens, k))
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

/// Negations that apply to the noun phrase after them ("no downtime").
const DETERMINERS: &[&str] = &["no", "zero", "without"];

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
