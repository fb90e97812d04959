//! Cold start: the time from spawning a function binary to its first request for an event
//! from the Lambda Runtime API (served here by a stub), with its peak memory at that point.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::stats::Summary;

type Waiter = Arc<Mutex<Option<oneshot::Sender<Instant>>>>;

/// One binary's cold start.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Spawn to first `GET /runtime/invocation/next`, ms.
    pub init_ms: Summary,
    /// Peak resident memory (VmHWM) when it asked for its first event, MB.
    pub peak_mb: f64,
}

async fn stub() -> anyhow::Result<(String, Waiter)> {
    let waiter: Waiter = Arc::default();
    let w = waiter.clone();
    let next = move || {
        let w = w.clone();
        async move {
            let now = Instant::now();
            if let Some(tx) = w.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = tx.send(now);
            }
            // Hold the request open: the function waits for an event that never comes.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            ""
        }
    };
    let app = axum::Router::new().route("/2018-06-01/runtime/invocation/next", axum::routing::get(next));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, waiter))
}

fn peak_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Starts `binary` `runs` times against a Runtime API stub.
pub async fn measure(binary: &Path, runs: usize) -> anyhow::Result<ColdStart> {
    let (api, waiter) = stub().await?;
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0.0f64;
    for _ in 0..runs {
        let (tx, rx) = oneshot::channel();
        *waiter.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        let t0 = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("CHAT_CALLBACK_URL", "https://example.execute-api.us-east-1.amazonaws.com/prod")
            .env("CHAT_JWT_SECRET", "bench-secret-bench-secret-bench-secret")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let at = tokio::time::timeout(Duration::from_secs(10), rx).await??;
        times.push(at.duration_since(t0).as_secs_f64() * 1000.0);
        if let Some(pid) = child.id() {
            peak = peak.max(peak_mb(pid));
        }
        child.kill().await?;
    }
    Ok(ColdStart { init_ms: Summary::of(times), peak_mb: peak })
}
