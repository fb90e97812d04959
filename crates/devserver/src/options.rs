//! The command line (docs/devserver.md).

use std::path::PathBuf;

/// `--help` text.
pub const USAGE: &str = "\
Usage: chat-devserver [OPTIONS]

A local API Gateway WebSocket API running the chat functions' own handlers.

Options:
  --listen ADDR     address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
  --stage NAME      API stage name (default local)
  --data-dir DIR    where the embedded store keeps its data (default ./.chat-data)
  --in-memory       keep nothing on disk
  --dynamodb        use DynamoDB through the AWS SDK (honours AWS_ENDPOINT_URL), creating
                    the tables if missing
  --table-prefix P  with --dynamodb: table names P + connections|messages|state
                    (default: CHAT_*_TABLE variables, else CHAT_TABLE_PREFIX, else chat-)
  --sns             send push notifications through SNS (honours AWS_ENDPOINT_URL and
                    CHAT_PUSH_*_APP_ARN); without it they are recorded at /dev/pushes
  --send-rate PER_SECOND[:BURST]
                    per-user send rate limit (default 20:60, or CHAT_SEND_RATE and
                    CHAT_SEND_BURST); 0 turns it off
  --dev-endpoints   serve /dev/token and /dev/pushes to any peer (default: loopback only)
  --presence-debounce-ms MS
                    presence debounce window (default 3000, or CHAT_PRESENCE_DEBOUNCE_MS)
  -h, --help        this text

Environment:
  CHAT_JWT_SECRET   HS256 secret (default: a fixed development secret)
  RUST_LOG          log filter (default info)";

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
    /// `--help`.
    pub help: bool,
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
            help: false,
        }
    }
}

impl Options {
    /// Parses arguments (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        Self::parse_with(args, &chat_core::config::Vars::env())
    }

    /// [`Options::parse`] with the environment's settings (the per-user limits'
    /// `CHAT_SEND_RATE`, `CHAT_SEND_BURST`, `CHAT_*_PER_MINUTE`, and
    /// `CHAT_PRESENCE_DEBOUNCE_MS`) read through `vars`; a flag wins over
    /// a variable, and a bad value of either is an error, never silently the default.
    pub fn parse_with(
        args: impl IntoIterator<Item = String>,
        vars: &chat_core::config::Vars<'_>,
    ) -> Result<Self, String> {
        let mut o = Self::default();
        o.limits = chat_core::ratelimit::Limits::from_vars(vars).map_err(|e| e.to_string())?;
        o.presence_debounce_ms = vars
            .parse_or(chat_core::schema::env::PRESENCE_DEBOUNCE_MS, o.presence_debounce_ms, "a number of milliseconds")
            .map_err(|e| e.to_string())?;
        let (mut in_memory, mut dynamodb, mut data_dir) = (false, false, None);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--listen" => o.listen = value("--listen")?,
                "--stage" => o.stage = value("--stage")?,
                "--data-dir" => data_dir = Some(PathBuf::from(value("--data-dir")?)),
                "--in-memory" => in_memory = true,
                "--dynamodb" => dynamodb = true,
                "--table-prefix" => o.table_prefix = Some(value("--table-prefix")?),
                "--sns" => o.sns = true,
                "--dev-endpoints" => o.dev_endpoints = true,
                "--send-rate" => o.limits.send = parse_rate(&value("--send-rate")?)?,
                "--presence-debounce-ms" => {
                    o.presence_debounce_ms = value("--presence-debounce-ms")?
                        .parse()
                        .map_err(|_| "--presence-debounce-ms takes milliseconds")?;
                }
                "-h" | "--help" => o.help = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        if o.stage.is_empty() || !o.stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err("--stage must be letters, digits, '_' or '-'".into());
        }
        if o.table_prefix.is_some() && !dynamodb {
            return Err("--table-prefix only applies with --dynamodb".into());
        }
        o.store = match (in_memory, dynamodb, data_dir) {
            (true, true, _) => return Err("--in-memory and --dynamodb exclude each other".into()),
            (true, false, Some(_)) | (false, true, Some(_)) => {
                return Err("--data-dir only applies to the embedded store".into());
            }
            (true, false, None) => StoreChoice::InMemory,
            (false, true, None) => StoreChoice::DynamoDb,
            (false, false, Some(dir)) => StoreChoice::Embedded(dir),
            (false, false, None) => o.store,
        };
        Ok(o)
    }
}

fn parse_rate(v: &str) -> Result<Option<chat_core::ratelimit::RateLimit>, String> {
    let bad = || format!("--send-rate takes PER_SECOND[:BURST], got {v:?}");
    let (rate, burst) = match v.split_once(':') {
        Some((r, b)) => (r.parse::<f64>().map_err(|_| bad())?, Some(b.parse::<f64>().map_err(|_| bad())?)),
        None => (v.parse::<f64>().map_err(|_| bad())?, None),
    };
    if rate <= 0.0 {
        return Ok(None);
    }
    Ok(Some(chat_core::ratelimit::RateLimit { rate, burst: burst.unwrap_or(rate * 3.0).max(1.0) }))
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
    }
}
