//! `chat-devserver`: the local API Gateway (see `chat_devserver::cli`).

// Every frame and `@connections` post allocates; glibc's malloc spent a quarter of the
// devserver's time under load (much of it waiting on its arena locks). docs/benchmarks.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    chat_devserver::cli().await
}
