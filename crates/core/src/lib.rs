//! The shared vocabulary of cocare: typed ids, roles, the acting person, timestamps.
//!
//! Architecture invariant: this crate does no I/O and knows nothing of HTTP or SQL.

mod actor;
mod consent;
mod ids;
mod role;
mod time;

pub use actor::{Actor, ActorKind, Grant};
pub use consent::{ConsentRecipient, SharedPart};
pub use ids::{AccountId, ConsentId, IdParseError, OrganisationId, PersonId, TeamId};
pub use role::{Role, UnknownRole};
pub use time::{Timestamp, format_timestamp, parse_timestamp};
