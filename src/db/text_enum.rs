//! States stored as checked `text` columns (each table has a `CHECK (status IN (…))` constraint):
//! `text_enum!` declares the Rust enum once, with its wire name (serde, OpenAPI) and its database
//! mapping (diesel `Text`), so no state is ever written as a string literal outside its enum.
//!
//! ```ignore
//! crate::text_enum! {
//!     /// Where a listing stands in moderation.
//!     pub enum ListingStatus {
//!         /// Shown to patients.
//!         Published => "published",
//!         PendingReview => "pending_review",
//!     }
//! }
//! ```

/// An unknown state read from the database or a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownState {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a {}", self.value, self.kind)
    }
}

impl std::error::Error for UnknownState {}

#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every state, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored in the database and sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::db::text_enum::UnknownState;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::db::text_enum::UnknownState {
                        kind: stringify!($name),
                        value: value.to_owned(),
                    }),
                }
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        /// A test state.
        pub enum Light {
            Red => "red",
            /// Amber, between.
            Amber => "amber_light",
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_fail() {
        for light in Light::ALL {
            assert_eq!(light.as_str().parse::<Light>(), Ok(*light));
        }
        assert_eq!(serde_json::to_string(&Light::Amber).unwrap(), "\"amber_light\"");
        let error = "green".parse::<Light>().unwrap_err();
        assert_eq!(error.to_string(), "`green` is not a Light");
    }
}
