//! `chat-dynamo`: the chat stores on DynamoDB (docs/data-model.md).
//!
//! - [`DynamoStore`]: connections and inboxes, implementing `chat_core`'s store traits.
//! - [`items`]: item <-> domain conversions, each with a unit test.
//! - `inbox`: the inbox store; `append` / `fanout` store a message for every participant,
//!   gap-free and once (one transaction up to 49 participants; resumable chunks beyond),
//!   from `txn`'s building blocks, serialized in-process by `locks`.
//! - `groups`, `receipts`, `social`, `budgets`, [`accounts`]: the group, receipt,
//!   presence, push, request-budget and ban stores.
//! - [`changes`]: stream records to the changes events are built from (the events
//!   function).
//! - `backfill`: conversation summaries for inboxes written before they existed
//!   ([`DynamoStore::backfill_summaries`], run by `chat-admin`).
//! - `retention`: entries' expiry (TTL), and the readers that leave expired ones out.
//! - [`tables`]: creating the tables (devserver `--dynamodb`, tests); the CDK stack
//!   creates them in AWS from the same `chat_core::schema`.

mod account_jobs;
pub mod accounts;
mod append;
mod backfill;
mod blocks;
mod budgets;
pub mod changes;
mod conversations;
pub mod erasure;
pub mod export;
mod fanout;
mod group_admin;
mod groups;
mod holders;
mod inbox;
pub mod items;
mod locks;
mod mutes;
mod receipts;
pub mod reports;
mod retention;
mod rich;
mod social;
mod store;
pub mod tables;
mod txn;
mod uploads;

pub use backfill::{BackfillReport, MAX_SEGMENTS};
pub use store::DynamoStore;

use aws_sdk_dynamodb::error::SdkError;

/// Wraps an SDK error as a store error, keeping it as the source.
pub(crate) fn unavailable<E, R>(e: SdkError<E, R>) -> chat_core::store::StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    chat_core::store::StoreError::Unavailable(Box::new(e))
}
