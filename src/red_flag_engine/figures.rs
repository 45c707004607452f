//! Numeric outcome claims: percentages ("95%", "99,5 %", "ninety percent") and ratios ("9 out of
//! 10", "7 of 9 patients", "four in five patients") that are about an outcome (success, pain,
//! improvement, satisfaction …) and not about logistics (refunds, sterility, response times,
//! discounts, where patients come from). `OUTCOME_CLAIM_UNSOURCED` fires on any such figure and
//! `GUARANTEED_OUTCOME` on one of at least 90 %, unless the same text cites a DOI, PMID, PMC or
//! NCT id.

use regex::Regex;

use super::text::AnalysedText;

/// Number words up to twenty, then the tens; "ninety-five" is read as 90 + 5.
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
    ("hundred", 100),
    ("a hundred", 100),
    ("one hundred", 100),
];

/// A number: digits (with a decimal point or comma) or number words.
const NUMBER: &str = r"\d{1,3}(?:[.,]\d{1,2})?|(?:a |one )?hundred|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen";

/// People (or treated body parts) a ratio counts.
const PEOPLE: &str = r"patients?|people|persons?|clients?|cases|subjects|participants|customers|users|men|women|adults|children|kids|athletes|knees|backs|joints|sufferers|treated";

/// Verbs that may follow "N out of M" when the people are left implicit ("9 out of 10 feel better").
const VERBS: &str = r"say|says|said|feel|feels|felt|report|reports|reported|are|were|is|was|have|had|has|see|saw|sees|experience|experienced|improve|improved|improves|walk|walked|return|returned|get|got|would|will|can|could|recommend|recommended|achieve|achieved|notice|noticed|benefit|benefited|respond|responded|go|went|leave|left|need|needed|do|did|who|never|no longer|now|still|improvement|relief|satisfaction|reduction|success";

/// Words that make a figure an outcome claim of a treatment.
const OUTCOME_TERMS: &str = r"\b(success\w*|succeed\w*|effective\w*|efficacy|improv\w*|better|reliev\w*|relief|recover\w*|results?|respond(s|ed)?|response|satisf\w*|cure[sd]?|curing|heal\w*|benefit\w*|remission|regenerat\w*|happy|recommend\w*|works?|worked|helps?|helped|pain[- ]free|outcomes?|return(s|ed)? to (work|sport|normal|activit\w*)|would (\w+ ){0,3}again|(avoid|skip|escap|bypass)\w* (\w+ )?(surgery|operations?|fusion)|life[- ]changing|rat\w* (\w+ ){0,3}as (excellent|good|great|very good|successful)|less (pain|stiffness|discomfort|aches?)|pain (reduction|relief|scores?)|reduc\w* (in |of )?(\w+ )?pain|pain (went|goes|has gone|is) (away|gone)|no longer (need|take|suffer)\w*)\b";

/// Words that make a figure an outcome claim only next to a treatment ("70% of patients walk
/// without pain after treatment", but not "80% of adults have back pain").
const WEAK_OUTCOME_TERMS: &str = r"\b(again|pain\w*|stiff\w*|discomfort|aches?|notice\w*|symptoms?|mobility|function\w*|walk\w*|free|feel\w*|felt|lost|lose|losing|painkillers|medications?|quality of life|reduc\w*|decreas\w*|drop\w*|fell|fall\w*|gains?|gained|fix\w*|repair\w*|restor\w*|avoid\w*|skip\w*|escap\w*|bypass\w*|spared?)\b";

/// A treatment in the sentence: what a weak outcome term must stand next to.
const TREATMENT_MARKERS: &str = r"\b(after|following|post|treat\w*|therap\w*|injections?|injected|procedures?|sessions?|protocols?|programs?|programmes?|infusions?|stem cells?|cells|our (patients|clients|clinic)|patients?|clients?)\b";

