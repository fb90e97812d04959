//! Validated identifiers. Raw strings from tokens, frames and events become these types at
//! the edge; the rest of the code never sees an unchecked id.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty or longer than allowed.
    #[error("{what} must be 1 to {max} characters long")]
    Length {
        /// Which identifier was being parsed.
        what: &'static str,
        /// The longest allowed length.
        max: usize,
    },
    /// The string contains a character outside the allowed set.
    #[error("{what} may only contain {allowed}")]
    Charset {
        /// The characters it may contain, in words.
        allowed: &'static str,
        /// Which identifier was being parsed.
        what: &'static str,
    },
    /// The string contains a control character.
    #[error("{what} must not contain control characters")]
    Control {
        /// Which identifier was being parsed.
        what: &'static str,
    },
    /// A conversation id that is neither `dm:<a>:<b>` (sorted) nor `group:<id>`.
    #[error("conversation must be dm:<a>:<b> with a < b, or group:<id>")]
    Conversation,
}

/// The characters of device and group ids.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}
const ID_CHARS: &str = "letters, digits, '.', '_' and '-'";

/// The characters of user ids: those of other ids, and what the `sub` of common identity
/// providers holds (`auth0|64f1c2a9`, `google-oauth2|1098…`, `ann+chat@example.com`).
/// Never `:` (the `dm:<a>:<b>` form), `#` (storage keys), `/`, space or control characters.
fn is_user_char(c: char) -> bool {
    is_id_char(c) || matches!(c, '|' | '@' | '+')
}
const USER_CHARS: &str = "letters, digits, '.', '_', '-', '|', '@' and '+'";

fn check_token(
    s: &str,
    what: &'static str,
    max: usize,
    ok: fn(char) -> bool,
    allowed: &'static str,
) -> Result<(), IdError> {
    if s.is_empty() || s.len() > max {
        return Err(IdError::Length { what, max });
    }
    if !s.chars().all(ok) {
        return Err(IdError::Charset { what, allowed });
    }
    Ok(())
}

macro_rules! token_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr, $ok:expr, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks `s` (1 to the maximum length, `[A-Za-z0-9._-]`) and wraps it.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_token(s, $what, $max, $ok, $allowed)?;
                Ok(Self(s.to_owned()))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        string_schema!($name, concat!("A ", $what, ", 1-", stringify!($max), " characters (docs/protocol.md)."));
    };
}

/// A JSON Schema for an id type that is a string on the wire.
macro_rules! string_schema {
    ($name:ident, $description:expr) => {
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "description": $description})
            }
        }
    };
}

token_id!(
    /// A user id: the verified token's `sub`, 1-128 chars of `[A-Za-z0-9._|@+-]`, so the
    /// subjects of common OIDC providers and e-mail addresses are user ids as they are.
    UserId, "user id", 128, is_user_char, USER_CHARS
);
token_id!(
    /// A device id from the `device` query parameter, 1-64 chars of `[A-Za-z0-9._-]`.
    DeviceId, "device id", 64, is_id_char, ID_CHARS
);
token_id!(
    /// A group id, 1-64 chars of `[A-Za-z0-9._-]` (server-assigned ULIDs fit).
    GroupId, "group id", 64, is_id_char, ID_CHARS
);

/// The client's id for a message it sends (1-64 chars), the key of idempotent resends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientMsgId(String);

impl ClientMsgId {
    /// Any 1-64 characters without control characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let what = "clientMsgId";
        if s.is_empty() || s.chars().count() > 64 {
            return Err(IdError::Length { what, max: 64 });
        }
        if s.chars().any(char::is_control) {
            return Err(IdError::Control { what });
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientMsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A server-assigned message id: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(String);

impl MsgId {
    /// A fresh ULID for a message created at `ts_ms`.
    pub fn generate(ts_ms: u64) -> Self {
        let ulid = ulid::Ulid::from_parts(ts_ms, rand_bits());
        Self(ulid.to_string())
    }

    /// Accepts a 26-character ULID string, as clients send back in receipts.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        match ulid::Ulid::from_string(s) {
            Ok(u) => Ok(Self(u.to_string())),
            Err(_) => Err(IdError::Charset { what: "msgId", allowed: "a ULID (26 letters and digits)" }),
        }
    }

    /// Wraps an id read back from storage, where it was validated on the way in.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn rand_bits() -> u128 {
    // A ULID's random part comes from the same generator `Ulid::new` uses.
    ulid::Ulid::new().random()
}

/// An API Gateway connection id, as the gateway assigned it. Opaque to us.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(String);

