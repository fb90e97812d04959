//! One test per action, through [`handle`] on the memory store with the test kit's
//! recording poster: the templates for a new action's tests.

use chat_core::store::ConnectionStore;
use chat_core::store::memory::MemoryStore;
use chat_lambda::testing::{RecordingPoster, connection, route_event, route_request_from_device};
use serde_json::{Value, json};

use super::*;

struct Harness {
    deps: Deps<MemoryStore, RecordingPoster>,
}

impl Harness {
    /// alice on `a1=`, bob on `b1=` and `b2=`, carol on `c1=`.
    async fn new() -> Self {
        let deps = Deps::basic(MemoryStore::new(), RecordingPoster::default());
        for (user, conn) in [("alice", "a1="), ("bob", "b1="), ("bob", "b2="), ("carol", "c1=")] {
            deps.store.put_connection(&connection(user, conn)).await.expect("put");
        }
        Self { deps }
    }

    /// Runs one frame from `user` on `conn`; returns what that connection was sent.
    async fn frame(&self, user: &str, conn: &str, body: Value) -> Vec<Value> {
        self.deps.poster.take();
        handle(&self.deps, route_event(user, conn, &body.to_string())).await.expect("handled");
        self.deps.poster.frames_to(conn)
    }

    /// What `conn` was sent by the last frame.
    fn sent_to(&self, conn: &str) -> Vec<Value> {
        self.deps.poster.frames_to(conn)
    }
}

/// The direct reply among `frames` (the caller's own devices also get stored notices).
fn reply(frames: Vec<Value>) -> Value {
    only(frames.into_iter().filter(|f| f["type"] != "message").collect())
}

fn only(frames: Vec<Value>) -> Value {
    assert_eq!(frames.len(), 1, "{frames:?}");
    frames.into_iter().next().unwrap_or_default()
}

#[tokio::test]
async fn send_acks_the_sender_and_reaches_every_device_of_the_recipient() {
    let h = Harness::new().await;
    let ack = only(
        h.frame("alice", "a1=", json!({"action":"send","id":"1","to":"bob","clientMsgId":"m1","body":"hi"})).await,
    );
    assert_eq!((ack["type"].as_str(), ack["seq"].as_u64(), ack["id"].as_str()), (Some("ack"), Some(1), Some("1")));
    for conn in ["b1=", "b2="] {
        let m = only(h.sent_to(conn));
        assert_eq!((m["type"].as_str(), m["body"].as_str(), m["seq"].as_u64()), (Some("message"), Some("hi"), Some(1)));
    }
    let again = only(h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"hi"})).await);
    assert_eq!(again["msgId"], ack["msgId"], "a resend gets the first ack");
    assert!(h.sent_to("b1=").is_empty(), "and delivers nothing");
}

#[tokio::test]
async fn sync_and_history_read_only_the_callers_inbox() {
    let h = Harness::new().await;
    h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"one"})).await;
    let sync = only(h.frame("bob", "b1=", json!({"action":"sync","id":"s","after":0})).await);
    assert_eq!((sync["type"].as_str(), sync["messages"][0]["body"].as_str()), (Some("sync"), Some("one")));
    let history = only(h.frame("bob", "b1=", json!({"action":"history","conversation":"dm:alice:bob"})).await);
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(1));
    let refused = only(h.frame("carol", "c1=", json!({"action":"history","conversation":"dm:alice:bob"})).await);
    assert_eq!(refused["code"], "forbidden");
}

#[tokio::test]
async fn receipts_reach_the_sender() {
    let h = Harness::new().await;
    let ack = only(h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"x"})).await);
    let ok = only(h.frame("bob", "b1=", json!({"action":"receipt","msgIds":[ack["msgId"]],"status":"read"})).await);
    assert_eq!(ok["type"], "ok");
    let r = only(h.sent_to("a1="));
    assert_eq!(
        (r["type"].as_str(), r["status"].as_str(), r["by"].as_str()),
        (Some("receipt"), Some("read"), Some("bob"))
    );
}

#[tokio::test]
async fn typing_goes_to_the_other_side_and_is_not_stored() {
    let h = Harness::new().await;
    assert!(h.frame("alice", "a1=", json!({"action":"typing","to":"bob"})).await.is_empty());
    assert_eq!(only(h.sent_to("b2="))["type"], "typing");
    let sync = only(h.frame("bob", "b1=", json!({"action":"sync"})).await);
    assert_eq!(sync["messages"], json!([]));
}

