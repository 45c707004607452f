//! The patient's contact details: encrypted as one JSON document, never logged.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::crypto::DataKey;
use crate::error::ApiError;

/// How to reach the patient. Only the patient, staff, and a clinic whose offer was accepted see it.
#[derive(Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PatientContact {
    /// Full name (1–200 characters).
    #[schema(
        example = "Jane Doe",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// Email address (at most 254 characters).
    #[schema(example = "jane@example.com", format = "email", max_length = 254)]
    pub email: String,
    /// Phone number in international format (6–20 digits), optional.
    #[schema(
        example = "+44 20 7946 0958",
        min_length = 6,
        max_length = 40,
        pattern = r"^[0-9 +().-]+$"
    )]
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country of residence.
    #[schema(example = "GB", min_length = 2, max_length = 2, pattern = "^[A-Z]{2}$")]
    pub country_of_residence: String,
    /// BCP 47 language tag (at most 35 characters).
    #[schema(
        example = "en",
        min_length = 2,
        max_length = 35,
        pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
    )]
    pub preferred_language: String,
}

// Deliberately uninformative: personal data must not reach logs through `{:?}`.
impl std::fmt::Debug for PatientContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientContact(<redacted>)")
    }
}

impl PatientContact {
    pub fn seal(&self, key: &DataKey) -> Vec<u8> {
        key.encrypt(&serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn open(key: &DataKey, sealed: &[u8]) -> Result<Self, ApiError> {
        let bytes = key.decrypt(sealed).map_err(ApiError::internal)?;
        serde_json::from_slice(&bytes).map_err(ApiError::internal)
    }

    /// The address as compared for limits: trimmed and lower-cased.
    pub fn normalised_email(&self) -> String {
        self.email.trim().to_lowercase()
    }
}

pub fn seal_text(key: &DataKey, text: &str) -> Vec<u8> {
    key.encrypt(text.as_bytes())
}

pub fn open_text(key: &DataKey, sealed: &[u8]) -> Result<String, ApiError> {
    let bytes = key.decrypt(sealed).map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}
