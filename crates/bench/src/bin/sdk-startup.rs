//! Where a function's cold start goes: times each step of building the AWS clients the way
//! the functions do (`cargo run --release -p chat-bench --bin sdk-startup`).

use std::time::Instant;

#[tokio::main]
async fn main() {
    let t = Instant::now();
    let lap = |what: &str, t: &mut Instant| {
        println!("{what:<40} {:>8.3} ms", t.elapsed().as_secs_f64() * 1000.0);
        *t = Instant::now();
    };
    let mut t2 = t;
    let sdk = chat_lambda::sdk_config_with(chat_lambda::Budget::Data, |k| match k {
        "AWS_LAMBDA_FUNCTION_NAME" => Some("bench".into()),
        "AWS_REGION" => Some("us-east-1".into()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("bench".into()),
        _ => None,
    })
    .await;
    lap("SdkConfig from the environment", &mut t2);
    let _a = aws_sdk_dynamodb::Client::new(&sdk);
    lap("first DynamoDB client", &mut t2);
    let _b = aws_sdk_dynamodb::Client::new(&sdk);
    lap("second DynamoDB client", &mut t2);
    chat_lambda::init_tracing();
    lap("tracing subscriber", &mut t2);
    println!("{:<40} {:>8.3} ms", "total", t.elapsed().as_secs_f64() * 1000.0);
}
