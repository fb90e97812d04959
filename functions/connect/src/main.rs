//! The `connect` Lambda (`$connect`, `$disconnect`): wires DynamoDB into
//! [`chat_connect::connection::handle`].
#![recursion_limit = "256"]

use chat_connect::connection::{Config, Deps, handle};
use chat_core::clock::SystemClock;
use chat_core::config::Vars;
use chat_dynamo::DynamoStore;
use chat_lambda::Budget;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let config = Config::from_vars(&Vars::env())?;
    let sdk = chat_lambda::sdk_config(Budget::Data).await;
    let deps = Deps {
        store: DynamoStore::connect(&sdk, config.tables),
        clock: SystemClock,
        max_connections: config.max_connections,
    };
    run(service_fn(|event| chat_lambda::metrics::flushed("connect", handle(&deps, event)))).await
}
