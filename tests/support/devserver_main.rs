//! The devserver command as a binary of this package, so `cargo test` builds it and tests
//! that need a separate process (SIGKILL, captured logs) find it in CARGO_BIN_EXE_e2e-devserver.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    chat_devserver::cli().await
}
