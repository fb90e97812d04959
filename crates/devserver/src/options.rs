//! The command line (docs/devserver.md).

use std::path::PathBuf;

/// Where the devserver keeps data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// The embedded store, journaled in this directory.
    Embedded(PathBuf),
    /// In memory only.
    InMemory,
    /// DynamoDB through the SDK.
    DynamoDb,
}

/// Parsed command-line options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `--listen`.
    pub listen: String,
    /// `--stage`.
    pub stage: String,
    /// `--data-dir` / `--in-memory` / `--dynamodb`.
    pub store: StoreChoice,
    /// `--table-prefix`.
    pub table_prefix: Option<String>,
    /// `--sns`.
    pub sns: bool,
    /// `--presence-debounce-ms`.
    pub presence_debounce_ms: u64,
    /// Per-user limits: the `CHAT_*` variables, `send` also from `--send-rate`.
    pub limits: chat_core::ratelimit::Limits,
    /// `--dev-endpoints`: serve `/dev/*` to peers other than loopback.
    pub dev_endpoints: bool,
    /// `--s3 [BUCKET]`: attachments in this S3 bucket (through the SDK) instead of the
    /// devserver's own directory.
    pub s3: Option<String>,
    /// `--events-url`: where each event is POSTed (they are kept for `/dev/events` anyway).
    pub events_url: Option<String>,
    /// `--pre-send-hook`: the hook's URL.
    pub pre_send_hook: Option<String>,
    /// `--pre-send-hook-failure`: `open` or `closed`.
    pub pre_send_hook_failure: chat_core::hook::FailurePolicy,
    /// `--pre-send-hook-timeout-ms`.
    pub pre_send_hook_timeout_ms: u64,
    /// `--retention-days`: how long inbox entries are kept (0: forever).
    pub retention_days: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            stage: "local".into(),
            store: StoreChoice::Embedded(PathBuf::from(".chat-data")),
            table_prefix: None,
            sns: false,
            presence_debounce_ms: chat_core::presence::DEFAULT_DEBOUNCE_MS,
            limits: chat_core::ratelimit::Limits::default(),
            dev_endpoints: false,
            s3: None,
            events_url: None,
            pre_send_hook: None,
            pre_send_hook_failure: chat_core::hook::FailurePolicy::Open,
            pre_send_hook_timeout_ms: 1000,
            retention_days: 0,
        }
    }
}