/// Words that make a nearby figure logistics, lab quality, prices or demographics.
const VETO_TERMS: &str = r"\b(refund\w*|deposits?|steril\w*|viab\w*|batch\w*|contaminat\w*|endotoxin|mycoplasma|purity|pure|messages?|e-?mails?|enquir\w*|inquir\w*|calls?|phones?|repl(y|ies|ied)|answer\w*|discount\w*|sale|prices?|pric\w*|costs?|fees?|payments?|pay|paid|tax|vat|interest|insur\w*|occupancy|bookings?|booked|from abroad|abroad|come from|came from|referred|referrals?|contact\w*|visit\w*|arriv\w*|found us|find us|travel\w*|women|men|female|male|aged|older|younger|(are|is|were) (over|under) \d+|years old|stars?|ratings?|reviews?|staff|nurses|speaks? (english|spanish|thai|turkish|french|german|arabic|russian|chinese|portuguese|italian|\w+ languages?)|markers?|confluen\w*|on time|flights?|hotels?|natural|organic|own cells|autologous|funded|financ\w*|loans?|capacity|accuracy|attendance|completed|attended|questionnaires?|survey response|side[- ]effects?|adverse|complications?|infections?|sore\w*|swelling|bruis\w*|risks?|injection site|flare\w*|headaches?|fever|temporar\w*|within (a|one|two|\d+|twenty-four|forty-eight) (hours?|days?|business|working|weeks?)|on (its|their) own|by itself|without (any )?treatment|with or without|regardless of|natural (course|history)|according to (the |published )?(studies|reviews?|trials|literature|research)|published (studies|trials|reviews?|research|series)|in (the )?(studies|trials|literature)|become chronic|at some point|lifetime|in (their|a) li(fe|ves)|affects?|prevalence|are diagnosed|will (have|experience|develop))\b";

/// Compiled figure patterns, built once with the rule book.
#[derive(Debug, Clone)]
pub(super) struct FigureLexicon {
    percent: Regex,
    ratio: Regex,
    slash: Regex,
    fold: Regex,
    fraction: Regex,
    slash_alone: Regex,
    people_after: Regex,
    verb_or_end_after: Regex,
    outcome: Regex,
    weak_outcome: Regex,
    treatment: Regex,
    veto: Regex,
    discount_after: Regex,
}

/// A numeric outcome claim in a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Figure {
    /// Byte offset of the figure in its text.
    pub start: usize,
    /// Byte offset just past the figure.
    pub end: usize,
    /// The figure as a percentage (0–100).
    pub percent: f64,
}

impl FigureLexicon {
    pub fn compile() -> Result<FigureLexicon, String> {
        let re = |pattern: String| {
            Regex::new(&format!("(?i){pattern}")).map_err(|e| format!("figure pattern does not compile: {e}"))
        };
        Ok(FigureLexicon {
            percent: re(format!(r"(?:^|[^\w.,])({NUMBER})\s?(?:%|per\s?cent\b|pct\b)"))?,
            ratio: re(format!(
                r"\b({NUMBER})\s+(out\s+of|in|of)\s+(?:every\s+|each\s+)?({NUMBER})\b"
            ))?,
            slash: re(format!(
                r"\b(\d{{1,3}})\s?/\s?(\d{{1,3}})\s+(?:of\s+)?(?:our\s+)?(?:{PEOPLE})\b"
            ))?,
            fold: re(
                r"\b(\d+(?:[.,]\d+)?|two|three|four|five|ten)[- ]?(?:fold|times (?:better|more|greater|faster|higher|less|fewer|stronger))\b"
                    .to_owned(),
            )?,
            fraction: re(format!(
                r"\b(half|a third|one third|two[- ]thirds|a quarter|one quarter|three[- ]quarters)\s+of\s+(?:(?:our|all|the|treated|those|these)\s+)*(?:\w+\s+)?(?:{PEOPLE})\b"
            ))?,
            slash_alone: re(r"\b(\d{1,3})\s?/\s?(\d{1,3})\b".to_owned())?,
            people_after: re(format!(
                r"^\s*(?:of\s+)?(?:(?:our|all|the|treated|those|these|your|my|his|her|their)\s+)*(?:\w+\s+)?(?:{PEOPLE})\b"
            ))?,
            verb_or_end_after: re(format!(r"^\s*(?:$|[^\w\s]|(?:{VERBS})\b)"))?,
            outcome: re(OUTCOME_TERMS.to_owned())?,
            weak_outcome: re(WEAK_OUTCOME_TERMS.to_owned())?,
            treatment: re(TREATMENT_MARKERS.to_owned())?,
            veto: re(VETO_TERMS.to_owned())?,
            discount_after: re(r"^\s*(off|discount|cheaper|less expensive|savings?)\b".to_owned())?,
        })
    }

