//! The load generator: N WebSocket connections, connection i sending to connection i+1, each
//! with a window of unacknowledged messages (and optionally a fixed rate). Latency is
//! measured from the send to the recipient's `message` frame: the body carries the send
//! time, so no shared map sits on the hot path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::stats::Summary;

/// How clients get tokens.
#[derive(Debug, Clone)]
pub enum Tokens {
    /// Mint HS256 tokens with this secret and issuer (the devserver's, or a deployment's).
    Mint {
        /// The HS256 key.
        secret: Vec<u8>,
        /// The `iss` the endpoint requires.
        issuer: String,
    },
    /// No token (the bare relay).
    None,
}

/// One load run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// `ws://host:port/` (or `wss://…/stage`).
    pub url: String,
    /// Connections (= users).
    pub connections: usize,
    /// Messages each connection sends.
    pub messages: usize,
    /// Unacknowledged messages allowed per sender.
    pub window: usize,
    /// Messages per second per sender, if fixed.
    pub rate: Option<f64>,
    /// Body size in bytes.
    pub body_bytes: usize,
    /// Wait this long with every connection open before sending (memory can be read then).
    pub settle: Duration,
    /// Tokens.
    pub tokens: Tokens,
    /// Give up waiting for deliveries after this long.
    pub timeout: Duration,
    /// Show progress on stderr.
    pub progress: bool,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Time to open each connection (handshake done), ms.
    pub connect_ms: Summary,
    /// Messages sent and acknowledged.
    pub acked: u64,
    /// Messages delivered to their recipients.
    pub delivered: u64,
    /// Deliveries per second over the run.
    pub delivered_per_s: f64,
    /// Send-to-delivery latency, ms.
    pub latency_ms: Summary,
    /// Error frames, failed connects and broken sockets.
    pub errors: u64,
    /// Wall time of the sending phase.
    pub elapsed: Duration,
}

#[derive(Default)]
struct Counters {
    acked: AtomicU64,
    delivered: AtomicU64,
    errors: AtomicU64,
    sent: AtomicU64,
}

