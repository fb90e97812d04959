//! Faults below the store, in the DynamoDB API itself, at every request an append makes: an
//! SDK interceptor (`chat_faults::dynamo::DynamoFault`) picks the Nth operation and makes every attempt of it fail, either
//! refused (throttled: the table never sees it) or lost (the table does it, the answer is
//! an `InternalServerError`). The append must then fail cleanly, and its retry (as a client
//! resends with the same `clientMsgId`) must complete it exactly once, with every inbox still
//! numbered 1, 2, 3, ... with no gap: no seq is ever used without its entry.
//!
//! Runs for a 1:1 message (every request, in turn) and for a group of 60, which the store
//! writes in several transactions (more than one transaction's worth of inboxes): there
//! every write request in turn (its 60 latest-entry reads run concurrently in no fixed
//! order, and a failed read writes nothing).

use aws_sdk_dynamodb::Client;
use chat_core::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::schema::TableNames;
use chat_core::store::InboxStore;
use chat_dynamo::{DynamoStore, tables};
use chat_faults::dynamo::{DynamoFailure, DynamoFault};

async fn tables_and_client() -> (aws_sdk_dynamodb::config::Builder, TableNames) {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let names = TableNames::with_prefix(&format!("sf{}-", ulid::Ulid::new().to_string().to_lowercase()));
    tables::ensure_tables(&Client::new(&sdk), &names).await.expect("tables");
    (aws_sdk_dynamodb::config::Builder::from(&sdk), names)
}

fn message(from: &UserId, conversation: Conversation, participants: Vec<UserId>, cid: &str) -> NewMessage {
    NewMessage {
        reply_to: None,
        mentions: Vec::new(),
        removed: false,
        origin: chat_core::message::Origin::User,
        msg_id: MsgId::generate(1_000),
        conversation,
        from: from.clone(),
        client_msg_id: ClientMsgId::parse(cid).expect("valid"),
        body: format!("{cid} body"),
        ts: 1_000,
        participants,
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    }
}

/// One message appended under a fault at operation `target`, retried until stored; then
/// every participant has it exactly once and a gap-free inbox.
async fn run(
    builder: &aws_sdk_dynamodb::config::Builder,
    names: &TableNames,
    tag: &str,
    size: usize,
    plan: Option<Fault>,
) -> DynamoFault {
    let users: Vec<UserId> = (0..size).map(|i| UserId::parse(&format!("{tag}u{i}")).expect("valid")).collect();
    let clean = DynamoStore::new(Client::from_conf(builder.clone().build()), names.clone());
    // A few already have entries, so their seqs do not start at 1.
    for (i, u) in users.iter().enumerate().take(3) {
        let other = &users[(i + 1) % size];
        let m = message(u, Conversation::direct(u, other), vec![u.clone(), other.clone()], &format!("pre{i}"));
        clean.append(&m).await.expect("setup append");
    }
    let fail = match plan {
        None => DynamoFault::operation(usize::MAX, DynamoFailure::Refused),
        Some(Fault::Op(n, failure)) => DynamoFault::operation(n, failure),
        Some(Fault::Write(name, n, failure)) => DynamoFault::nth(name, n, failure),
    };
    let faulty = DynamoStore::new(Client::from_conf(builder.clone().interceptor(fail.clone()).build()), names.clone());
    let conversation = if size == 2 {
        Conversation::direct(&users[0], &users[1])
    } else {
        Conversation::Group(GroupId::parse(&format!("{tag}g")).expect("valid"))
    };
    let mut attempts = 0;
    let ack = loop {
        attempts += 1;
        assert!(attempts <= 3, "{tag}: not stored after 2 retries");
        // A client resend: same clientMsgId, and the server mints a new msgId each time.
        let mut m = message(&users[0], conversation.clone(), users.clone(), "the-one");
        m.msg_id = MsgId::generate(1_000 + attempts);
        match faulty.append(&m).await {
            Ok(AppendOutcome::Stored { ack, .. } | AppendOutcome::Duplicate(ack)) => break ack,
            Ok(
                other @ (AppendOutcome::Conflict
                | AppendOutcome::NotFound
                | AppendOutcome::AttachmentRefused
                | AppendOutcome::RateLimited { .. }
                | AppendOutcome::Banned
                | AppendOutcome::Blocked
                | AppendOutcome::Unchanged(_)
                | AppendOutcome::TooManyReactions),
            ) => {
                panic!("{tag}: {other:?}")
            }
            Err(e) => eprintln!("{tag}: attempt {attempts} failed: {e}"),
        }
    };
    if matches!(plan, Some(Fault::Op(..))) || matches!(plan, Some(Fault::Write(_, n, _)) if n != usize::MAX) {
        assert!(fail.hits() > 0, "{tag}: the fault was injected");
    }
    for u in &users {
        let page = clean.sync(u, 0, 100).await.expect("sync");
        let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{tag}: {u}'s inbox has a gap");
        let copies = page.entries.iter().filter(|e| e.client_msg_id.as_deref() == Some("the-one")).count();
        assert_eq!(copies, 1, "{tag}: {u} has the message {copies} times");
        assert!(page.entries.iter().any(|e| e.msg_id == ack.msg_id), "{tag}: {u} has it under the acked msgId");
    }
    fail
}

/// Which request of an append fails.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The n-th request.
    Op(usize, DynamoFailure),
    /// The n-th request of this (write) operation.
    Write(&'static str, usize, DynamoFailure),
}

/// The write operations an append makes.
const WRITES: [&str; 2] = ["TransactWriteItems", "PutItem"];

/// Counts an append's requests, then fails each in turn both ways (for a large group:
/// each write request), a few runs at a time (more at once swamped moto, which serves one
/// request at a time, into timeouts).
async fn sweep(size: usize) {
    let (builder, names) = tables_and_client().await;
    let clean = run(&builder, &names, &format!("c{size}x"), size, None).await;
    let ops = clean.operations();
    assert!(ops >= 1);
    let mut faults = Vec::new();
    if size == 2 {
        for target in 0..ops {
            faults.extend([DynamoFailure::Refused, DynamoFailure::Lost].map(|kind| Fault::Op(target, kind)));
        }
    } else {
        for name in WRITES {
            let probe = Some(Fault::Write(name, usize::MAX, DynamoFailure::Refused));
            let probe = run(&builder, &names, &format!("p{size}{}", name.len()), size, probe).await;
            for target in 0..probe.named_operations() {
                faults
                    .extend([DynamoFailure::Refused, DynamoFailure::Lost].map(|kind| Fault::Write(name, target, kind)));
            }
        }
    }
    let runs = faults.into_iter().enumerate().map(|(i, fault)| {
        let tag = format!("s{size}f{i}");
        let (builder, names) = (builder.clone(), names.clone());
        async move { run(&builder, &names, &tag, size, Some(fault)).await }
    });
    let done =
        futures_util::StreamExt::count(futures_util::StreamExt::buffer_unordered(futures_util::stream::iter(runs), 3))
            .await;
    println!("{size} participants: {ops} DynamoDB operations per append; {done} faulted appends");
}

#[tokio::test]
async fn every_failed_dynamodb_request_of_a_one_to_one_append_leaves_no_gap_and_the_retry_stores_it_once() {
    sweep(2).await;
}

#[tokio::test]
async fn every_failed_dynamodb_request_of_a_60_member_append_leaves_no_gap_and_the_retry_stores_it_once() {
    sweep(60).await;
}
