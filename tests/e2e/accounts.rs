//! End-to-end: deleting an account, on the embedded store and `--dynamodb`. After the job
//! ends (`account.deleted`), a look at everything stored (`/dev/stored`: every item of
//! every table, or every map of the embedded store, that names the user) finds only what
//! is others' history (the messages it sent in their inboxes, the notices naming it), its
//! tombstone and the job's record; with `erase` its messages are deleted in every holder's
//! inbox at the next seq; the user id cannot connect until the tombstone is lifted.

use chat_e2e::{LONG_WAIT, TestServer, connect_status};
use serde_json::{Value, json};

/// Waits for `account.deleted` of `job`.
async fn deleted_event(server: &TestServer, job: &str) -> Value {
    let until = tokio::time::Instant::now() + LONG_WAIT;
    loop {
        let found = server.events(0).await.into_iter().find(|e| e["detail-type"] == "account.deleted");
        if let Some(e) = found.filter(|e| e["detail"]["jobId"] == job) {
            return e["detail"].clone();
        }
        assert!(tokio::time::Instant::now() < until, "no account.deleted for {job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Every stored item naming `user`.
async fn stored(server: &TestServer, user: &str) -> Vec<String> {
    let (status, body) = server.http_get(&format!("/dev/stored?user={user}")).await.expect("stored");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    v["items"].as_array().expect("items").iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
}

/// Whether a stored item naming `user` is allowed to stay: its tombstone or deletion job;
/// an item of someone else's inbox, conversation list or send record (their history);
/// a group's record of its last change (`removed: [user]`); and on DynamoDB the
/// subscriptions it made to others' presence, which lapse with its closed connections
/// (TTL, at most 2 h 10 min: docs/reliability.md).
fn may_stay(item: &str, user: &str) -> bool {
    let tombstone = item.contains(&format!("\"acct#{user}")) || item.starts_with(&format!("bans: UserId(\"{user}\")"));
    let table = item.split(':').next().unwrap_or("");
    let others_history = match table {
        "inboxes" | "summaries" => !item.starts_with(&format!("{table}: UserId(\"{user}\") ")),
        "idempotency" => !item.starts_with(&format!("idempotency: (UserId(\"{user}\")")),
        "groups" => !item.contains(&format!("creator: UserId(\"{user}\")")),
        t if t.ends_with("state") => item.contains("S(\"idem#") && !item.contains(&format!("S(\"idem#{user}#")),
        t if t.ends_with("groups") => {
            item.contains("S(\"#meta\")") && !item.contains(&format!("\"creator\": S(\"{user}\")"))
        }
        t if t.ends_with("presence") => {
            item.contains(&format!("\"subscriber\": S(\"{user}\")")) && item.contains("\"ttl\"")
        }
        t if t.ends_with("messages") || t.ends_with("conversations") => {
            !item.contains(&format!("\"userId\": S(\"{user}\")"))
        }
        _ => false,
    };
    tombstone || others_history
}

/// What alice has besides messages: a photo she sent bob, as a URL bob can fetch.
struct Photo(String);

impl Photo {
    async fn status(&self) -> u16 {
        chat_e2e::http("GET", &self.0, &[], &[]).await.status
    }
}

/// alice has a bit of everything: 1:1 and group messages both ways, a group she created,
/// a photo she sent, blocks both ways, a mute, a report, a push device, a presence
/// subscription.
async fn everything_of_alice(
    server: &TestServer,
) -> (chat_e2e::Client, chat_e2e::Client, chat_e2e::Client, String, Photo) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let carol = server.connect("carol", "phone").await;
    let g = alice.request(json!({"action":"group.create","name":"trip","members":["bob","carol"]})).await;
    let gid = g["groupId"].as_str().expect("groupId").to_owned();
    assert_eq!(alice.send_to("bob", "a1", "hi bob").await["type"], "ack");
    let from_bob = bob.send_to("alice", "b1", "hi alice").await;
    let group = json!({"action":"send","group":gid,"clientMsgId":"a2","body":"to the group"});
    assert_eq!(alice.request(group).await["type"], "ack");
    assert_eq!(alice.request(json!({"action":"block","user":"dave"})).await["type"], "ok");
    let mut dave = server.connect("dave", "phone").await;
    assert_eq!(dave.request(json!({"action":"block","user":"alice"})).await["type"], "ok");
    let mute = json!({"action":"mute","conversation":"dm:alice:bob"});
    assert_eq!(alice.request(mute).await["type"], "ok");
    let report = json!({"action":"report","msgId":from_bob["msgId"],"reason":"spam"});
    assert_eq!(alice.request(report).await["type"], "ok");
    let device = json!({"action":"push.register","platform":"fcm","token":"alice-fcm-token"});
    assert_eq!(alice.request(device).await["type"], "ok");
    assert_eq!(alice.request(json!({"action":"presence","users":["bob"]})).await["type"], "presence");
    bob.request(json!({"action":"presence","users":["alice"]})).await;
    let up = crate::media::upload(&mut alice, "dm:alice:bob", "image/png", "me.png", &crate::media::png(64, 64)).await;
    let sent = crate::media::send_with(&mut alice, "bob", "p1", "me", &[&up]).await;
    assert_eq!(sent["type"], "ack", "{sent}");
    let url = bob.request(json!({"action":"attachment","msgId":sent["msgId"],"attachmentId":up["uploadId"]})).await;
    let photo = Photo(url["url"].as_str().expect("a download URL").to_owned());
    assert_eq!(photo.status().await, 200, "the photo is there");
    assert!(!stored(server, "alice").await.iter().all(|i| may_stay(i, "alice")), "alice has state of her own");
    (alice, bob, carol, gid, photo)
}

async fn a_deleted_account_leaves_only_others_history_and_cannot_connect(server: TestServer) {
    let (mut alice, mut bob, _carol, gid, photo) = everything_of_alice(&server).await;
    let refused = alice.request(json!({"action":"account.delete","confirm":"bob"})).await;
    assert_eq!(refused["code"], "bad_request", "{refused}");
    let answer = alice.request(json!({"action":"account.delete","confirm":"alice"})).await;
    assert_eq!(answer["type"], "deleting", "{answer}");
    let job = answer["jobId"].as_str().expect("jobId").to_owned();

    let done = deleted_event(&server, &job).await;
    assert_eq!(done["user"], "alice");
    let removed = &done["removed"];
    assert_ne!(photo.status().await, 200, "the photo's object is gone");
    for kind in [
        "connections",
        "devices",
        "groupsLeft",
        "groupsHandedOver",
        "blocks",
        "blockedBy",
        "reports",
        "uploads",
        "objects",
    ] {
        assert!(removed[kind].as_u64().is_some_and(|n| n >= 1), "{kind} removed: {done}");
    }
    assert!(removed["inboxEntries"].as_u64().is_some_and(|n| n >= 4), "{done}");
    assert!(removed["conversations"].as_u64().is_some_and(|n| n >= 2), "{done}");
    let told = alice.next_or_closed().await.expect("alice is told why");
    assert_eq!((told["type"].as_str(), told["code"].as_str()), (Some("error"), Some("unauthorized")), "{told}");
    assert_eq!(alice.next_or_closed().await, None, "then her connection was closed");

    let left: Vec<String> = stored(&server, "alice").await.into_iter().filter(|i| !may_stay(i, "alice")).collect();
    assert!(left.is_empty(), "nothing of alice's own is stored:\n{}", left.join("\n"));
    // Her messages stay in bob's history, the group has a new owner and a notice.
    let synced = bob.sync_all(0).await;
    assert!(synced.iter().any(|m| m["from"] == "alice" && m["body"] == "hi bob"), "{synced:?}");
    let (status, group) = server.api("GET", &format!("/v1/groups/{gid}"), None).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(
        (group["group"]["creator"].as_str(), group["group"]["members"].clone()),
        (Some("bob"), json!(["bob", "carol"]))
    );

    // A message to the deleted user makes no inbox of it again (bob is told nothing).
    assert_eq!(bob.send_to("alice", "b9", "are you there?").await["type"], "ack");
    let left: Vec<String> = stored(&server, "alice").await.into_iter().filter(|i| !may_stay(i, "alice")).collect();
    assert!(left.is_empty(), "a message to alice stores nothing of hers:\n{}", left.join("\n"));
    let url = server.url(&format!("token={}&device=phone", server.token("alice").await));
    assert_eq!(connect_status(&url).await, Some(401), "a deleted user cannot connect");
    let (status, _) = server.api("DELETE", "/v1/users/alice/tombstone", None).await;
    assert_eq!(status, 200);
    assert_eq!(connect_status(&url).await, None, "after the tombstone is lifted, the id may connect again");
}

async fn an_erasing_deletion_deletes_its_messages_in_every_inbox_at_the_next_seq(server: TestServer) {
    let (_alice, mut bob, mut carol, _gid, photo) = everything_of_alice(&server).await;
    let before = bob.sync_all(0).await;
    let last = before.last().and_then(|m| m["seq"].as_u64()).expect("bob has entries");
    let (status, answer) = server.api("DELETE", "/v1/users/alice", Some(json!({"erase": true}))).await;
    assert_eq!(status, 202, "{answer}");
    let job = answer["jobId"].as_str().expect("jobId").to_owned();
    let again = server.api("DELETE", "/v1/users/alice", Some(json!({"erase": true}))).await.1;
    assert_eq!(again["jobId"], job.as_str(), "a repeat gets the running job");
    let done = deleted_event(&server, &job).await;
    assert_eq!(done["removed"]["erasedMessages"], 3, "{done}");
    assert_ne!(photo.status().await, 200, "the photo's object is gone");

    for (who, client) in [("bob", &mut bob), ("carol", &mut carol)] {
        let all = client.sync_all(0).await;
        let seqs: Vec<u64> = all.iter().filter_map(|m| m["seq"].as_u64()).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{who}'s seqs stay contiguous");
        let messages: Vec<&Value> = all.iter().filter(|m| m["from"] == "alice" && m["kind"].is_null()).collect();
        assert!(
            messages.iter().all(|m| m["deleted"] == true && m["body"].as_str().unwrap_or("").is_empty()),
            "{who}: {messages:?}"
        );
        let deletes = all.iter().filter(|m| m["kind"] == "delete" && m["by"] == "moderator").count();
        assert_eq!(deletes, messages.len(), "{who} got one delete per message of alice's");
    }
    let newer = bob.sync_all(last).await;
    assert!(newer.iter().any(|m| m["kind"] == "delete"), "the deletes come after what bob had");
    let left: Vec<String> = stored(&server, "alice").await.into_iter().filter(|i| !may_stay(i, "alice")).collect();
    assert!(left.is_empty(), "nothing of alice's own is stored:\n{}", left.join("\n"));
}

async fn bad_deletion_requests_change_nothing(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    alice.send_to("bob", "a1", "hi").await;
    let before = stored(&server, "alice").await;
    for frame in [json!({"action":"account.delete"}), json!({"action":"account.delete","confirm":"Not An Id!"})] {
        let reply = alice.request(frame.clone()).await;
        assert_eq!(reply["code"], "bad_request", "{frame}: {reply}");
    }
    let (status, body) = server.api("DELETE", "/v1/users/alice", Some(json!({"erase":"yes"}))).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    let (status, _) = server.api("DELETE", "/v1/users/alice/tombstone", None).await;
    assert_eq!(status, 404, "no tombstone to lift");
    assert_eq!(stored(&server, "alice").await, before, "nothing changed");
    assert_eq!(alice.request(json!({"action":"ping"})).await["type"], "pong", "still connected");
}

chat_e2e::suite!(crate::media::server;
    a_deleted_account_leaves_only_others_history_and_cannot_connect,
    an_erasing_deletion_deletes_its_messages_in_every_inbox_at_the_next_seq,
    bad_deletion_requests_change_nothing,
);
