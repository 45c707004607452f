//! Typed ids: a `QuoteId` cannot be passed where a `ClinicId` is expected. Each is a UUID on the
//! wire and in the database (diesel `Uuid`, serde transparent); wire types keep plain `Uuid` fields
//! so the OpenAPI document names no id types, and domain and repo functions take the typed ids.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// The UUID, for wire types and logs.
            pub const fn uuid(self) -> uuid::Uuid {
                self.0
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <uuid::Uuid as diesel::serialize::ToSql<diesel::sql_types::Uuid, diesel::pg::Pg>>::to_sql(
                    &self.0, out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Uuid, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <uuid::Uuid as diesel::deserialize::FromSql<diesel::sql_types::Uuid, diesel::pg::Pg>>::from_sql(
                    bytes,
                )
                .map(Self)
            }
        }
    };
}

id_type!(
    /// A clinic (`clinics.id`).
    ClinicId
);
id_type!(
    /// A treatment package (`treatment_packages.id`).
    PackageId
);
id_type!(
    /// A patient's quote request (`quotes.id`).
    QuoteId
);
id_type!(
    /// A clinic's firm offer on a quote (`offers.id`).
    OfferId
);
id_type!(
    /// A partner organisation (`partners.id`).
    PartnerId
);
id_type!(
    /// An API key (`api_keys.id`).
    ApiKeyId
);
id_type!(
    /// A partner's webhook endpoint (`webhook_endpoints.id`).
    WebhookEndpointId
);
id_type!(
    /// A patient's verified review of a clinic (`reviews.id`).
    ReviewId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_on_the_wire() {
        let uuid = uuid::Uuid::now_v7();
        let id = QuoteId::from(uuid);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{uuid}\""));
        assert_eq!(
            serde_json::from_str::<QuoteId>(&format!("\"{uuid}\"")).unwrap(),
            id
        );
        assert_eq!(id.to_string(), uuid.to_string());
    }
}
