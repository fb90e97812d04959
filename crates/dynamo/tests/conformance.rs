//! The store conformance suite against a real DynamoDB API: moto server in CI (started by
//! `scripts/test`), LocalStack or DynamoDB Local on a laptop. Every test gets its own
//! uniquely named tables, so tests run in parallel.

use aws_sdk_dynamodb::Client;
use chat_core::schema::TableNames;
use chat_dynamo::{DynamoStore, tables};
use chat_lambda::Budget;

async fn fresh_store() -> DynamoStore {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL must point at a DynamoDB API (run scripts/test, which starts moto)"
    );
    let sdk = chat_lambda::sdk_config(Budget::Data).await;
    let client = Client::new(&sdk);
    let prefix = format!("t{}-", ulid::Ulid::new().to_string().to_lowercase());
    let tables = TableNames::with_prefix(&prefix);
    tables::ensure_tables(&client, &tables).await.expect("create tables");
    DynamoStore::new(client, tables)
}

chat_core::store_conformance_tests!(fresh_store());

mod retention {
    use chat_core::retention::DAY_MS;
    use chat_core::schema::messages as m;
    use chat_core::store::InboxStore;
    use chat_core::store::conformance::{T0, dm, one_day, user};

    chat_core::store_retention_tests!(|r| async move { super::fresh_store().await.with_retention(r) });

    /// Once TTL has deleted every entry of an inbox, its seqs go on from where they were
    /// (its summaries know), never from 1 again: a client's cursor stays valid.
    #[tokio::test]
    async fn seqs_go_on_after_ttl_deleted_every_entry() {
        let (clock, retention) = one_day();
        let store = super::fresh_store().await.with_retention(retention);
        for i in 0..3 {
            store.append(&dm("alice", "bob", &format!("a{i}"), T0 + i)).await.expect("append");
        }
        clock.advance(2 * DAY_MS);
        // What TTL does, some time after the expiry.
        let table = &store.tables().messages;
        let out = store.client().scan().table_name(table).send().await.expect("scan");
        for item in out.items() {
            let key = [m::PK, m::SK].map(|k| (k.to_owned(), item[k].clone())).into_iter().collect();
            store.client().delete_item().table_name(table).set_key(Some(key)).send().await.expect("delete");
        }
        store.append(&dm("alice", "bob", "later", T0 + 2 * DAY_MS)).await.expect("append");
        let page = store.sync(&user("bob"), 3, 10).await.expect("sync");
        assert_eq!((page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), page.oldest), (vec![4], None));
        let page = store.sync(&user("bob"), 0, 10).await.expect("sync");
        assert_eq!(page.oldest, Some(4));
    }
}

#[tokio::test]
async fn creating_the_tables_twice_is_harmless() {
    let store = fresh_store().await;
    tables::ensure_tables(&store.client(), store.tables()).await.expect("second create");
}

/// A large fan-out interrupted after some inboxes were written (its idempotency record
/// still `pending`) is finished by the client's retry, without storing anything twice.
#[tokio::test]
async fn an_interrupted_large_fan_out_is_resumed_by_the_retry_exactly_once() {
    use chat_core::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
    use chat_core::message::{AppendOutcome, NewMessage};
    use chat_core::schema::state as st;
    use chat_core::store::InboxStore;

    let store = fresh_store().await;
    let members: Vec<UserId> = (0..60).map(|i| UserId::parse(&format!("u{i}")).expect("valid")).collect();
    let msg = NewMessage {
        reply_to: None,
        mentions: Vec::new(),
        removed: false,
        origin: chat_core::message::Origin::User,
        msg_id: MsgId::generate(1_000),
        conversation: Conversation::Group(GroupId::parse("g").expect("valid")),
        from: members[0].clone(),
        client_msg_id: ClientMsgId::parse("big").expect("valid"),
        body: "hello".into(),
        ts: 1_000,
        participants: members.clone(),
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    };
    let AppendOutcome::Stored { seqs: first, .. } = store.append(&msg).await.expect("append") else { panic!("stored") };
    // Put the record back to `pending`, as if the process had died before completing it.
    let key = st::idempotency_key("u0", "big");
    let mut item = chat_dynamo::items::ack_item(&key, &msg.ack(0), &[], 999_999);
    item.insert(st::STATUS.to_owned(), chat_dynamo::items::s(chat_dynamo::items::PENDING));
    store.client().put_item().table_name(&store.tables().state).set_item(Some(item.clone())).send().await.expect("put");
    // A retry after 20 members left: the group is now small enough for one transaction,
    // but the half-written fan-out must still be finished, never acked as it stands.
    let shrunk =
        NewMessage { msg_id: MsgId::generate(1_500), ts: 1_500, participants: members[..30].to_vec(), ..msg.clone() };
    let AppendOutcome::Stored { ack, .. } = store.append(&shrunk).await.expect("append") else { panic!("stored") };
    assert_eq!(ack.msg_id, msg.msg_id, "the first attempt's message is finished");
    assert_eq!(ack.seq, 1, "a real seq in the sender's inbox, never the pending record's 0");
    store.client().put_item().table_name(&store.tables().state).set_item(Some(item)).send().await.expect("put");
    // The retry comes with a fresh server msgId; the claimed one wins.
    let retry = NewMessage { msg_id: MsgId::generate(2_000), ts: 2_000, ..msg.clone() };
    let AppendOutcome::Stored { ack, mut seqs } = store.append(&retry).await.expect("append") else { panic!("stored") };
    assert_eq!(ack.msg_id, msg.msg_id);
    let mut first = first;
    first.sort();
    seqs.sort();
    assert_eq!(seqs, first, "every member keeps its one entry");
    for m in &members {
        let page = store.sync(m, 0, 10).await.expect("sync");
        assert_eq!(page.entries.len(), 1, "{m} has the message once");
    }
    assert!(
        matches!(store.append(&retry).await.expect("append"), AppendOutcome::Duplicate(a) if a.msg_id == msg.msg_id)
    );
}