    /// The outcome figures of `text` that its writer asserts (outside negation and hypothetical
    /// scopes), in text order. Empty when the text cites a DOI, PMID, PMC or NCT id.
    pub fn outcome_figures(&self, text: &AnalysedText) -> Vec<Figure> {
        if text.cited {
            return Vec::new();
        }
        let mut figures = Vec::new();
        for sentence in &text.sentences {
            let s = sentence.text;
            let mut found: Vec<(usize, usize, f64, bool)> = Vec::new();
            for caps in self.percent.captures_iter(s) {
                let Some(m) = caps.get(1) else { continue };
                let end = caps.get(0).map_or(m.end(), |all| all.end());
                if let Some(value) = parse_number(m.as_str()) {
                    found.push((m.start(), end, value, self.people_after.is_match(&s[end..])));
                }
            }
            for caps in self.ratio.captures_iter(s) {
                let (Some(n), Some(how), Some(d)) = (caps.get(1), caps.get(2), caps.get(3)) else {
                    continue;
                };
                let people = self.people_after.is_match(&s[d.end()..]);
                // "in" and "of" count people; "out of" may also stand before a verb ("9 out of 10
                // feel better") or alone, but not before another noun ("9 out of 10 clinics").
                let out_of = how.as_str().to_lowercase().starts_with("out");
                if !(people || (out_of && self.verb_or_end_after.is_match(&s[d.end()..]))) {
                    continue;
                }
                if let (Some(nv), Some(dv)) = (parse_number(n.as_str()), parse_number(d.as_str())) {
                    if dv >= 2.0 && nv <= dv {
                        found.push((n.start(), d.end(), 100.0 * nv / dv, people));
                    }
                }
            }
            for caps in self.slash_alone.captures_iter(s) {
                let (Some(n), Some(d)) = (caps.get(1), caps.get(2)) else {
                    continue;
                };
                if !self.verb_or_end_after.is_match(&s[d.end()..]) {
                    continue;
                }
                if let (Some(nv), Some(dv)) = (parse_number(n.as_str()), parse_number(d.as_str())) {
                    if dv >= 2.0 && nv <= dv {
                        found.push((n.start(), d.end(), 100.0 * nv / dv, false));
                    }
                }
            }
            for caps in self.slash.captures_iter(s) {
                let (Some(n), Some(d)) = (caps.get(1), caps.get(2)) else {
                    continue;
                };
                if let (Some(nv), Some(dv)) = (parse_number(n.as_str()), parse_number(d.as_str())) {
                    if dv >= 2.0 && nv <= dv {
                        found.push((n.start(), d.end(), 100.0 * nv / dv, true));
                    }
                }
            }
            for caps in self.fraction.captures_iter(s) {
                let Some(m) = caps.get(1) else { continue };
                let lower = m.as_str().to_lowercase();
                let percent = match lower.as_str() {
                    "half" => 50.0,
                    "a quarter" | "one quarter" => 25.0,
                    "a third" | "one third" => 33.3,
                    w if w.starts_with("two") => 66.7,
                    _ => 75.0,
                };
                found.push((
                    m.start(),
                    caps.get(0).map_or(m.end(), |all| all.end()),
                    percent,
                    true,
                ));
            }
            // "3-fold improvement": an outcome figure, not a rate (never a guarantee by itself).
            for caps in self.fold.captures_iter(s) {
                if let Some(m) = caps.get(0) {
                    found.push((m.start(), m.end(), 0.0, false));
                }
            }
            found.sort_by_key(|f| f.0);
            found.dedup_by_key(|f| f.0);
            for (start, end, percent, _people) in found {
                if !sentence.asserts_at(start) || self.is_vetoed(s, start, end) {
                    continue;
                }
                let about_outcome =
                    self.outcome.is_match(s) || (self.weak_outcome.is_match(s) && self.treatment.is_match(s));
                if about_outcome {
                    figures.push(Figure {
                        start: sentence.start + start,
                        end: sentence.start + end,
                        percent,
                    });
                }
            }
        }
        figures
    }

