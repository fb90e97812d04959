//! The presence Lambda: the `presence` route and the connections table's stream.

use chat_apigw::{ApiGwPoster, CALLBACK_URL_ENV};
use chat_core::clock::SystemClock;
use chat_core::presence::DEFAULT_DEBOUNCE_MS;
use chat_core::schema::TableNames;
use chat_dynamo::DynamoStore;
use chat_lambda::Budget;
use chat_presence::{DEBOUNCE_ENV, Deps, handle};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let callback = std::env::var(CALLBACK_URL_ENV).map_err(|_| format!("{CALLBACK_URL_ENV} is not set"))?;
    let window_ms = match std::env::var(DEBOUNCE_ENV) {
        Ok(v) => v.parse().map_err(|_| format!("{DEBOUNCE_ENV} must be a number of milliseconds"))?,
        Err(_) => DEFAULT_DEBOUNCE_MS,
    };
    let (data, post) = tokio::join!(chat_lambda::sdk_config(Budget::Data), chat_lambda::sdk_config(Budget::Post));
    let deps = Deps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&data), TableNames::from_env()),
        poster: ApiGwPoster::new(&post, &callback),
        clock: SystemClock,
        window_ms,
    };
    run(service_fn(|event| handle(&deps, event))).await
}
