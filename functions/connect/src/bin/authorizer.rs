//! The `$connect` authorizer Lambda: builds the token verifier once (reading the HS256
//! secret from Secrets Manager, or fetching a JWKS) and runs
//! [`chat_connect::authorizer::handle`] with the state table for bans.

use chat_connect::authorizer::{handle, verifier_from_env};
use chat_core::clock::{Clock, SystemClock};
use chat_core::schema::TableNames;
use chat_dynamo::DynamoStore;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let (verifier, sdk) = tokio::join!(verifier_from_env(), chat_lambda::sdk_config(chat_lambda::Budget::Data));
    let verifier = verifier?;
    // Bans: the state table's account items (its role may read nothing else).
    let accounts = DynamoStore::connect(&sdk, TableNames::from_env());
    run(service_fn(|event| {
        chat_lambda::aws_log::function("authorizer", handle(&verifier, &accounts, SystemClock.now_ms(), event))
    }))
    .await
}