#[tokio::test]
async fn group_actions_announce_changes_to_the_members() {
    let h = Harness::new().await;
    let g = reply(h.frame("alice", "a1=", json!({"action":"group.create","name":"g","members":["bob"]})).await);
    assert_eq!(g["type"], "group");
    let gid = g["groupId"].clone();
    assert_eq!(only(h.sent_to("b1="))["from"], "system");
    let added = reply(h.frame("alice", "a1=", json!({"action":"group.add","group":gid,"members":["carol"]})).await);
    assert_eq!(added["members"].as_array().map(Vec::len), Some(3));
    let refused = only(h.frame("bob", "b1=", json!({"action":"group.remove","group":gid,"members":["carol"]})).await);
    assert_eq!(refused["code"], "forbidden", "only the creator removes");
    let left = only(h.frame("carol", "c1=", json!({"action":"group.leave","group":gid})).await);
    assert_eq!(left["type"], "ok");
    let gone = only(h.frame("carol", "c1=", json!({"action":"send","group":gid,"clientMsgId":"x","body":"hi"})).await);
    assert_eq!(gone["code"], "not_found");
}

#[tokio::test]
async fn ping_is_answered_with_pong() {
    let h = Harness::new().await;
    assert_eq!(only(h.frame("alice", "a1=", json!({"action":"ping","id":"p"})).await), json!({"type":"pong","id":"p"}));
}

#[tokio::test]
async fn whoami_answers_the_callers_ids_from_the_authorizer_context() {
    let h = Harness::new().await;
    let me = only(h.frame("alice", "a1=", json!({"action":"whoami","id":"w"})).await);
    assert_eq!(me, json!({"type":"whoami","id":"w","user":"alice","device":null}));
    h.deps.poster.take();
    let event = route_request_from_device("bob", Some("phone"), "b1=", r#"{"action":"whoami"}"#);
    handle(&h.deps, LambdaEvent::new(event, Default::default())).await.expect("handled");
    assert_eq!(only(h.sent_to("b1=")), json!({"type":"whoami","user":"bob","device":"phone"}));
}

#[tokio::test]
async fn bad_frames_and_other_functions_actions_get_one_error_each() {
    let h = Harness::new().await;
    for (body, code) in [
        (json!("hello"), "bad_request"),
        (json!({"action":"fly","id":"f"}), "unknown_action"),
        (json!({"action":"presence","users":["bob"]}), "unknown_action"),
        (json!({"action":"send","to":"bob","clientMsgId":"c","body":""}), "bad_request"),
    ] {
        let body = if let Value::String(s) = &body { s.clone() } else { body.to_string() };
        h.deps.poster.take();
        handle(&h.deps, route_event("alice", "a1=", &body)).await.expect("handled");
        assert_eq!(only(h.sent_to("a1="))["code"], code, "{body}");
    }
    let sync = only(h.frame("bob", "b1=", json!({"action":"sync"})).await);
    assert_eq!(sync["messages"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn a_client_msg_id_reused_for_a_different_message_is_a_conflict_and_stores_nothing() {
    let h = Harness::new().await;
    let ack = only(h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"one"})).await);
    let refused = only(
        h.frame("alice", "a1=", json!({"action":"send","id":"x","to":"carol","clientMsgId":"m1","body":"one"})).await,
    );
    assert_eq!((refused["code"].as_str(), refused["id"].as_str()), (Some("conflict"), Some("x")));
    assert_eq!(refused["clientMsgId"], "m1");
    assert!(h.sent_to("c1=").is_empty(), "carol is told nothing");
    let other_body =
        only(h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"two"})).await);
    assert_eq!(other_body["code"], "conflict");
    let sync = only(h.frame("carol", "c1=", json!({"action":"sync"})).await);
    assert_eq!(sync["messages"], json!([]), "nothing stored for carol");
    let resend =
        only(h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"one"})).await);
    assert_eq!(resend["msgId"], ack["msgId"], "the real resend still gets the first ack");
}

