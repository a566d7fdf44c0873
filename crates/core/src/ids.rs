//! Newtype ids. An id never travels between crates as a bare `Uuid` or string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id in a URL, form or file was not a well-formed id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind} id")]
pub struct IdParseError {
    pub kind: &'static str,
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// An id derived from a number, for deterministic demo data.
            pub fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// Parses untrusted text (a path segment, a form field, a database column).
            pub fn parse(raw: &str) -> Result<Self, IdParseError> {
                Uuid::parse_str(raw.trim()).map(Self).map_err(|_| IdParseError { kind: $kind })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }
    };
}

id_type!(
    /// An organisation, such as an NHS trust or a voluntary-sector provider.
    OrganisationId,
    "organisation"
);
id_type!(
    /// A team within an organisation (a community mental health team, a crisis team).
    TeamId,
    "team"
);
id_type!(
    /// A sign-in account.
    AccountId,
    "account"
);
id_type!(
    /// A person whose care is recorded: a service user or a carer.
    PersonId,
    "person"
);
id_type!(
    /// One consent decision made by a service user.
    ConsentId,
    "consent"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = PersonId::new();
        assert_eq!(PersonId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn malformed_ids_name_their_kind() {
        let err = TeamId::parse("../etc/passwd").unwrap_err();
        assert_eq!(err.to_string(), "not a valid team id");
    }
}
