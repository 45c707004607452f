//! Automatic screening of review and reply text before it is published. Pure: no database, no
//! clock. A text with a finding is refused with a 422 that names each finding and what to remove
//! (nothing is hidden or rewritten silently); a text without one is published as written, good or
//! bad alike. What each check catches, and what it misses, is in `docs/REVIEWS.md`.

use std::sync::LazyLock;

use regex::Regex;

/// What a screening check found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    Email,
    Phone,
    Url,
    Handle,
    OtherPersonsHealth,
    Abuse,
}

impl FindingKind {
    /// What to do about it, as the patient or clinic reads it.
    fn instruction(self) -> &'static str {
        match self {
            Self::Email => "contains an email address; remove it (reviews carry no contact details)",
            Self::Phone => "contains a phone number; remove it (reviews carry no contact details)",
            Self::Url => "contains a web address; remove it (reviews carry no links)",
            Self::Handle => "contains a social media handle; remove it (reviews carry no contact details)",
            Self::OtherPersonsHealth => {
                "describes another person's health; remove it (write only about your own treatment)"
            }
            Self::Abuse => "contains abusive language; remove or rephrase it",
        }
    }
}

/// One thing the text must lose before it can be published.
#[derive(Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    /// The words that triggered it, quoted from the text (so the author knows exactly what).
    pub excerpt: String,
}

impl Finding {
    /// The message of the 422's field error: what was found and what to do.
    pub fn message(&self) -> String {
        format!("{}: \"{}\"", self.kind.instruction(), self.excerpt)
    }
}

// Deliberately not `Debug`: a finding quotes text a person wrote.

/// The longest excerpt quoted back.
const MAX_EXCERPT: usize = 80;

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}").expect("regex"));
/// A run of digits with the separators phone numbers are written with.
static PHONE_LIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\(?\d[\d\s().\-/]{5,}\d").expect("regex"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|io|me|co|biz|clinic|health|hospital|care|tr|mx|ru|ua|pa|cr|co\.uk|de|es|in|th|cn)\b(?:/\S*)?",
    )
    .expect("regex")
});
/// `@name` at the start of the text or after a space or bracket (so an email is not a handle).
static HANDLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s(\[])(@[A-Za-z0-9_][A-Za-z0-9_.]{1,29})").expect("regex"));
/// Another person (a relation, optionally named) and, within the same sentence and a few words, a
/// statement about their health.
static OTHER_PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:my|our|his|her|their|a)\s+(?:friend|wife|husband|partner|spouse|mother|mom|mum|father|dad|sister|brother|son|daughter|child|kid|cousin|aunt|uncle|grandmother|grandma|grandfather|grandpa|neighbou?r|colleague|co-worker|coworker|roommate|boss|girlfriend|boyfriend|fianc[ée]e?)(?:\s+[A-Z][a-z]+)?\b[^.!?\n]{0,60}?\b(?:was diagnosed|is diagnosed|got diagnosed|diagnosed with|suffers?|suffered|suffering|underwent|had an operation|was treated|got treated|had surgery|is pregnant|was pregnant|died|passed away|cancer|tumou?r|diabetes|hiv|aids|hepatitis|dementia|alzheimer|parkinson|ms\b|multiple sclerosis|depression|schizophrenia|bipolar|autism|epilepsy|stroke|heart attack|leukemia|leukaemia)",
    )
    .expect("regex")
});
/// A small list of abusive words, matched as whole words (the documented list: docs/REVIEWS.md).
pub const ABUSIVE_WORDS: &[&str] = &[
    "fuck",
    "fucking",
    "fucked",
    "fucker",
    "motherfucker",
    "shit",
    "shitty",
    "bullshit",
    "cunt",
    "asshole",
    "arsehole",
    "bastard",
    "bastards",
    "bitch",
    "bitches",
    "dickhead",
    "wanker",
    "twat",
    "scumbag",
    "scumbags",
    "whore",
    "slut",
    "retard",
    "retarded",
];
static ABUSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b(?:{})\b", ABUSIVE_WORDS.join("|"))).expect("regex"));

