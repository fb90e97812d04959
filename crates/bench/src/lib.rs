//! `chat-bench`: benchmarks that print tables (docs/benchmarks.md has the figures).
//!
//! - [`load`]: the WebSocket load generator.
//! - [`relay`]: the bare relay, the floor the devserver is compared with.
//! - [`coldstart`]: the cold-start meter with a Lambda Runtime API stub.
//! - [`stats`]: percentiles of latencies and times.

pub mod coldstart;
pub mod load;
pub mod relay;
pub mod stats;
