//! The media Lambda: S3 object-created events of the media bucket's `u/` prefix.
#![recursion_limit = "256"]

use std::sync::Arc;

use chat_apigw::ApiGwPoster;
use chat_core::config::Vars;
use chat_core::schema::{TableNames, env};
use chat_dynamo::DynamoStore;
use chat_media_fn::{Deps, handle};
use chat_s3::S3Blobs;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let vars = Vars::env();
    let bucket = vars.require(env::MEDIA_BUCKET)?;
    let callback = vars.require(env::CALLBACK_URL)?;
    let (data, bulk, post) = tokio::join!(
        chat_lambda::sdk_config(chat_lambda::Budget::Data),
        chat_lambda::sdk_config(chat_lambda::Budget::Bulk),
        chat_lambda::sdk_config(chat_lambda::Budget::Post)
    );
    let deps = Deps {
        store: DynamoStore::connect(&data, TableNames::from_vars(&vars)),
        blobs: Arc::new(S3Blobs::connect(&bulk, bucket)),
        poster: ApiGwPoster::new(&post, &callback),
    };
    run(service_fn(|event| chat_lambda::metrics::flushed("media", handle(&deps, event)))).await
}