#[tokio::test]
async fn a_frame_after_the_token_expired_gets_unauthorized_and_the_connection_is_closed() {
    let h = Harness::new().await;
    let mut event = chat_lambda::testing::route_request(
        "alice",
        "a1=",
        r#"{"action":"send","id":"late","to":"bob","clientMsgId":"m1","body":"hi"}"#,
    );
    event.request_context.authorizer.fields.insert("expiresAt".into(), json!(1_000));
    handle(&h.deps, LambdaEvent::new(event, Default::default())).await.expect("handled");
    let refused = only(h.sent_to("a1="));
    assert_eq!((refused["code"].as_str(), refused["id"].as_str()), (Some("unauthorized"), Some("late")));
    assert_eq!(h.deps.poster.closed(), vec!["a1=".to_owned()]);
    assert!(h.sent_to("b1=").is_empty(), "nothing was delivered");
    let sync = only(h.frame("bob", "b1=", json!({"action":"sync"})).await);
    assert_eq!(sync["messages"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn a_group_create_retried_with_its_client_msg_id_gets_the_first_group() {
    let h = Harness::new().await;
    let create = json!({"action":"group.create","name":"g","members":["bob"],"clientMsgId":"mk-1"});
    let first = reply(h.frame("alice", "a1=", create.clone()).await);
    let again = reply(h.frame("alice", "a1=", create).await);
    assert_eq!(first["groupId"], again["groupId"]);
    assert!(h.sent_to("b1=").is_empty(), "the retry announced nothing");
    let other = json!({"action":"group.create","name":"g","members":["carol"],"clientMsgId":"mk-1","id":"x"});
    let refused = reply(h.frame("alice", "a1=", other).await);
    assert_eq!((refused["code"].as_str(), refused["clientMsgId"].as_str()), (Some("conflict"), Some("mk-1")));
    let sync = only(h.frame("bob", "b1=", json!({"action":"sync"})).await);
    assert_eq!(sync["messages"].as_array().map(Vec::len), Some(1), "one group, one notice");
}

#[tokio::test]
async fn conversations_lists_the_callers_own_with_unread_counts() {
    let h = Harness::new().await;
    h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"hi"})).await;
    let list = only(h.frame("bob", "b1=", json!({"action":"conversations","id":"l"})).await);
    assert_eq!(list["type"], "conversations");
    assert_eq!(list["id"], "l");
    assert_eq!(list["items"][0]["conversation"], "dm:alice:bob");
    assert_eq!(list["items"][0]["unread"], 1);
    assert_eq!(list["next"], Value::Null);
    let carol = only(h.frame("carol", "c1=", json!({"action":"conversations"})).await);
    assert_eq!(carol["items"], json!([]), "nobody sees anyone else's list");
    let bad = only(h.frame("bob", "b1=", json!({"action":"conversations","limit":101})).await);
    assert_eq!(bad["code"], "bad_request");
}

#[tokio::test]
async fn read_tells_the_callers_other_connections_and_refuses_strangers() {
    let h = Harness::new().await;
    h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"hi"})).await;
    let ok = only(h.frame("bob", "b1=", json!({"action":"read","conversation":"dm:alice:bob","upTo":1})).await);
    assert_eq!(ok["type"], "ok");
    assert_eq!(only(h.sent_to("b2=")), json!({"type":"read","conversation":"dm:alice:bob","upTo":1}));
    assert!(h.sent_to("a1=").is_empty(), "the sender is not told (that is what receipts are for)");
    let again = only(h.frame("bob", "b1=", json!({"action":"read","conversation":"dm:alice:bob","upTo":1})).await);
    assert_eq!(again["type"], "ok");
    assert!(h.sent_to("b2=").is_empty(), "a marker that does not move tells nobody");
    let foreign = only(h.frame("carol", "c1=", json!({"action":"read","conversation":"dm:alice:bob","upTo":1})).await);
    assert_eq!(foreign["code"], "forbidden");
    let unknown =
        only(h.frame("carol", "c1=", json!({"action":"read","conversation":"dm:alice:carol","upTo":1})).await);
    assert_eq!(unknown["code"], "not_found");
}

#[tokio::test]
async fn edit_and_delete_are_the_senders_alone_and_reach_the_others_as_updates() {
    let h = Harness::new().await;
    let ack = only(h.frame("alice", "a1=", json!({"action":"send","to":"bob","clientMsgId":"m1","body":"helo"})).await);
    let msg_id = ack["msgId"].clone();
    let edit = json!({"action":"edit","msgId":msg_id,"body":"hello","clientMsgId":"e1"});
    let refused = only(h.frame("bob", "b1=", edit.clone()).await);
    assert_eq!((refused["code"].as_str(), refused["clientMsgId"].as_str()), (Some("forbidden"), Some("e1")));
    let missing = only(h.frame("alice", "a1=", json!({"action":"edit","msgId":msg_id,"body":"x"})).await);
    assert_eq!(missing["code"], "bad_request", "an edit needs its own clientMsgId");
    let empty =
        only(h.frame("alice", "a1=", json!({"action":"edit","msgId":msg_id,"body":"","clientMsgId":"e0"})).await);
    assert_eq!(empty["code"], "bad_request");
    let acked = only(h.frame("alice", "a1=", edit).await);
    assert_eq!((acked["type"].as_str(), acked["seq"].as_u64()), (Some("ack"), Some(2)));
    for conn in ["b1=", "b2="] {
        let update = only(h.sent_to(conn));
        assert_eq!(update["type"], "update");
        assert_eq!(
            (update["kind"].as_str(), update["body"].as_str(), update["seq"].as_u64()),
            (Some("edit"), Some("hello"), Some(2))
        );
    }
    let deleted = only(h.frame("alice", "a1=", json!({"action":"delete","msgId":msg_id,"clientMsgId":"d1"})).await);
    assert_eq!(deleted["seq"], 3);
    assert_eq!(only(h.sent_to("b1="))["kind"], "delete");
    let after =
        only(h.frame("alice", "a1=", json!({"action":"edit","msgId":msg_id,"body":"x","clientMsgId":"e2"})).await);
    assert_eq!(after["code"], "not_found");
    let page = only(h.frame("bob", "b1=", json!({"action":"sync","after":0})).await);
    let kinds: Vec<&str> =
        page["messages"].as_array().map(|m| m.iter().filter_map(|e| e["type"].as_str()).collect()).unwrap_or_default();
    assert_eq!(kinds, vec!["message", "update", "update"]);
}

