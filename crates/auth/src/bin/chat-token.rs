//! `chat-token USER [TTL_SECONDS]`: prints an HS256 token for USER signed with
//! `CHAT_JWT_SECRET` and issued by `CHAT_JWT_ISSUER` (default `serverless-chat`, what the
//! deployed stack requires). For trying a deployed stack that uses the Secrets Manager key;
//! real apps get tokens from their identity provider.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;

/// Mint an HS256 token for a deployed chat stack (CHAT_JWT_SECRET from Secrets Manager).
#[derive(Debug, Parser)]
#[command(name = "chat-token", version)]
struct Cli {
    /// The user id the token names (its `sub`).
    #[arg(value_parser = parse_user)]
    user: String,
    /// How long the token is valid, in seconds.
    #[arg(default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    ttl_seconds: u64,
    /// The HS256 key (the stack's Secrets Manager secret).
    #[arg(long, env = "CHAT_JWT_SECRET", hide_env_values = true)]
    secret: String,
    /// The issuer the stack requires.
    #[arg(long, env = "CHAT_JWT_ISSUER", default_value = chat_auth::config::DEFAULT_ISSUER)]
    issuer: String,
}

fn parse_user(v: &str) -> Result<String, String> {
    chat_core::ids::UserId::parse(v).map(|u| u.to_string()).map_err(|e| e.to_string())
}

fn main() {
    let cli = Cli::parse();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    match chat_auth::dev::mint_for(cli.secret.as_bytes(), &cli.issuer, &cli.user, now, cli.ttl_seconds) {
        Ok(token) => println!("{token}"),
        Err(e) => {
            eprintln!("chat-token: {e}");
            std::process::exit(1);
        }
    }
}
