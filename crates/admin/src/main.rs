//! `chat-admin`: operator tasks on a deployed stack's tables (see `chat-admin --help`).
//! The tables come from the same variables the functions read (`CHAT_TABLE_PREFIX`,
//! `CHAT_MESSAGES_TABLE`, ...) or from flags; AWS credentials, region and
//! `AWS_ENDPOINT_URL` as for any SDK program.

use std::process::ExitCode;

use chat_core::schema::{TableNames, env};
use chat_dynamo::DynamoStore;
use clap::{Parser, Subcommand};

/// Operator tasks on the chat tables (docs/deploy.md).
#[derive(Debug, Parser)]
#[command(name = "chat-admin", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes the summaries old conversations lack (after upgrading a stack deployed
    /// before conversation summaries).
    ///
    /// Every conversation without a summary gets the one its inbox entries give: the list
    /// shows it at once, counted as read. Reads the whole messages table once; never touches an existing summary, so
    /// it is safe to run while the stack takes traffic, and to run again.
    BackfillSummaries {
        /// Parallel scan segments (1-64): more is faster on a large table, and spends its
        /// read capacity faster.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
        segments: u32,
        #[command(flatten)]
        tables: Tables,
    },
}

/// The tables, when not from the functions' variables (the stack's outputs name them).
#[derive(Debug, clap::Args)]
struct Tables {
    /// The messages table (output MessagesTableName).
    #[arg(long, env = env::MESSAGES_TABLE)]
    messages_table: Option<String>,
    /// The conversations table (output ConversationsTableName).
    #[arg(long, env = env::CONVERSATIONS_TABLE)]
    conversations_table: Option<String>,
    /// The groups table (output GroupsTableName): group names for the summaries.
    #[arg(long, env = env::GROUPS_TABLE)]
    groups_table: Option<String>,
}

impl Tables {
    fn names(self) -> TableNames {
        let mut names = TableNames::from_env();
        if let Some(t) = self.messages_table {
            names.messages = t;
        }
        if let Some(t) = self.conversations_table {
            names.conversations = t;
        }
        if let Some(t) = self.groups_table {
            names.groups = t;
        }
        names
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-admin: {}", chat_core::cause_chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::BackfillSummaries { segments, tables } => {
            let tables = tables.names();
            let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Bulk).await;
            let store = DynamoStore::connect(&sdk, tables.clone());
            eprintln!(
                "backfilling conversation summaries: {} -> {} ({segments} segments)",
                tables.messages, tables.conversations
            );
            let r = store
                .backfill_summaries(segments)
                .await
                .map_err(|e| anyhow::Error::new(e).context(format!("backfilling from {}", tables.messages)))?;
            println!(
                "read {} inbox entries: {} conversations, {} summaries written, {} had one already",
                r.entries, r.conversations, r.written, r.existing
            );
            Ok(())
        }
    }
}
