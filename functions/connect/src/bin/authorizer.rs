//! The `$connect` authorizer Lambda: builds the token verifier once (no AWS clients) and
//! runs [`chat_connect::authorizer::handle`].

use chat_auth::{AuthConfig, Verifier};
use chat_connect::authorizer::handle;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let verifier = Verifier::new(&AuthConfig::from_env()?).await?;
    run(service_fn(|event| handle(&verifier, event))).await
}
