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
    #[schema(example = "Jane Doe", max_length = 200)]
    pub name: String,
    /// Email address.
    #[schema(example = "jane@example.com", max_length = 254)]
    pub email: String,
    /// Phone number in international format, optional.
    #[schema(example = "+44 20 7946 0958", max_length = 40)]
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country of residence.
    #[schema(example = "GB")]
    pub country_of_residence: String,
    /// BCP 47 language tag.
    #[schema(example = "en")]
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
