//! `chat-bench`: `load`, `compare` and `coldstart` (see `chat-bench --help`).

use std::path::PathBuf;
use std::time::Duration;

use chat_bench::load::{self, LoadConfig, LoadReport, Tokens};
use chat_bench::{coldstart, relay};

const USAGE: &str = "\
Usage:
  chat-bench compare [--connections N] [--messages M] [--window W] [--rate R]
      the devserver (default embedded store, real @connections posts) against the bare
      relay, in this process, same load, same run; prints both and the ratio
  chat-bench load --url URL [--connections N] [--messages M] [--window W] [--rate R]
                  [--secret S] [--body BYTES] [--timeout SECONDS] [--settle SECONDS]
      load any chat endpoint (a devserver, or a deployed wss:// URL with its HS256 key)
  chat-bench coldstart [--runs R] [--bin-dir DIR]
      cold start of each function binary next to a hello-world lambda_runtime binary
Defaults: 200 connections, 100 messages each, window 4, no fixed rate, the devserver's
development secret, 64-byte bodies, 120 s timeout, 20 runs, target/release.";

struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Option<&str> {
        self.0.iter().position(|a| a == name).and_then(|i| self.0.get(i + 1)).map(String::as_str)
    }
    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> anyhow::Result<T> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| anyhow::anyhow!("{name} takes a number, got {v}")),
        }
    }
    fn load_config(&self, url: String, tokens: Tokens) -> anyhow::Result<LoadConfig> {
        Ok(LoadConfig {
            url,
            connections: self.num("--connections", 200)?,
            messages: self.num("--messages", 100)?,
            window: self.num("--window", 4)?,
            rate: self.value("--rate").map(str::parse).transpose()?,
            body_bytes: self.num("--body", 64)?,
            settle: Duration::from_secs(self.num("--settle", 0)?),
            tokens,
            timeout: Duration::from_secs(self.num("--timeout", 120)?),
            progress: true,
        })
    }
}

fn row(name: &str, r: &LoadReport) {
    println!(
        "| {name} | {:.1} / {:.1} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
        r.connect_ms.p50,
        r.connect_ms.p99,
        r.delivered,
        r.delivered_per_s,
        r.latency_ms.p50,
        r.latency_ms.p90,
        r.latency_ms.p99,
        r.latency_ms.max,
        r.errors
    );
}

fn header() {
    println!("| target | connect p50 / p99 ms | delivered | delivered/s | latency p50 ms | p90 | p99 | max | errors |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
}

async fn compare(args: &Args) -> anyhow::Result<()> {
    let relay_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let relay_url = format!("ws://{}/", relay_listener.local_addr()?);
    tokio::spawn(relay::serve(relay_listener));
    let dir = std::env::temp_dir().join(format!("chat-bench-{}", ulid::Ulid::new()));
    let options = chat_devserver::Options {
        listen: "127.0.0.1:0".into(),
        store: chat_devserver::StoreChoice::Embedded(dir.clone()),
        // The benchmark measures throughput, which the per-connection limit would cap.
        limits: chat_core::ratelimit::Limits::none(),
        ..Default::default()
    };
    let dev_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let dev_url = format!("ws://{}/", dev_listener.local_addr()?);
    tokio::spawn(chat_devserver::run(dev_listener, options, std::future::pending()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let secret = chat_auth::dev::DEV_SECRET.as_bytes().to_vec();
    eprintln!("relay:");
    let floor = load::run(&args.load_config(relay_url, Tokens::None)?).await?;
    eprintln!("devserver (embedded store):");
    let dev = load::run(&args.load_config(dev_url, Tokens::Mint(secret))?).await?;
    let c = args.load_config(String::new(), Tokens::None)?;
    println!(
        "\n{} connections x {} messages, window {}{}\n",
        c.connections,
        c.messages,
        c.window,
        c.rate.map(|r| format!(", {r} msg/s per sender")).unwrap_or_default()
    );
    header();
    row("relay (floor)", &floor);
    row("devserver", &dev);
    println!(
        "\nthroughput ratio devserver/relay: {:.2}; p50 latency ratio devserver/relay: {:.2}",
        dev.delivered_per_s / floor.delivered_per_s.max(1e-9),
        dev.latency_ms.p50 / floor.latency_ms.p50.max(1e-9)
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

async fn coldstart(args: &Args) -> anyhow::Result<()> {
    let runs = args.num("--runs", 20)?;
    let dir = PathBuf::from(args.value("--bin-dir").unwrap_or("target/release"));
    let hello = coldstart::measure(&dir.join("hello-lambda"), runs).await?;
    println!("| binary | init p50 ms | p90 ms | vs hello-world | peak memory MB | binary MB | zip MB |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for name in ["hello-lambda", "authorizer", "connect", "send", "presence", "push"] {
        let bin = dir.join(name);
        let r = if name == "hello-lambda" { hello.clone() } else { coldstart::measure(&bin, runs).await? };
        let mb = |p: PathBuf| std::fs::metadata(p).map_or("—".to_owned(), |m| format!("{:.1}", m.len() as f64 / 1e6));
        println!(
            "| {name} | {:.2} | {:.2} | {:.2}x | {:.1} | {} | {} |",
            r.init_ms.p50,
            r.init_ms.p90,
            r.init_ms.p50 / hello.init_ms.p50.max(1e-9),
            r.peak_mb,
            mb(bin),
            mb(PathBuf::from("target/lambda").join(name).join("bootstrap.zip")),
        );
    }
    Ok(())
}

// The same allocator as the devserver binary, which `compare` runs in this process.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args(std::env::args().skip(1).collect());
    match args.0.first().map(String::as_str) {
        Some("compare") => compare(&args).await,
        Some("load") => {
            let url = args.value("--url").ok_or_else(|| anyhow::anyhow!("load needs --url"))?.to_owned();
            let secret = args.value("--secret").unwrap_or(chat_auth::dev::DEV_SECRET).as_bytes().to_vec();
            let report = load::run(&args.load_config(url, Tokens::Mint(secret))?).await?;
            header();
            row("target", &report);
            Ok(())
        }
        Some("coldstart") => coldstart(&args).await,
        _ => {
            println!("{USAGE}");
            Ok(())
        }
    }
}