    /// True when logistics words stand near the figure in its clause, or it is a discount ("20%
    /// off").
    fn is_vetoed(&self, sentence: &str, start: usize, end: usize) -> bool {
        if self.discount_after.is_match(&sentence[end..]) {
            return true;
        }
        let (clause_start, clause_end) = clause_around(sentence, start, end);
        let from = floor_char_boundary(sentence, start.saturating_sub(60).max(clause_start));
        let to = floor_char_boundary(sentence, (end + 80).min(clause_end));
        self.veto.is_match(&sentence[from..to])
    }
}

/// Byte range of the clause holding `[start, end)`: clauses end at `,` or `;` followed by a space,
/// `:`, a dash or bracket, or the words "and", "but", "while", "whereas".
fn clause_around(sentence: &str, start: usize, end: usize) -> (usize, usize) {
    let lower = sentence.to_lowercase();
    if lower.len() != sentence.len() {
        return (0, sentence.len());
    }
    let boundary = |i: usize| -> Option<usize> {
        let rest = &lower[i..];
        let c = rest.chars().next()?;
        let next = rest[c.len_utf8()..].chars().next().unwrap_or(' ');
        match c {
            ',' | ';' if next.is_whitespace() => Some(c.len_utf8()),
            ':' | '—' | '–' | '(' | ')' | '•' | '✔' | '✓' | '·' | '|' | '★' => {
                Some(c.len_utf8())
            }
            _ => [" and ", " but ", " while ", " whereas "]
                .iter()
                .find(|w| rest.starts_with(*w))
                .map(|w| w.len()),
        }
    };
    let clause_start = (0..start)
        .rev()
        .filter(|&i| lower.is_char_boundary(i))
        .find_map(|i| boundary(i).map(|n| i + n))
        .unwrap_or(0);
    let clause_end = (end..lower.len())
        .filter(|&i| lower.is_char_boundary(i))
        .find(|&i| boundary(i).is_some())
        .unwrap_or(lower.len());
    (clause_start, clause_end)
}

/// The largest char boundary at or before `i`.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Parses digits ("99,5" and "99.5" alike) or number words ("ninety-five", "a hundred").
fn parse_number(raw: &str) -> Option<f64> {
    let lower = raw.trim().to_lowercase();
    if lower.starts_with(|c: char| c.is_ascii_digit()) {
        return lower.replace(',', ".").parse().ok();
    }
    let mut total = 0u32;
    let mut rest = lower.as_str();
    for (word, value) in NUMBER_WORDS.iter().rev() {
        if let Some(after) = rest.strip_prefix(word) {
            if after.is_empty() || after.starts_with([' ', '-']) {
                total += value;
                rest = after.trim_start_matches([' ', '-']);
            }
        }
    }
    (total > 0 && rest.is_empty()).then_some(f64::from(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_digits_and_words() {
        assert_eq!(parse_number("99,5"), Some(99.5));
        assert_eq!(parse_number("99.5"), Some(99.5));
        assert_eq!(parse_number("ninety-five"), Some(95.0));
        assert_eq!(parse_number("nine"), Some(9.0));
        assert_eq!(parse_number("a hundred"), Some(100.0));
        assert_eq!(parse_number("seventy two"), Some(72.0));
        assert_eq!(parse_number("many"), None);
    }
}