fn now_us(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

/// Runs the load and returns what it measured.
pub async fn run(cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    let run_id = ulid::Ulid::new().to_string()[20..].to_lowercase();
    let user = |i: usize| format!("b{run_id}-{i}");
    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(cfg.connections * cfg.messages)));

    // Open every connection first (at most 256 handshakes at once), timing each.
    let handshakes = Arc::new(Semaphore::new(256));
    let mut opening = Vec::with_capacity(cfg.connections);
    for i in 0..cfg.connections {
        let (url, handshakes, tokens, name) = (cfg.url.clone(), handshakes.clone(), cfg.tokens.clone(), user(i));
        opening.push(tokio::spawn(async move {
            let _permit = handshakes.acquire_owned().await?;
            let token = match &tokens {
                Tokens::Mint { secret, issuer } => chat_auth::dev::mint_for(secret, issuer, &name, unix_now(), 3600)?,
                Tokens::None => String::new(),
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            let t0 = Instant::now();
            let (ws, _) = tokio_tungstenite::connect_async_with_config(
                format!("{url}{sep}token={token}&user={name}"),
                None,
                true,
            )
            .await?;
            anyhow::Ok((ws, t0.elapsed()))
        }));
    }
    let mut sockets = Vec::with_capacity(cfg.connections);
    let mut connect_ms = Vec::with_capacity(cfg.connections);
    for o in opening {
        match o.await? {
            Ok((ws, took)) => {
                connect_ms.push(took.as_secs_f64() * 1000.0);
                sockets.push(Some(ws));
            }
            Err(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("connect failed: {e}");
                sockets.push(None);
            }
        }
    }
    let expected = (sockets.iter().flatten().count() * cfg.messages) as u64;
    if cfg.progress {
        eprintln!("  {} connections open", sockets.iter().flatten().count());
    }
    tokio::time::sleep(cfg.settle).await;

    let body_pad = "x".repeat(cfg.body_bytes.saturating_sub(24));
    let send_start = Instant::now();
    let mut tasks = Vec::with_capacity(cfg.connections);
    let n = cfg.connections;
    for (i, ws) in sockets.into_iter().enumerate() {
        let Some(ws) = ws else { continue };
        let (mut sink, mut stream) = ws.split();
        let window = Arc::new(Semaphore::new(cfg.window));
        let (reader_counters, latencies) = (counters.clone(), latencies.clone());
        let reader_window = window.clone();
        let reader = tokio::spawn(async move {
            let counters = reader_counters;
            let mut mine = Vec::new();
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                match frame["type"].as_str() {
                    Some("ack") => {
                        counters.acked.fetch_add(1, Ordering::Relaxed);
                        reader_window.add_permits(1);
                    }
                    Some("message") => {
                        let sent_us = frame["body"].as_str().and_then(|b| b.split(' ').next()?.parse::<u64>().ok());
                        if let Some(sent) = sent_us {
                            mine.push((now_us(send_start).saturating_sub(sent)) as u32);
                        }
                        counters.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Some("error") => {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                        reader_window.add_permits(1);
                    }
                    _ => {}
                }
            }
            latencies.lock().await.extend(mine);
        });
        let to = user((i + 1) % n);
        let (messages, rate, pad, counters) = (cfg.messages, cfg.rate, body_pad.clone(), counters.clone());
        let writer = tokio::spawn(async move {
            // At a fixed rate, senders are spread evenly over one period rather than all
            // sending in the same instant.
            let mut ticker = rate.map(|r| {
                let period = Duration::from_secs_f64(1.0 / r.max(0.001));
                let phase = period.mul_f64(i as f64 / n as f64);
                tokio::time::interval_at(tokio::time::Instant::now() + phase, period)
            });
            for m in 0..messages {
                if let Some(t) = ticker.as_mut() {
                    t.tick().await;
                }
                match window.acquire().await {
                    Ok(p) => p.forget(),
                    Err(_) => break,
                }
                let body = format!("{} {pad}", now_us(send_start));
                let frame = json!({"action":"send","to":to,"clientMsgId":format!("{i}-{m}"),"body":body});
                if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                counters.sent.fetch_add(1, Ordering::Relaxed);
            }
            sink
        });
        tasks.push((writer, reader));
    }

    // Wait for every delivery (or the timeout), showing progress.
    let deadline = Instant::now() + cfg.timeout;
    let mut last_delivery = Instant::now();
    let mut last_count = 0;
    loop {
        let delivered = counters.delivered.load(Ordering::Relaxed);
        if delivered != last_count {
            last_count = delivered;
            last_delivery = Instant::now();
        }
        if cfg.progress {
            eprint!(
                "\r  sent {:>8}  acked {:>8}  delivered {:>8}/{expected}  errors {}   ",
                counters.sent.load(Ordering::Relaxed),
                counters.acked.load(Ordering::Relaxed),
                delivered,
                counters.errors.load(Ordering::Relaxed)
            );
        }
        if delivered >= expected && counters.acked.load(Ordering::Relaxed) >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if cfg.progress {
        eprintln!();
    }
    let elapsed = last_delivery.duration_since(send_start);
    for (writer, reader) in tasks {
        if let Ok(mut sink) = writer.await {
            let _ = sink.close().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    }
    let delivered = counters.delivered.load(Ordering::Relaxed);
    let latencies = latencies.lock().await;
    let _ = start;
    Ok(LoadReport {
        connect_ms: Summary::of(connect_ms),
        acked: counters.acked.load(Ordering::Relaxed),
        delivered,
        delivered_per_s: delivered as f64 / elapsed.as_secs_f64().max(1e-9),
        latency_ms: Summary::of(latencies.iter().map(|us| f64::from(*us) / 1000.0).collect()),
        errors: counters.errors.load(Ordering::Relaxed) + expected.saturating_sub(delivered),
        elapsed,
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