/// The config the functions build inside Lambda (straight from the environment, without
/// the default provider chain) really reaches the API.
#[tokio::test]
async fn a_lambda_style_sdk_config_reaches_the_api() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (scripts/test)");
    let get = |k: &str| match k {
        "AWS_LAMBDA_FUNCTION_NAME" => Some("send".to_owned()),
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        other => std::env::var(other).ok(),
    };
    let sdk = chat_lambda::sdk_config_with(Budget::Data, get).await;
    let client = Client::new(&sdk);
    client.list_tables().send().await.expect("the API answers");
}

mod upgrade {
    //! A stack deployed before conversation summaries, then upgraded: its inboxes have
    //! entries and no summaries (made here by deleting them after the appends).

    use chat_core::group::Group;
    use chat_core::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
    use chat_core::message::{AppendOutcome, NewMessage, SummaryPage, UpdateKind};
    use chat_core::schema::conversations as cv;
    use chat_core::store::{ConversationStore, GroupStore, InboxStore};
    use chat_dynamo::{BackfillReport, DynamoStore};

    use super::fresh_store;

    fn now_ms() -> u64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
        u64::try_from(since.as_millis()).expect("ms fit")
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name).expect("valid user")
    }

    /// A new message as the send function makes it: a group's name rides on its messages.
    fn message(from: &UserId, to: Conversation, members: &[&UserId], body: &str) -> NewMessage {
        let name = matches!(to, Conversation::Group(_)).then(|| "Trip".to_owned());
        let ts = now_ms();
        NewMessage {
            reply_to: None,
            mentions: Vec::new(),
            removed: false,
            origin: chat_core::message::Origin::User,
            msg_id: MsgId::generate(ts),
            conversation: to,
            from: from.clone(),
            client_msg_id: ClientMsgId::parse(&ulid::Ulid::new().to_string()).expect("valid"),
            body: body.into(),
            ts,
            participants: members.iter().map(|u| (*u).clone()).collect(),
            limit: None,
            amends: None,
            name,
            attachments: Vec::new(),
        }
    }

    async fn send(store: &DynamoStore, from: &UserId, to: Conversation, members: &[&UserId], body: &str) -> MsgId {
        match store.append(&message(from, to, members, body)).await.expect("append") {
            AppendOutcome::Stored { ack, .. } => ack.msg_id,
            other => panic!("not stored: {other:?}"),
        }
    }

    async fn amend(
        store: &DynamoStore,
        from: &UserId,
        target: &MsgId,
        to: Conversation,
        members: &[&UserId],
        kind: UpdateKind,
        body: &str,
    ) {
        let msg =
            NewMessage { msg_id: target.clone(), amends: Some(kind), name: None, ..message(from, to, members, body) };
        assert!(matches!(store.append(&msg).await.expect("amend"), AppendOutcome::Stored { .. }));
    }

    /// Deletes every summary: the state of a stack deployed before they existed.
    async fn forget_summaries(store: &DynamoStore) {
        let table = &store.tables().conversations;
        let out = store.client().scan().table_name(table).send().await.expect("scan");
        for item in out.items() {
            let key = [cv::PK, cv::SK].map(|k| (k.to_owned(), item[k].clone())).into_iter().collect();
            store.client().delete_item().table_name(table).set_key(Some(key)).send().await.expect("delete");
        }
        let left = store.client().scan().table_name(table).send().await.expect("scan");
        assert_eq!(left.count(), 0);
    }

    async fn list(store: &DynamoStore, u: &UserId) -> SummaryPage {
        store.conversations(u, None, 100).await.expect("conversations")
    }

    /// The first message after the upgrade in the conversation that was already the
    /// user's latest (so `activity` would not move) still puts it in the list.
    #[tokio::test]
    async fn a_conversation_quiet_since_before_the_upgrade_is_listed_once_it_moves() {
        let store = fresh_store().await;
        let (ann, ben) = (user("ann"), user("ben"));
        let dm = Conversation::direct(&ann, &ben);
        send(&store, &ann, dm.clone(), &[&ann, &ben], "before the upgrade").await;
        forget_summaries(&store).await;
        send(&store, &ann, dm.clone(), &[&ann, &ben], "after the upgrade").await;
        for u in [&ann, &ben] {
            let page = list(&store, u).await;
            assert_eq!(page.items.len(), 1, "{u} sees the conversation: {page:?}");
            assert_eq!(page.items[0].last.preview, "after the upgrade");
        }
        assert_eq!(list(&store, &ben).await.items[0].unread, 1, "counted from the upgrade on");
    }

    /// `backfill_summaries` gives every old conversation the summary its entries say:
    /// the same list as if summaries had always existed (everything read), group names
    /// and edited or deleted last messages included; a second pass writes nothing, and a
    /// summary written since is left alone.
    #[tokio::test]
    async fn the_backfill_rebuilds_every_list_as_summaries_would_have_kept_it() {
        let store = fresh_store().await;
        let (ann, ben, cat) = (user("ann"), user("ben"), user("cat"));
        let gid = GroupId::parse("trip").expect("valid");
        store
            .create_group(&Group {
                id: gid.clone(),
                name: "Trip".into(),
                creator: ann.clone(),
                members: vec![ann.clone(), ben.clone(), cat.clone()],
            })
            .await
            .expect("group");
        let group = Conversation::Group(gid);
        let ab = Conversation::direct(&ann, &ben);
        let bc = Conversation::direct(&ben, &cat);
        send(&store, &ann, ab.clone(), &[&ann, &ben], "hi ben").await;
        send(&store, &ben, group.clone(), &[&ann, &ben, &cat], "who packs the tent?").await;
        let last = send(&store, &cat, group.clone(), &[&ann, &ben, &cat], "me, tpyo").await;
        amend(&store, &cat, &last, group.clone(), &[&ann, &ben, &cat], UpdateKind::Edit, "me, typo fixed").await;
        let gone = send(&store, &ben, bc.clone(), &[&ben, &cat], "oops").await;
        amend(&store, &ben, &gone, bc.clone(), &[&ben, &cat], UpdateKind::Delete, "").await;
        send(&store, &ann, ab.clone(), &[&ann, &ben], "and bye").await;
        // What the lists are with summaries, everything read (old conversations count as read).
        let mut want = Vec::new();
        for u in [&ann, &ben, &cat] {
            for item in list(&store, u).await.items {
                store.mark_read(u, &item.conversation, item.last_seq).await.expect("read");
            }
            want.push(list(&store, u).await);
        }
        forget_summaries(&store).await;
        let report = store.backfill_summaries(3).await.expect("backfill");
        assert_eq!(report, BackfillReport { entries: 17, conversations: 7, written: 7, existing: 0 });
        for (u, want) in [&ann, &ben, &cat].into_iter().zip(&want) {
            let got = list(&store, u).await;
            assert_eq!(got.items, want.items, "{u}'s list");
        }
        assert_eq!(
            want[1].items.iter().find(|i| i.conversation == group).and_then(|i| i.name.as_deref()),
            Some("Trip")
        );
        // A conversation that moved since keeps its live summary; a second pass is a no-op.
        send(&store, &cat, bc.clone(), &[&ben, &cat], "still there?").await;
        let before = list(&store, &ben).await;
        assert_eq!(before.items[0].unread, 1);
        let again = store.backfill_summaries(1).await.expect("backfill");
        assert_eq!(again, BackfillReport { entries: 19, conversations: 7, written: 0, existing: 7 });
        assert_eq!(list(&store, &ben).await.items, before.items);
    }
}
