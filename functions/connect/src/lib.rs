//! `chat-connect`: who may connect, and the record of who is connected.
//!
//! - [`authorizer`]: the `$connect` Lambda REQUEST authorizer (token in the query string).
//! - [`connection`]: the `$connect` and `$disconnect` routes.

pub mod authorizer;
pub mod connection;