impl ConnectionId {
    /// Wraps a gateway-assigned id; only length is checked (API Gateway ids are ~16 chars).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() || s.len() > 128 || s.contains('/') {
            return Err(IdError::Length { what: "connection id", max: 128 });
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A conversation: a 1:1 chat between two users (sorted bytewise) or a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Conversation {
    /// `dm:<a>:<b>` with `a <= b`.
    Direct(UserId, UserId),
    /// `group:<id>`.
    Group(GroupId),
}

impl Conversation {
    /// The 1:1 conversation of two users, whichever order they are given in.
    pub fn direct(a: &UserId, b: &UserId) -> Self {
        if a <= b { Self::Direct(a.clone(), b.clone()) } else { Self::Direct(b.clone(), a.clone()) }
    }

    /// Parses `dm:<a>:<b>` (a <= b bytewise) or `group:<id>`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if let Some(rest) = s.strip_prefix("dm:") {
            let (a, b) = rest.split_once(':').ok_or(IdError::Conversation)?;
            let (a, b) = (UserId::parse(a)?, UserId::parse(b)?);
            if a > b {
                return Err(IdError::Conversation);
            }
            return Ok(Self::Direct(a, b));
        }
        if let Some(g) = s.strip_prefix("group:") {
            return Ok(Self::Group(GroupId::parse(g)?));
        }
        Err(IdError::Conversation)
    }

    /// Whether `user` takes part in this 1:1 conversation (always false for groups:
    /// group membership lives in the store).
    pub fn is_direct_participant(&self, user: &UserId) -> bool {
        matches!(self, Self::Direct(a, b) if a == user || b == user)
    }
}

impl fmt::Display for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Direct(a, b) => write!(f, "dm:{a}:{b}"),
            Self::Group(g) => write!(f, "group:{g}"),
        }
    }
}

impl Serialize for Conversation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

string_schema!(ClientMsgId, "The client's own id of a message it sends (1-64 characters): the idempotency key.");
string_schema!(MsgId, "The server's id of a message: a ULID, the same for every participant.");
string_schema!(Conversation, "`dm:<a>:<b>` (the two user ids sorted bytewise) or `group:<groupId>`.");

impl<'de> Deserialize<'de> for Conversation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(s: &str) -> UserId {
        UserId::parse(s).expect("valid user id")
    }

    #[test]
    fn user_ids_accept_the_documented_charset_and_length() {
        assert!(UserId::parse("alice.B_9-x").is_ok());
        assert!(UserId::parse(&"a".repeat(128)).is_ok());
        assert_eq!(UserId::parse(&"a".repeat(129)), Err(IdError::Length { what: "user id", max: 128 }));
        for bad in ["", "al ice", "al:ice", "élan", "a#b", "a/b", "a\nb"] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_subjects_of_common_identity_providers_are_user_ids() {
        for sub in [
            "auth0|64f1c2a9",
            "google-oauth2|109876543210",
            "ann+chat@example.com",
            "0f6a2d53-8b8e-4c6e-9f0a-1d2b3c4d5e6f",
        ] {
            assert_eq!(UserId::parse(sub).map(|u| u.to_string()), Ok(sub.to_owned()));
        }
        let c = Conversation::direct(&user("auth0|64f1c2a9"), &user("ann+chat@example.com"));
        assert_eq!(Conversation::parse(&c.to_string()), Ok(c), "dm:<a>:<b> still parses");
        assert!(DeviceId::parse("phone|1").is_err(), "only user ids widen");
    }

    #[test]
    fn a_direct_conversation_sorts_its_users_bytewise() {
        let c = Conversation::direct(&user("bob"), &user("Alice"));
        assert_eq!(c.to_string(), "dm:Alice:bob");
        assert_eq!(Conversation::parse("dm:Alice:bob"), Ok(c));
    }

    #[test]
    fn unsorted_or_malformed_conversations_are_rejected() {
        assert!(Conversation::parse("dm:bob:alice").is_err());
        assert!(Conversation::parse("dm:alice").is_err());
        assert!(Conversation::parse("chan:x").is_err());
        assert!(Conversation::parse("group:").is_err());
        assert!(Conversation::parse("group:g1").is_ok());
    }

    #[test]
    fn client_msg_ids_allow_any_printable_text_up_to_64_chars() {
        assert!(ClientMsgId::parse("c-1 ü").is_ok());
        assert!(ClientMsgId::parse(&"é".repeat(64)).is_ok());
        assert!(ClientMsgId::parse(&"é".repeat(65)).is_err());
        assert!(ClientMsgId::parse("a\nb").is_err());
        assert!(ClientMsgId::parse("").is_err());
    }

    #[test]
    fn msg_ids_are_ulids_that_sort_by_time() {
        let a = MsgId::generate(1_000);
        let b = MsgId::generate(2_000);
        assert!(a < b);
        assert_eq!(MsgId::parse(a.as_str()), Ok(a));
        assert!(MsgId::parse("not-a-ulid").is_err());
    }
}
