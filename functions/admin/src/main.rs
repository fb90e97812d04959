//! The `admin` Lambda: the server API's router (`chat_server_api::router`) behind an
//! `AWS_IAM` function URL, run by `lambda_http` (the runtime's own HTTP adapter).
#![recursion_limit = "256"]

use std::sync::Arc;

use chat_apigw::ApiGwPoster;
use chat_core::clock::SystemClock;
use chat_core::config::Vars;
use chat_dynamo::DynamoStore;
use chat_send::{Config, Deps, Media};
use chat_sns::TopicQueue;
use lambda_http::{Error, run};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let vars = Vars::env();
    let config = Config::from_vars(&vars)?;
    let (data, post) = chat_lambda::sdk_configs().await;
    let media = match vars.get(chat_core::schema::env::MEDIA_BUCKET) {
        None => None,
        Some(bucket) => Some(Media {
            blobs: Arc::new(chat_s3::S3Blobs::connect(&data, bucket)),
            policy: chat_core::media::UploadPolicy::from_vars(&vars)?,
        }),
    };
    let deps = Deps {
        store: DynamoStore::connect(&data, config.route.tables),
        poster: ApiGwPoster::new(&post, &config.route.callback_url),
        clock: SystemClock,
        push: config.push_topic_arn.map(|arn| TopicQueue::new(aws_sdk_sns::Client::new(&data), arn)),
        limits: config.route.limits,
        media,
        hook: chat_invoke::hook_from_vars(&vars, &data)?,
        moderation: chat_send::Moderation::from_vars(&vars)?,
    };
    // Each request's counters (hook failures, internal errors) go out as one EMF line, as
    // the other functions' invocations do.
    let app = chat_server_api::router(Arc::new(deps)).layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| {
            chat_lambda::metrics::flushed("admin", next.run(request))
        },
    ));
    run(app).await
}
