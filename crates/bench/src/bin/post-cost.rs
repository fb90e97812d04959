//! What one `@connections` post costs the devserver: CPU time per post through the real
//! SDK client (`ApiGwPoster::local`, as the functions post) and through a bare hyper client,
//! both against the same local HTTP server that answers 200, in one process.
//!
//! `cargo run --profile profiling -p chat-bench --bin post-cost [-- POSTS]`

use std::time::Instant;

use axum::Router;
use axum::routing::post;
use chat_core::ids::ConnectionId;
use chat_core::poster::Poster;
use http_body_util::{BodyExt, Full};

/// User + system CPU time of this process so far, seconds (from /proc; 10 ms ticks).
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    // Fields 14 and 15 (utime, stime) are 12 and 13 after the command name.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

async fn measure<F, Fut>(name: &str, posts: usize, concurrency: usize, post: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let (t, c) = (Instant::now(), cpu_s());
    let per = posts / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let post = post.clone();
            tokio::spawn(async move {
                let mut ok = 0;
                for i in 0..per {
                    ok += usize::from(post(w * per + i).await);
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap_or(0);
    }
    let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - c);
    println!(
        "| {name} | {concurrency} | {ok}/{} | {:.0} | {:.1} |",
        per * concurrency,
        (per * concurrency) as f64 / wall,
        cpu * 1e6 / (per * concurrency) as f64
    );
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let posts: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/local/{*rest}", post(|_body: axum::body::Bytes| async { "" }));
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });

    let sdk = chat_apigw::ApiGwPoster::local(&format!("http://{addr}/local"));
    let hyper = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let body = r#"{"type":"message","conversation":"dm:alice:bob","seq":1,"msgId":"01J","from":"alice","body":"hello there","ts":1}"#;
    let conn = ConnectionId::parse("L0SM9cOFvHcCIhw=")?;

    println!("| client | concurrency | posts ok | posts/s | CPU µs per post (client + server) |");
    println!("| --- | --- | --- | --- | --- |");
    for concurrency in [1, 16] {
        let (sdk, conn) = (sdk.clone(), conn.clone());
        measure("SDK PostToConnection", posts, concurrency, move |_| {
            let (sdk, conn) = (sdk.clone(), conn.clone());
            async move { sdk.post(&conn, body).await.is_ok() }
        })
        .await;
        let uri: hyper::Uri = format!("http://{addr}/local/%40connections/L0SM9cOFvHcCIhw%3D").parse()?;
        let hyper = hyper.clone();
        measure("bare hyper POST", posts, concurrency, move |_| {
            let (hyper, uri) = (hyper.clone(), uri.clone());
            async move {
                let req = hyper::Request::post(uri).body(Full::new(bytes::Bytes::from_static(body.as_bytes())));
                let Ok(req) = req else { return false };
                match hyper.request(req).await {
                    Ok(resp) => resp.status().is_success() && resp.into_body().collect().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
    }
    Ok(())
}
