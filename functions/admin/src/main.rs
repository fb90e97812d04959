//! The `admin` Lambda: the server API's router (`chat_server_api::router`) behind an
//! `AWS_IAM` function URL, run by `lambda_http` (the runtime's own HTTP adapter), with the
//! send function's own dependencies (`chat_send::aws_deps`).
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_http::{Error, run};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_lambda::init_tracing();
    let deps = chat_send::aws_deps().await?;
    // Each request's counters (hook failures, internal errors) go out as one EMF line, as
    // the other functions' invocations do.
    let app = chat_server_api::router(Arc::new(deps)).layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| {
            chat_lambda::metrics::flushed("admin", next.run(request))
        },
    ));
    run(app).await
}
