//! Schemas of the items of input string lists, with the bounds the server checks on each item.
//! Fields name them with `#[schema(value_type = Vec<items::Slug>, inline)]`: a derived `Vec<String>`
//! cannot carry an item's `maxLength` or `pattern`. The patterns come from `text` and the
//! validation code each type names, so the document and the checks share one definition.

use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

use crate::text::{FREE_TEXT_PATTERN, TEXT_PATTERN};

/// A catalogue slug (conditions, cell types, clinics): lower-case words joined by hyphens.
pub const SLUG_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// Whether `slug` matches [`SLUG_PATTERN`] and is at most 100 characters long.
pub fn is_slug(slug: &str) -> bool {
    slug.len() <= 100
        && slug.split('-').all(|word| {
            !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// An inclusion vocabulary code, such as `cell_extraction`.
pub const VOCABULARY_CODE_PATTERN: &str = "^[a-z0-9_]+$";

/// The committed seed file of the inclusion vocabulary: the spec's [`InclusionCode`] enum is read
/// from it, so the document and the seeded table cannot drift.
const INCLUSION_VOCABULARY_SEED: &str = include_str!("../../seeds/catalogue/inclusion_vocabulary.json");

/// The codes of the seeded inclusion vocabulary, in its order (empty if the file does not parse:
/// the seed loader and a unit test refuse such a file first).
pub fn inclusion_codes() -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Item {
        code: String,
    }
    serde_json::from_str::<Vec<Item>>(INCLUSION_VOCABULARY_SEED)
        .map(|items| items.into_iter().map(|item| item.code).collect())
        .unwrap_or_default()
}

/// A code of the inclusion vocabulary (component `InclusionCode`): what a package or offer says
/// is included, excluded or unknown.
pub struct InclusionCode;

impl utoipa::PartialSchema for InclusionCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A code of the inclusion vocabulary (what a price includes, excludes or leaves \
                 unknown). `GET /v1/inclusion-items` gives each code's label, description and \
                 source.",
            ))
            .enum_values(Some(inclusion_codes()))
            .examples(["diagnostics"])
            .into()
    }
}

impl utoipa::ToSchema for InclusionCode {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("InclusionCode")
    }
}

/// A BCP 47 tag of the common shape (see `plausible_language_tag`).
pub const LANGUAGE_TAG_PATTERN: &str = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$";

/// The longest language tag accepted (RFC 5646 §4.4.1 asks implementations to support 35).
pub const MAX_LANGUAGE_TAG: usize = 35;

macro_rules! item_schema {
    ($(#[doc = $doc:literal])* $name:ident, $min:expr, $max:expr, $pattern:expr) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length($min)
                    .max_length(Some($max))
                    .pattern(Some($pattern))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

item_schema!(
    /// Listing text of 1–100 characters (`partner_listings::input::Errors::text`).
    Text100, Some(1), 100, TEXT_PATTERN
);
item_schema!(
    /// Listing text of 1–200 characters.
    Text200, Some(1), 200, TEXT_PATTERN
);
item_schema!(
    /// Listing text of 1–1,000 characters.
    Text1000, Some(1), 1000, TEXT_PATTERN
);
item_schema!(
    /// Free text of at most 200 characters (`text::is_free_text`).
    FreeText200, None, 200, FREE_TEXT_PATTERN
);
item_schema!(
    /// Free text of at most 2,000 characters.
    FreeText2000, None, 2000, FREE_TEXT_PATTERN
);
item_schema!(
    /// A catalogue slug; it must also exist.
    Slug, Some(1), 100, SLUG_PATTERN
);
item_schema!(
    /// An inclusion vocabulary code; it must also exist.
    VocabularyCode, Some(1), 100, VOCABULARY_CODE_PATTERN
);
item_schema!(
    /// An ISO 3166-1 alpha-2 code in upper case; it must also be listed.
    CountryCode, Some(2), 2, "^[A-Z]{2}$"
);
item_schema!(
    /// A BCP 47 language tag such as `en` or `es-MX`.
    LanguageTag, Some(2), MAX_LANGUAGE_TAG, LANGUAGE_TAG_PATTERN
);

/// A BCP 47 tag of the common shape: a 2–3 letter language, then optional 1–8 character subtags;
/// at most 35 characters in all.
pub fn plausible_language_tag(tag: &str) -> bool {
    if tag.len() > MAX_LANGUAGE_TAG {
        return false;
    }
    let mut parts = tag.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inclusion_code_enum_is_the_seeded_vocabulary() {
        let seeded: Vec<String> = serde_json::from_str::<serde_json::Value>(INCLUSION_VOCABULARY_SEED)
            .expect("the seed file parses")
            .as_array()
            .expect("a list")
            .iter()
            .map(|item| item["code"].as_str().expect("a code").to_owned())
            .collect();
        assert!(seeded.len() >= 10, "{seeded:?}");
        let schema =
            serde_json::to_value(<InclusionCode as utoipa::PartialSchema>::schema()).expect("schema");
        let listed: Vec<String> = schema["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .map(|code| code.as_str().expect("a code").to_owned())
            .collect();
        assert_eq!(listed, seeded);
        let pattern = regex::Regex::new(VOCABULARY_CODE_PATTERN).expect("pattern");
        assert!(listed.iter().all(|code| pattern.is_match(code)));
    }

    #[test]
    fn slug_pattern_states_the_rule() {
        let pattern = regex::Regex::new(SLUG_PATTERN).expect("pattern");
        for slug in [
            "bm-msc", "sciatica", "a1-b2-c3", "", "-a", "a-", "a--b", "A", "a_b", "a b",
        ] {
            assert_eq!(pattern.is_match(slug), is_slug(slug), "{slug:?}");
        }
    }

    #[test]
    fn language_pattern_states_the_rule() {
        let pattern = regex::Regex::new(LANGUAGE_TAG_PATTERN).expect("pattern");
        for tag in [
            "en",
            "es-MX",
            "pt-BR",
            "zh-Hant-TW",
            "e",
            "en-",
            "en_US",
            "toolong-x",
            "abcd",
            "en-123456789",
        ] {
            assert_eq!(pattern.is_match(tag), plausible_language_tag(tag), "{tag}");
        }
    }
}