/// The command line, as clap parses it (`chat-devserver --help` prints it).
#[derive(Debug, clap::Parser)]
#[command(
    name = "chat-devserver",
    version,
    about = "A local API Gateway WebSocket API running the chat functions' own handlers.",
    after_help = "Environment: CHAT_JWT_SECRET (HS256 secret; default: a fixed development secret), \
                  RUST_LOG (log filter, default info), the per-user limits CHAT_SEND_RATE, CHAT_SEND_BURST, \
                  CHAT_*_PER_MINUTE and CHAT_CONNECTIONS_PER_USER, and the AWS SDK's usual variables for \
                  --dynamodb and --sns. See docs/devserver.md."
)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// API stage name (letters, digits, '_' or '-').
    #[arg(long, value_name = "NAME", default_value = "local", value_parser = parse_stage)]
    stage: String,
    /// Where the embedded store keeps its data [default: ./.chat-data].
    #[arg(long, value_name = "DIR", conflicts_with_all = ["in_memory", "dynamodb"])]
    data_dir: Option<PathBuf>,
    /// Keep nothing on disk.
    #[arg(long, conflicts_with = "dynamodb")]
    in_memory: bool,
    /// Use DynamoDB through the AWS SDK (honours AWS_ENDPOINT_URL), creating the tables if missing.
    #[arg(long)]
    dynamodb: bool,
    /// With --dynamodb: table names P + connections|messages|state|… [default: CHAT_*_TABLE, else CHAT_TABLE_PREFIX, else chat-].
    #[arg(long, value_name = "P", requires = "dynamodb")]
    table_prefix: Option<String>,
    /// Send push notifications through SNS (honours AWS_ENDPOINT_URL and CHAT_PUSH_*_APP_ARN); without it they are recorded at /dev/pushes.
    #[arg(long)]
    sns: bool,
    /// Per-user send rate limit; 0 turns it off [default: CHAT_SEND_RATE and CHAT_SEND_BURST, else 20:60].
    #[arg(long, value_name = "PER_SECOND[:BURST]", value_parser = parse_rate)]
    send_rate: Option<SendRate>,
    /// Presence debounce window in ms.
    #[arg(long, value_name = "MS", env = "CHAT_PRESENCE_DEBOUNCE_MS", default_value_t = chat_core::presence::DEFAULT_DEBOUNCE_MS)]
    presence_debounce_ms: u64,
    /// Serve /dev/token, /dev/pushes and /dev/metrics to any peer (default: loopback only).
    #[arg(long)]
    dev_endpoints: bool,
    /// Keep attachments in S3 (this bucket, else CHAT_MEDIA_BUCKET, else chat-media; created
    /// if missing) through the SDK (AWS_ENDPOINT_URL honoured) instead of the data dir.
    #[arg(long, value_name = "BUCKET", num_args = 0..=1, default_missing_value = "")]
    s3: Option<String>,
    /// POST every event (EventBridge's envelope, JSON) to this http:// URL, in order; they are listed at /dev/events either way.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    events_url: Option<String>,
    /// Ask this http:// URL about every send and edit before it is stored (the pre-send hook; docs/server-api.md).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pre_send_hook: Option<String>,
    /// What a hook that fails or times out leads to: open (store as sent) or closed (refuse with unavailable).
    #[arg(long, value_name = "POLICY", default_value = "open", value_parser = ["open", "closed"])]
    pre_send_hook_failure: String,
    /// The hook's time budget in ms.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=30_000))]
    pre_send_hook_timeout_ms: u64,
    /// Days inbox entries, updates and idempotency records are kept; 0 keeps them forever (chat:retentionDays in the stack).
    #[arg(long, value_name = "DAYS", env = "CHAT_RETENTION_DAYS", default_value_t = 0)]
    retention_days: u32,
}

fn parse_http_url(v: &str) -> Result<String, String> {
    match v.parse::<http::Uri>() {
        Ok(u) if u.scheme_str() == Some("http") && u.host().is_some() => Ok(v.to_owned()),
        _ => Err("must be an http:// URL, e.g. http://127.0.0.1:3000/events".into()),
    }
}

fn parse_stage(v: &str) -> Result<String, String> {
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err("must be letters, digits, '_' or '-'".into());
    }
    Ok(v.to_owned())
}

impl Options {
    /// Parses arguments (without the program name); on a mistake, clap's message with its
    /// hint (a misspelt flag's likely meaning, the valid values).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        Self::parse_with(args, &chat_core::config::Vars::env())
    }

    /// The command line as `chat-devserver` runs it: `--help` and `--version` print and
    /// exit 0, a mistake prints clap's message and exits 2.
    pub fn from_command_line() -> Self {
        let cli = <Cli as clap::Parser>::parse();
        Self::from_cli(cli, &chat_core::config::Vars::env()).unwrap_or_else(|e| {
            eprintln!("chat-devserver: {e}");
            std::process::exit(2)
        })
    }

    /// [`Options::parse`] with the environment's settings (the per-user limits'
    /// `CHAT_SEND_RATE`, `CHAT_SEND_BURST`, `CHAT_*_PER_MINUTE`, `CHAT_CONNECTIONS_PER_USER`)
    /// read through `vars`; a flag wins over a variable, and a bad value of either is an
    /// error, never silently the default.
    pub fn parse_with(
        args: impl IntoIterator<Item = String>,
        vars: &chat_core::config::Vars<'_>,
    ) -> Result<Self, String> {
        let argv = std::iter::once("chat-devserver".to_owned()).chain(args);
        let cli = <Cli as clap::Parser>::try_parse_from(argv).map_err(|e| e.to_string())?;
        Self::from_cli(cli, vars)
    }

    fn from_cli(cli: Cli, vars: &chat_core::config::Vars<'_>) -> Result<Self, String> {
        let mut limits = chat_core::ratelimit::Limits::from_vars(vars).map_err(|e| e.to_string())?;
        if let Some(SendRate(send)) = cli.send_rate {
            limits.send = send;
        }
        let store = match (cli.in_memory, cli.dynamodb, cli.data_dir) {
            (true, _, _) => StoreChoice::InMemory,
            (_, true, _) => StoreChoice::DynamoDb,
            (_, _, Some(dir)) => StoreChoice::Embedded(dir),
            _ => Self::default().store,
        };
        Ok(Self {
            listen: cli.listen,
            stage: cli.stage,
            store,
            table_prefix: cli.table_prefix,
            sns: cli.sns,
            presence_debounce_ms: cli.presence_debounce_ms,
            limits,
            dev_endpoints: cli.dev_endpoints,
            events_url: cli.events_url,
            pre_send_hook: cli.pre_send_hook,
            pre_send_hook_failure: chat_core::hook::FailurePolicy::parse(&cli.pre_send_hook_failure)
                .unwrap_or_default(),
            pre_send_hook_timeout_ms: cli.pre_send_hook_timeout_ms,
            retention_days: cli.retention_days,
            s3: cli.s3.map(|b| {
                if b.is_empty() {
                    vars.get(chat_core::schema::env::MEDIA_BUCKET).unwrap_or_else(|| "chat-media".to_owned())
                } else {
                    b
                }
            }),
        })
    }
}