/// Every finding in `text`, in the order of the checks (contact details first), at most one per
/// excerpt. Empty: the text may be published.
pub fn screen(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut push = |kind: FindingKind, excerpt: &str| {
        let excerpt: String = excerpt.trim().chars().take(MAX_EXCERPT).collect();
        if !findings.iter().any(|f: &Finding| f.excerpt == excerpt) {
            findings.push(Finding { kind, excerpt });
        }
    };
    let emails: Vec<_> = EMAIL.find_iter(text).collect();
    for m in &emails {
        push(FindingKind::Email, m.as_str());
    }
    let inside_email = |start: usize| emails.iter().any(|e| e.start() <= start && start < e.end());
    for m in PHONE_LIKE.find_iter(text) {
        if is_phone_number(m.as_str()) {
            push(FindingKind::Phone, m.as_str());
        }
    }
    for m in URL.find_iter(text) {
        if !inside_email(m.start()) {
            push(FindingKind::Url, m.as_str());
        }
    }
    for captures in HANDLE.captures_iter(text) {
        if let Some(handle) = captures.get(1) {
            push(FindingKind::Handle, handle.as_str());
        }
    }
    for m in OTHER_PERSON.find_iter(text) {
        push(FindingKind::OtherPersonsHealth, m.as_str());
    }
    for m in ABUSE.find_iter(text) {
        push(FindingKind::Abuse, m.as_str());
    }
    findings
}

/// A digit run counts as a phone number when it has at least 9 digits, or starts with `+` and has
/// at least 7. Shorter runs are prices, years, dates ("12.03.2025" has 8) and scores.
fn is_phone_number(candidate: &str) -> bool {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    digits >= 9 || (candidate.starts_with('+') && digits >= 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        screen(text)
            .iter()
            .map(|f| match f.kind {
                FindingKind::Email => "email",
                FindingKind::Phone => "phone",
                FindingKind::Url => "url",
                FindingKind::Handle => "handle",
                FindingKind::OtherPersonsHealth => "other",
                FindingKind::Abuse => "abuse",
            })
            .collect()
    }

    #[test]
    fn an_ordinary_review_passes_good_or_bad() {
        for text in [
            "The staff were kind and the clinic was clean. My back pain is a little better after 3 months.",
            "Terrible experience: I paid 15 000 USD, waited 4 hours and my pain is unchanged since March 2027.",
            "Treated 12.03.2027, follow-up 2027-06-12. Pain went from 7/10 to 5/10.",
            "My wife came with me and the nurses were lovely to her.",
            "My wife had to wait outside, which she did not mind.",
            "I would rate them 2 out of 5; e.g. the invoice was unclear.",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }

    #[test]
    fn contact_details_are_found_and_quoted() {
        let findings = screen("Write to jane.doe@example.com or call +90 212 555 01 23 for details.");
        assert_eq!(findings.len(), 2);
        assert!(findings[0].message().contains("\"jane.doe@example.com\""));
        assert!(findings[0].message().starts_with("contains an email address"));
        assert!(findings[1].message().contains("+90 212 555 01 23"));
        assert_eq!(kinds("call me on 0212 555 0123 any time"), ["phone"]);
        assert_eq!(kinds("see https://example.com/reviews"), ["url"]);
        assert_eq!(kinds("see www.example.org"), ["url"]);
        assert_eq!(kinds("their site stemcellclinic.com is clear"), ["url"]);
        assert_eq!(kinds("find me on Instagram @jane_doe_88"), ["handle"]);
        assert_eq!(
            kinds("mail me: jane@example.com"),
            ["email"],
            "an email is not also a URL or handle"
        );
    }

    #[test]
    fn another_persons_health_is_found() {
        assert_eq!(
            kinds("My friend Maria has MS and she also went there."),
            ["other"]
        );
        assert_eq!(kinds("my husband was diagnosed with cancer last year"), ["other"]);
        assert_eq!(kinds("Our neighbour suffers from diabetes."), ["other"]);
        // Its limits, documented: a name without a relation word is not recognised.
        assert!(kinds("Maria has MS too.").is_empty());
    }

    #[test]
    fn abusive_words_are_found_as_whole_words_only() {
        assert_eq!(kinds("The manager is a bastard."), ["abuse"]);
        assert_eq!(kinds("What a load of BULLSHIT"), ["abuse"]);
        assert!(kinds("We stayed in Scunthorpe before; shitake soup was served.").is_empty());
    }

    #[test]
    fn dates_prices_and_years_are_not_phone_numbers() {
        for text in [
            "2019-2021",
            "12.03.2025",
            "USD 12,500",
            "between 1999 and 2001",
            "ODI 42 → 30",
        ] {
            assert!(kinds(text).is_empty(), "{text}");
        }
    }
}
