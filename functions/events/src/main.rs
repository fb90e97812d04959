//! The `events` Lambda: DynamoDB stream batches (state and groups tables) in, chat events
//! out to EventBridge (`chat_events::handle`).

use chat_core::config::Vars;
use chat_core::schema::{TableNames, env};
use chat_dynamo::DynamoStore;
use chat_events::{Bus, Deps, handle};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let vars = Vars::env();
    let bus = vars.require(env::EVENT_BUS_NAME)?;
    let source = vars.get(env::EVENT_SOURCE).unwrap_or_else(|| chat_events::DEFAULT_SOURCE.to_owned());
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let deps = Deps {
        store: DynamoStore::connect(&sdk, TableNames::from_vars(&vars)),
        sink: Bus::new(aws_sdk_eventbridge::Client::new(&sdk), bus, source),
    };
    run(service_fn(|event| chat_lambda::metrics::flushed("events", handle(&deps, event)))).await
}
