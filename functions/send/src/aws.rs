//! The dependencies as deployed, from the environment: DynamoDB, `@connections`, the push
//! topic, the media bucket, the pre-send hook and moderation settings. Built once per cold
//! start by the `send` function and by the server API's `admin` function, which serve the
//! same actions.

use chat_apigw::ApiGwPoster;
use chat_core::clock::SystemClock;
use chat_core::config::Vars;
use chat_dynamo::DynamoStore;
use chat_sns::TopicQueue;

use crate::{Config, Deps, Media, Moderation};

/// What the deployed functions run with.
pub type AwsDeps = Deps<DynamoStore, ApiGwPoster, SystemClock, Option<TopicQueue>>;

/// Reads the environment and builds the clients (presigning is local: no request).
pub async fn aws_deps() -> Result<AwsDeps, lambda_runtime::Error> {
    let vars = Vars::env();
    let config = Config::from_vars(&vars)?;
    let (data, post) = chat_lambda::sdk_configs().await;
    // Attachments when the stack has a media bucket.
    let media = match vars.get(chat_core::schema::env::MEDIA_BUCKET) {
        None => None,
        Some(bucket) => Some(Media {
            blobs: std::sync::Arc::new(chat_s3::S3Blobs::connect(&data, bucket)),
            policy: chat_core::media::UploadPolicy::from_vars(&vars)?,
        }),
    };
    Ok(Deps {
        store: DynamoStore::connect(&data, config.route.tables).with_retention(chat_core::retention::Retention::days(
            config.retention_days,
            std::sync::Arc::new(SystemClock),
        )),
        poster: ApiGwPoster::new(&post, &config.route.callback_url),
        clock: SystemClock,
        push: config.push_topic_arn.map(|arn| TopicQueue::new(aws_sdk_sns::Client::new(&data), arn)),
        limits: config.route.limits,
        media,
        hook: chat_invoke::hook_from_vars(&vars, &data)?,
        moderation: Moderation::from_vars(&vars)?,
    })
}
