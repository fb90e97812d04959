//! End-to-end tests over real WebSockets against the devserver: one test binary (as
//! zero2prod's `tests/api/main.rs`), one module per area. Each suite runs twice, on the
//! embedded store and with `--dynamodb` against a DynamoDB API (moto in CI); the helpers
//! (`spawn`, `TestServer`, `Client`, `suite!`) are the `chat_e2e` library in `support/`.

mod abuse;
mod accounts;
mod chat;
mod conversations;
mod devserver;
mod events_stream;
mod export;
mod groups;
mod hooks;
mod media;
mod presence_push;
mod reliability;
mod retention;
mod rich;
mod safety;
mod server_api;
