//! The cold-start baseline: a hello-world `lambda_runtime` function, built with the same
//! profile as the chat functions.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(event.payload) })).await
}
