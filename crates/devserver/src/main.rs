//! `chat-devserver`: the local API Gateway (see `chat_devserver::cli`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    chat_devserver::cli(std::env::args().skip(1)).await
}
