//! The `$connect` authorizer Lambda: builds the token verifier once (reading the HS256
//! secret from Secrets Manager, or fetching a JWKS) and runs
//! [`chat_connect::authorizer::handle`].

use chat_connect::authorizer::{handle, verifier_from_env};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let verifier = verifier_from_env().await?;
    run(service_fn(|event| handle(&verifier, event))).await
}
