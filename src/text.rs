//! Free text as the API accepts it, and the JSON Schema patterns that state the same rules in the
//! OpenAPI document (the `pattern` of every input text field is one of the constants below; the
//! tests check that each pattern and its Rust rule agree).
//!
//! Every text field refuses control characters other than tab, line feed and carriage return
//! (Unicode category Cc: U+0000–U+001F and U+007F–U+009F); a required text must also contain
//! something other than white space. Lengths are counted in characters (Unicode scalar values),
//! as JSON Schema's `maxLength` counts them.

/// Optional free text: no control characters other than tab, line feed and carriage return.
pub const FREE_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// Required text: as [`FREE_TEXT_PATTERN`], and not only white space.
pub const TEXT_PATTERN: &str = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// Whether `text` holds a control character other than tab, line feed and carriage return.
pub fn has_forbidden_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Whether `text` is acceptable optional free text of at most `max` characters.
pub fn is_free_text(text: &str, max: usize) -> bool {
    !has_forbidden_control(text) && text.chars().count() <= max
}

/// Whether `text` is acceptable required text of at most `max` characters (not only white space).
pub fn is_text(text: &str, max: usize) -> bool {
    is_free_text(text, max) && !text.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 16] = [
        "",
        " ",
        "\t\n\r ",
        "\u{a0}\u{3000}",
        "plain",
        "  padded  ",
        "line one\r\nline two\ttab",
        "caf\u{e9} \u{4e2d}\u{6587} \u{1f600}",
        "\u{0}",
        "nul\u{0}inside",
        "bell\u{7}",
        "\u{b}vertical tab",
        "\u{1c}",
        "c1\u{85}control",
        "\u{9f}",
        "\u{feff}",
    ];

    #[test]
    fn patterns_state_the_rules() {
        let free = regex::Regex::new(FREE_TEXT_PATTERN).expect("free text pattern");
        let text = regex::Regex::new(TEXT_PATTERN).expect("text pattern");
        for sample in SAMPLES {
            assert_eq!(
                free.is_match(sample),
                is_free_text(sample, usize::MAX),
                "free text {sample:?}"
            );
            assert_eq!(
                text.is_match(sample),
                is_text(sample, usize::MAX),
                "text {sample:?}"
            );
        }
    }

    #[test]
    fn control_characters_other_than_line_breaks_and_tabs_are_refused() {
        assert!(is_text("two\r\nlines\tand a tab", 100));
        assert!(!is_free_text("bell\u{7}", 100));
        assert!(!is_free_text("\u{85}", 100));
        assert!(!is_text("  \n ", 100));
        assert!(is_free_text("", 100));
        assert!(!is_free_text("abc", 2));
        assert!(is_text("\u{e9}\u{e9}", 2), "lengths count characters, not bytes");
    }
}