#[tokio::test]
async fn a_removed_members_copy_stops_changing_and_its_list_stops_moving() {
    use chat_core::store::{ConversationStore, InboxStore};
    let h = Harness::new().await;
    let g = reply(h.frame("alice", "a1=", json!({"action":"group.create","name":"g","members":["bob","carol"]})).await);
    let gid = g["groupId"].as_str().unwrap_or_default().to_owned();
    let ack =
        only(h.frame("alice", "a1=", json!({"action":"send","group":gid,"clientMsgId":"m1","body":"draft"})).await);
    h.frame("alice", "a1=", json!({"action":"group.remove","group":gid,"members":["carol"]})).await;
    let carol = chat_lambda::testing::user("carol");
    let before = h.deps.store.sync(&carol, 0, 100).await.expect("sync").entries;
    h.frame("alice", "a1=", json!({"action":"edit","msgId":ack["msgId"],"body":"final","clientMsgId":"e1"})).await;
    h.frame("alice", "a1=", json!({"action":"send","group":gid,"clientMsgId":"m2","body":"after"})).await;
    assert!(h.sent_to("c1=").is_empty(), "nothing reaches a removed member");
    let after = h.deps.store.sync(&carol, 0, 100).await.expect("sync").entries;
    assert_eq!(after, before, "her inbox, and her copy of the message, stay as they were");
    let conv = chat_core::ids::Conversation::parse(&format!("group:{gid}")).expect("valid");
    let summary = h.deps.store.summaries(&carol, std::slice::from_ref(&conv)).await.expect("read")[0].clone();
    assert_eq!(summary.expect("kept").last.preview, "alice removed carol", "her list stops at her removal");
    let bob = h
        .deps
        .store
        .message(
            &chat_lambda::testing::user("bob"),
            &chat_core::ids::MsgId::from_stored(ack["msgId"].as_str().unwrap_or_default().to_owned()),
        )
        .await;
    assert_eq!(bob.expect("read").expect("held").body, "final", "members still in the group see the edit");
}

#[tokio::test]
async fn a_message_reported_by_enough_distinct_users_is_deleted_for_everyone() {
    use chat_core::store::ReportStore;
    use chat_core::store::reports::Status;
    let mut h = Harness::new().await;
    h.deps.moderation.auto_hide = Some(2);
    let g = reply(h.frame("alice", "a1=", json!({"action":"group.create","name":"g","members":["bob","carol"]})).await);
    let gid = g["groupId"].as_str().unwrap_or_default().to_owned();
    let ack =
        only(h.frame("alice", "a1=", json!({"action":"send","group":gid,"clientMsgId":"m1","body":"nasty"})).await);
    let report = json!({"action":"report","msgId":ack["msgId"],"reason":"hate"});
    assert_eq!(reply(h.frame("bob", "b1=", report.clone()).await)["type"], "ok");
    assert_eq!(reply(h.frame("bob", "b1=", report.clone()).await)["type"], "ok", "the same reporter twice counts once");
    let case = h.deps.store.case(ack["msgId"].as_str().unwrap_or_default()).await.expect("read").expect("a case");
    assert_eq!((case.reporters, case.status), (1, Status::Open), "one reporter is not enough");
    h.frame("carol", "c1=", report).await;
    let update = h.sent_to("b1=").into_iter().find(|f| f["type"] == "update").expect("an update");
    assert_eq!((update["kind"].as_str(), update["by"].as_str()), (Some("delete"), Some("moderator")));
    let case = h.deps.store.case(ack["msgId"].as_str().unwrap_or_default()).await.expect("read").expect("a case");
    assert_eq!(case.status, Status::Resolved);
    assert_eq!(case.resolution.map(|r| r.by), Some("auto".to_owned()));
    assert_eq!(case.copy.body, "nasty", "the evidence stays");
}
