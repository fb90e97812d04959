//! The push Lambda: device registration routes and the push topic's subscription.
#![recursion_limit = "256"]

use chat_apigw::ApiGwPoster;
use chat_core::clock::SystemClock;
use chat_core::config::Vars;
use chat_dynamo::DynamoStore;
use chat_push::{Config, Deps, handle};
use chat_sns::{PlatformApps, SnsNotifier};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let vars = Vars::env();
    let config = Config::from_vars(&vars)?;
    let (data, post) = chat_lambda::sdk_configs().await;
    let deps = Deps {
        store: DynamoStore::connect(&data, config.tables),
        notifier: SnsNotifier::new(aws_sdk_sns::Client::new(&data), PlatformApps::from_vars(&vars)),
        poster: ApiGwPoster::new(&post, &config.callback_url),
        clock: SystemClock,
        limits: config.limits,
    };
    run(service_fn(|event| chat_lambda::metrics::flushed("push", handle(&deps, event)))).await
}
