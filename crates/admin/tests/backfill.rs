//! `chat-admin backfill-summaries` as an operator runs it: the binary, against a real
//! DynamoDB API (moto in CI, started by scripts/test), tables found by the functions'
//! variables.

use std::process::Command;

use aws_sdk_dynamodb::Client;
use chat_core::ids::{ClientMsgId, Conversation, MsgId, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::schema::{TableNames, conversations as cv, env};
use chat_core::store::{ConversationStore, InboxStore};
use chat_dynamo::{DynamoStore, tables};

fn user(name: &str) -> UserId {
    UserId::parse(name).expect("valid user")
}

async fn store() -> (DynamoStore, String) {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let client = Client::new(&sdk);
    let prefix = format!("a{}-", ulid::Ulid::new().to_string().to_lowercase());
    let names = TableNames::with_prefix(&prefix);
    tables::ensure_tables(&client, &names).await.expect("create tables");
    (DynamoStore::new(client, names), prefix)
}

async fn send(store: &DynamoStore, from: &UserId, to: &UserId, body: &str, ts: u64) {
    let msg = NewMessage {
        reply_to: None,
        mentions: Vec::new(),
        removed: false,
        origin: chat_core::message::Origin::User,
        msg_id: MsgId::generate(ts),
        conversation: Conversation::direct(from, to),
        from: from.clone(),
        client_msg_id: ClientMsgId::parse(&ulid::Ulid::new().to_string()).expect("valid"),
        body: body.into(),
        ts,
        participants: vec![from.clone(), to.clone()],
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    };
    assert!(matches!(store.append(&msg).await.expect("append"), AppendOutcome::Stored { .. }));
}

fn admin(prefix: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chat-admin"))
        .args(args)
        .env(env::TABLE_PREFIX, prefix)
        .env_remove(env::MESSAGES_TABLE)
        .env_remove(env::CONVERSATIONS_TABLE)
        .env_remove(env::GROUPS_TABLE)
        .output()
        .expect("run chat-admin")
}

#[tokio::test]
async fn backfill_summaries_lists_old_conversations_and_a_second_run_writes_nothing() {
    let (store, prefix) = store().await;
    let (eve, fay) = (user("eve"), user("fay"));
    send(&store, &eve, &fay, "from before the upgrade", 1_000).await;
    send(&store, &fay, &eve, "a reply", 2_000).await;
    // The summaries a stack deployed before them never wrote.
    for u in [&eve, &fay] {
        store
            .client()
            .delete_item()
            .table_name(&store.tables().conversations)
            .key(cv::PK, aws_sdk_dynamodb::types::AttributeValue::S(u.to_string()))
            .key(cv::SK, aws_sdk_dynamodb::types::AttributeValue::S(Conversation::direct(&eve, &fay).to_string()))
            .send()
            .await
            .expect("delete");
    }
    assert!(store.conversations(&eve, None, 10).await.expect("list").items.is_empty());

    let out = admin(&prefix, &["backfill-summaries", "--segments", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.trim(), "read 4 inbox entries: 2 conversations, 2 summaries written, 0 had one already");
    for u in [&eve, &fay] {
        let items = store.conversations(u, None, 10).await.expect("list").items;
        assert_eq!(items.len(), 1, "{u}");
        assert_eq!(items[0].last.preview, "a reply");
        assert_eq!((items[0].last_seq, items[0].read_up_to, items[0].unread), (2, 2, 0), "counted as read");
    }

    let out = admin(&prefix, &["backfill-summaries"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "read 4 inbox entries: 2 conversations, 0 summaries written, 2 had one already"
    );
}

#[test]
fn a_bad_argument_is_refused_with_usage_before_any_request() {
    let out = admin("nowhere-", &["backfill-summaries", "--segments", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--segments") && stderr.contains("not in 1..=64"), "{stderr}");
}
