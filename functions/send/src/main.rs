//! The `send` Lambda: the deployed dependencies (`chat_send::aws_deps`) into
//! [`chat_send::handle`].
#![recursion_limit = "256"]

use chat_send::{aws_deps, handle};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let deps = aws_deps().await?;
    run(service_fn(|event| chat_lambda::metrics::flushed("send", handle(&deps, event)))).await
}
