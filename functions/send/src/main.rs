//! The `send` Lambda: wires DynamoDB, `@connections` and the clock into [`chat_send::handle`].
#![recursion_limit = "256"]

use chat_apigw::{ApiGwPoster, CALLBACK_URL_ENV};
use chat_core::clock::SystemClock;
use chat_core::ratelimit::{RateLimit, RateLimiter};
use chat_core::schema::TableNames;
use chat_dynamo::DynamoStore;
use chat_lambda::Budget;
use chat_send::{Deps, handle};
use chat_sns::TopicQueue;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let callback = std::env::var(CALLBACK_URL_ENV).map_err(|_| format!("{CALLBACK_URL_ENV} is not set"))?;
    let (data, post) = tokio::join!(chat_lambda::sdk_config(Budget::Data), chat_lambda::sdk_config(Budget::Post));
    let deps = Deps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&data), TableNames::from_env()),
        poster: ApiGwPoster::new(&post, &callback),
        clock: SystemClock,
        push: std::env::var(chat_sns::env::TOPIC_ARN)
            .ok()
            .filter(|arn| !arn.is_empty())
            .map(|arn| TopicQueue::new(aws_sdk_sns::Client::new(&data), arn)),
        limiter: RateLimiter::new(RateLimit::from_env()),
    };
    run(service_fn(|event| handle(&deps, event))).await
}
