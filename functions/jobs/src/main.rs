//! The `jobs` Lambda: account deletions from the state table's stream (`chat_jobs::handle`),
//! with the send function's own dependencies and SNS for deleting push endpoints.

#![recursion_limit = "256"]

use chat_core::config::Vars;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let deps = chat_send::aws_deps().await?;
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let notifier =
        chat_sns::SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), chat_sns::PlatformApps::from_vars(&Vars::env()));
    run(service_fn(|event| chat_lambda::metrics::flushed("jobs", chat_jobs::handle(&deps, &notifier, event)))).await
}
