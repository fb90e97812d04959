//! `chat-bench`: `load`, `compare` and `coldstart` (see `chat-bench --help`; clap).

use std::path::PathBuf;
use std::time::Duration;

use chat_bench::load::{self, LoadConfig, LoadReport, Tokens};
use chat_bench::{coldstart, relay};
use clap::{Parser, Subcommand};

/// Benchmarks of the chat backend (docs/benchmarks.md).
#[derive(Debug, Parser)]
#[command(name = "chat-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The devserver (embedded store, real @connections posts) against the bare relay, in
    /// this process, same load, same run; prints both and the ratio.
    Compare(LoadArgs),
    /// Load any chat endpoint: a devserver, or a deployed wss:// URL with its HS256 key.
    Load {
        /// The endpoint, ws:// or wss://.
        #[arg(long)]
        url: String,
        /// The HS256 key tokens are minted with [default: the devserver's development secret].
        #[arg(long, env = "CHAT_JWT_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// The issuer the endpoint requires (a deployed stack: serverless-chat, or its CHAT_JWT_ISSUER).
        #[arg(long, default_value = chat_auth::dev::DEV_ISSUER)]
        issuer: String,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Cold start of each function binary next to a hello-world lambda_runtime binary.
    Coldstart {
        /// Runs per binary.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Where the release binaries are.
        #[arg(long, default_value = "target/release")]
        bin_dir: PathBuf,
    },
}

/// The shape of a load.
#[derive(Debug, Clone, clap::Args)]
struct LoadArgs {
    /// Clients (each its own user and connection).
    #[arg(long, default_value_t = 200)]
    connections: usize,
    /// Messages each client sends.
    #[arg(long, default_value_t = 100)]
    messages: usize,
    /// Sends each client keeps in flight.
    #[arg(long, default_value_t = 4)]
    window: usize,
    /// A fixed rate per sender, messages per second (default: as fast as acks come back).
    #[arg(long)]
    rate: Option<f64>,
    /// Body size in bytes.
    #[arg(long, default_value_t = 64)]
    body: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Seconds to wait after connecting, before sending.
    #[arg(long, default_value_t = 0)]
    settle: u64,
}

impl LoadArgs {
    fn config(&self, url: String, tokens: Tokens) -> LoadConfig {
        LoadConfig {
            url,
            connections: self.connections,
            messages: self.messages,
            window: self.window,
            rate: self.rate,
            body_bytes: self.body,
            settle: Duration::from_secs(self.settle),
            tokens,
            timeout: Duration::from_secs(self.timeout),
            progress: true,
        }
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

async fn compare(args: &LoadArgs) -> anyhow::Result<()> {
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
    let tokens = Tokens::Mint {
        secret: chat_auth::dev::DEV_SECRET.as_bytes().to_vec(),
        issuer: chat_auth::dev::DEV_ISSUER.to_owned(),
    };
    eprintln!("relay:");
    let floor = load::run(&args.config(relay_url, Tokens::None)).await?;
    eprintln!("devserver (embedded store):");
    let dev = load::run(&args.config(dev_url, tokens)).await?;
    let c = args.config(String::new(), Tokens::None);
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

async fn coldstart(runs: usize, dir: PathBuf) -> anyhow::Result<()> {
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
    match Cli::parse().command {
        Command::Compare(load) => compare(&load).await,
        Command::Load { url, secret, issuer, load } => {
            let secret = secret.unwrap_or_else(|| chat_auth::dev::DEV_SECRET.to_owned()).into_bytes();
            let report = load::run(&load.config(url, Tokens::Mint { secret, issuer })).await?;
            header();
            row("target", &report);
            Ok(())
        }
        Command::Coldstart { runs, bin_dir } => coldstart(runs, bin_dir).await,
    }
}
