//! The presence Lambda: the `presence` route and the connections table's stream.
#![recursion_limit = "256"]

use chat_apigw::ApiGwPoster;
use chat_core::clock::SystemClock;
use chat_core::config::Vars;
use chat_dynamo::DynamoStore;
use chat_presence::{Config, Deps, handle};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let config = Config::from_vars(&Vars::env())?;
    let (data, post) = chat_lambda::sdk_configs().await;
    let deps = Deps {
        store: DynamoStore::connect(&data, config.route.tables),
        poster: ApiGwPoster::new(&post, &config.route.callback_url),
        clock: SystemClock,
        window_ms: config.window_ms,
        limits: config.route.limits,
    };
    run(service_fn(|event| chat_lambda::metrics::flushed("presence", handle(&deps, event)))).await
}