/// `--send-rate`: a limit, or none (`0`).
#[derive(Debug, Clone, Copy)]
struct SendRate(Option<chat_core::ratelimit::RateLimit>);

fn parse_rate(v: &str) -> Result<SendRate, String> {
    let bad = || format!("takes PER_SECOND[:BURST], got {v:?}");
    let (rate, burst) = match v.split_once(':') {
        Some((r, b)) => (r.parse::<f64>().map_err(|_| bad())?, Some(b.parse::<f64>().map_err(|_| bad())?)),
        None => (v.parse::<f64>().map_err(|_| bad())?, None),
    };
    if rate <= 0.0 {
        return Ok(SendRate(None));
    }
    Ok(SendRate(Some(chat_core::ratelimit::RateLimit { rate, burst: burst.unwrap_or(rate * 3.0).max(1.0) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let o = parse(&[]).expect("defaults");
        assert_eq!(o.listen, "127.0.0.1:8080");
        assert_eq!(o.stage, "local");
        assert_eq!(o.store, StoreChoice::Embedded(PathBuf::from(".chat-data")));
    }

    #[test]
    fn flags_are_parsed_and_conflicts_refused() {
        let o = parse(&["--listen", "127.0.0.1:0", "--stage", "dev", "--dynamodb", "--sns"]).expect("valid");
        assert_eq!(
            (o.listen.as_str(), o.stage.as_str(), o.store, o.sns),
            ("127.0.0.1:0", "dev", StoreChoice::DynamoDb, true)
        );
        assert_eq!(parse(&["--in-memory"]).expect("valid").store, StoreChoice::InMemory);
        assert!(parse(&["--in-memory", "--dynamodb"]).is_err());
        assert!(parse(&["--data-dir", "x", "--in-memory"]).is_err());
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--stage", "a/b"]).is_err());
        let limited = parse(&["--send-rate", "5:10"]).expect("valid").limits.send.expect("limited");
        assert_eq!((limited.rate, limited.burst), (5.0, 10.0));
        assert_eq!(parse(&["--send-rate", "0"]).expect("valid").limits.send, None);
        assert!(parse(&["--send-rate", "fast"]).is_err());
        assert!(parse(&["--table-prefix", "p-"]).is_err(), "--table-prefix needs --dynamodb");
    }

    #[test]
    fn flag_equals_value_works_and_a_misspelt_flag_gets_a_hint() {
        assert_eq!(parse(&["--listen=127.0.0.1:0"]).expect("valid").listen, "127.0.0.1:0");
        let e = parse(&["--listn", "x"]).expect_err("misspelt");
        assert!(e.contains("--listen"), "{e}");
    }
}
