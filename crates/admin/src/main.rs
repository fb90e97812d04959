//! `chat-admin`: the operator's command line (see `chat-admin --help`).
//!
//! Layout:
//! - `commands`: the server-API subcommands (send, moderate, groups, bans, the moderation
//!   queue), each turned into one request (docs/server-api.md).
//! - `api`: the server API's client: the URL, plain HTTP to a devserver on loopback,
//!   SigV4-signed HTTPS to a stack's function URL.
//! - `sign`: SigV4 (service `lambda`), a pure function of request, credentials and time.
//! - `backfill`: `backfill-summaries`, on a deployed stack's tables directly (the tables
//!   come from the functions' variables, `CHAT_TABLE_PREFIX`, ..., or from flags).
//!
//! AWS credentials, region and `AWS_ENDPOINT_URL` as for any SDK program.

mod api;
mod backfill;
mod commands;
mod sign;

use std::io::Write;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{CommandFactory, Parser, Subcommand};

/// Operator tasks: the server API from a terminal (docs/server-api.md), upgrades of the
/// chat tables (docs/deploy.md).
#[derive(Debug, Parser)]
#[command(name = "chat-admin", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Api(commands::ApiCommand),
    /// Writes the summaries old conversations lack (after upgrading a stack deployed
    /// before conversation summaries).
    ///
    /// Every conversation without a summary gets the one its inbox entries give: the list
    /// shows it at once, counted as read. Reads the whole messages table once; never
    /// touches an existing summary, so it is safe to run while the stack takes traffic,
    /// and to run again.
    BackfillSummaries(backfill::BackfillArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Api(command) = &cli.command
        && let Err((subcommand, message)) = command.check()
    {
        // As clap's own refusals: on stderr with the subcommand's usage, exit status 2.
        let mut cli = Cli::command();
        cli.build();
        let mut command = cli.find_subcommand(subcommand).cloned().unwrap_or(cli);
        command.error(clap::error::ErrorKind::ArgumentConflict, message).exit();
    }
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chat-admin: {}", chat_core::cause_chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::BackfillSummaries(args) => backfill::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Api(command) => {
            let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
            let (options, call) = command.into_call(u64::try_from(now_ms).unwrap_or(u64::MAX));
            let endpoint = api::Endpoint::parse(&options.api_url)?;
            let client = api::Client::connect(endpoint, options.region, options.unsigned).await?;
            let answer = client.call(&call).await?;
            if answer.status.is_success() {
                writeln!(std::io::stdout(), "{}", answer.pretty())?;
                Ok(ExitCode::SUCCESS)
            } else {
                let (code, message) = answer.error();
                eprintln!("chat-admin: {code}: {message}");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
