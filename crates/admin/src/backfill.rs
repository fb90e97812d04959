//! `backfill-summaries`: the conversation summaries old conversations lack, written from
//! their inbox entries (an upgrade of a stack deployed before summaries).

use chat_core::schema::{TableNames, env};
use chat_dynamo::DynamoStore;

/// The subcommand's arguments.
#[derive(Debug, clap::Args)]
pub struct BackfillArgs {
    /// Parallel scan segments (1-64): more is faster on a large table, and spends its
    /// read capacity faster.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    segments: u32,
    #[command(flatten)]
    tables: Tables,
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

/// Runs the backfill and prints what it did.
pub async fn run(args: BackfillArgs) -> anyhow::Result<()> {
    let BackfillArgs { segments, tables } = args;
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
