//! `chat-token USER [TTL_SECONDS]`: prints an HS256 token for USER signed with
//! `CHAT_JWT_SECRET` and issued by `CHAT_JWT_ISSUER` (default `serverless-chat`, what the
//! deployed stack requires) (default TTL one hour). For trying a deployed stack that uses the
//! Secrets Manager key; real apps get tokens from their identity provider.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(user), ttl) = (args.next(), args.next()) else {
        eprintln!("usage: CHAT_JWT_SECRET=... chat-token USER [TTL_SECONDS]");
        std::process::exit(2);
    };
    let Ok(secret) = std::env::var(chat_auth::config::env::SECRET) else {
        eprintln!("chat-token: set CHAT_JWT_SECRET to the HS256 key (e.g. from Secrets Manager)");
        std::process::exit(2);
    };
    if let Err(e) = chat_core::ids::UserId::parse(&user) {
        eprintln!("chat-token: {e}");
        std::process::exit(2);
    }
    let ttl = match ttl.map(|t| t.parse::<u64>()) {
        None => 3600,
        Some(Ok(t)) if t > 0 => t,
        Some(_) => {
            eprintln!("chat-token: TTL_SECONDS must be a positive number");
            std::process::exit(2);
        }
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // The deployed stack's issuer: CHAT_JWT_ISSUER as set there, else the default.
    let issuer = std::env::var(chat_auth::config::env::ISSUER)
        .ok()
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| chat_auth::config::DEFAULT_ISSUER.to_owned());
    match chat_auth::dev::mint_for(secret.as_bytes(), &issuer, &user, now, ttl) {
        Ok(token) => println!("{token}"),
        Err(e) => {
            eprintln!("chat-token: {e}");
            std::process::exit(1);
        }
    }
}
