//! `chat-core`: everything the chat functions share that is not I/O.
//!
//! Layout:
//! - [`ids`]: validated identifiers (user, device, group, message, connection, conversation).
//! - [`protocol`]: client frames parsed into requests, and the frames the server sends.
//! - [`message`]: inbox entries, new messages, acks.
//! - [`group`]: group membership rules.
//! - [`events`]: the events the app's backend hears of, built from stored changes.
//! - [`export`]: what an account export's file holds, line by line.
//! - [`hook`]: the pre-send hook port (the app's check before a message is stored).
//! - [`store`]: the storage traits, the in-memory/journaled store and the conformance suite.
//! - [`poster`]: the trait for posting to connections (`@connections`).
//! - [`presence`]: presence rules (online, lastSeen, debounce).
//! - [`push`]: push requests and per-platform notification payloads.
//! - [`rich`]: replies, reactions and mentions.
//! - [`ratelimit`]: per-connection token buckets for sends.
//! - [`schema`]: table names and key attributes, shared with the CDK stack.
//! - [`clock`]: injected time.
//! - [`retention`]: how long inbox entries are kept, and what readers leave out.
//! - [`config`]: settings read through a lookup, with errors that name the variable.

/// A boxed error from a backend (storage, `@connections`, SNS), kept as the `#[source]` of
/// the error the caller sees, never turned into a string.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error and its sources, outermost first, joined with `: `: what every error log line
/// carries, so a log says why, not only "store unavailable".
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

pub mod clock;
pub mod config;
pub mod events;
pub mod export;
pub mod group;
pub mod hook;
pub mod ids;
pub mod media;
pub mod message;
pub mod poster;
pub mod presence;
pub mod protocol;
pub mod push;
pub mod ratelimit;
pub mod retention;
pub mod rich;
pub mod schema;
pub mod store;
