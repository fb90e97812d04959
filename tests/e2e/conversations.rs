//! End-to-end: the conversation list, read markers on every device, edits and deletes,
//! over real WebSockets against the embedded store and `--dynamodb`.

use chat_e2e::{Client, TestServer};
use futures_util::future::join_all;
use serde_json::{Value, json};

async fn list(client: &mut Client) -> Vec<Value> {
    let reply = client.request(json!({"action":"conversations"})).await;
    assert_eq!(reply["type"], "conversations", "{reply}");
    reply["items"].as_array().cloned().expect("items")
}

async fn three_messages_to_an_offline_user_are_unread_until_read_on_any_device(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    carol.send_to("bob", "c1", "from carol").await;
    for i in 1..=3 {
        alice.send_to("bob", &format!("a{i}"), &format!("message {i}")).await;
    }
    let mut phone = server.connect("bob", "phone").await;
    let mut laptop = server.connect("bob", "laptop").await;
    let items = list(&mut phone).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let first = &items[0];
    assert_eq!(first["conversation"], "dm:alice:bob", "most recent first: {items:?}");
    assert_eq!((first["unread"].as_u64(), first["readUpTo"].as_u64()), (Some(3), Some(0)));
    assert_eq!(first["last"]["preview"], "message 3");
    assert_eq!(first["last"]["from"], "alice");
    assert_eq!(first["lastSeq"], 4);
    assert_eq!(items[1]["conversation"], "dm:bob:carol");
    assert_eq!(items[1]["unread"], 1);
    let mine = list(&mut alice).await;
    assert_eq!(mine[0]["unread"], 0, "one's own messages never count: {mine:?}");
    let ok = phone.request(json!({"action":"read","conversation":"dm:alice:bob","upTo":4})).await;
    assert_eq!(ok["type"], "ok", "{ok}");
    let (told, _) = laptop.until("read").await;
    assert_eq!(told, json!({"type":"read","conversation":"dm:alice:bob","upTo":4}));
    for device in [&mut phone, &mut laptop] {
        let items = list(device).await;
        assert_eq!(items[0]["unread"], 0, "{items:?}");
        assert_eq!(items[0]["readUpTo"], 4);
    }
    let back = phone.request(json!({"action":"read","conversation":"dm:alice:bob","upTo":1})).await;
    assert_eq!(back["type"], "ok");
    assert_eq!(list(&mut phone).await[0]["readUpTo"], 4, "read markers only move forward");
    laptop.assert_quiet().await;
    // Bad input changes nothing.
    let missing = phone.request(json!({"action":"read","conversation":"dm:alice:bob"})).await;
    assert_eq!(missing["code"], "bad_request", "{missing}");
    let foreign = phone.request(json!({"action":"read","conversation":"dm:alice:carol","upTo":1})).await;
    assert_eq!(foreign["code"], "forbidden", "{foreign}");
    let unknown = phone.request(json!({"action":"read","conversation":"dm:bob:zed","upTo":1})).await;
    assert_eq!(unknown["code"], "not_found", "{unknown}");
    let bad_limit = phone.request(json!({"action":"conversations","limit":0})).await;
    assert_eq!(bad_limit["code"], "bad_request", "{bad_limit}");
    // Paging.
    let page = phone.request(json!({"action":"conversations","limit":1})).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let next = page["next"].as_u64().expect("a next page");
    let rest = phone.request(json!({"action":"conversations","limit":1,"before":next})).await;
    assert_eq!(rest["items"][0]["conversation"], "dm:bob:carol", "{rest}");
}

async fn a_hundred_member_group_send_leaves_every_count_exact(server: TestServer) {
    let members: Vec<String> = (1..100).map(|i| format!("member{i:02}")).collect();
    let mut owner = server.connect("owner", "d").await;
    let group = owner
        .request_within(json!({"action":"group.create","name":"Everyone","members":members}), chat_e2e::LONG_WAIT)
        .await;
    let gid = group["groupId"].as_str().expect("group id").to_owned();
    owner
        .request_within(json!({"action":"send","group":gid,"clientMsgId":"g1","body":"hello all"}), chat_e2e::LONG_WAIT)
        .await;
    let mut m5 = server.connect("member05", "d").await;
    m5.request_within(json!({"action":"send","group":gid,"clientMsgId":"g2","body":"hi from 5"}), chat_e2e::LONG_WAIT)
        .await;
    let conversation = format!("group:{gid}");
    let checks = std::iter::once("owner".to_owned()).chain(members.iter().cloned()).collect::<Vec<_>>();
    for wave in checks.chunks(10) {
        let results = join_all(wave.iter().map(|who| {
            let server = &server;
            let conversation = conversation.clone();
            async move {
                let mut c = server.connect(who, "check").await;
                let items = list(&mut c).await;
                c.close().await;
                let item = items.into_iter().find(|i| i["conversation"] == conversation.as_str());
                (who.clone(), item)
            }
        }))
        .await;
        for (who, item) in results {
            let item = item.unwrap_or_else(|| panic!("{who} has the group"));
            let expected = if who == "owner" || who == "member05" { 1 } else { 2 };
            assert_eq!(item["unread"], expected, "{who}: {item}");
            assert_eq!(item["name"], "Everyone");
            assert_eq!(item["last"]["preview"], "hi from 5");
        }
    }
}

async fn edits_and_deletes_reach_everyone_live_and_through_sync(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut alice_laptop = server.connect("alice", "laptop").await;
    let mut bob = server.connect("bob", "phone").await;
    let first = alice.send_to("bob", "m1", "helo").await;
    let msg_id = first["msgId"].as_str().expect("msgId").to_owned();
    alice.send_to("bob", "m2", "second").await;
    for c in [&mut bob, &mut alice_laptop] {
        c.until("message").await;
        c.until("message").await;
    }
    let ack = alice.request(json!({"action":"edit","msgId":msg_id,"body":"hello","clientMsgId":"e1"})).await;
    assert_eq!((ack["type"].as_str(), ack["seq"].as_u64()), (Some("ack"), Some(3)), "{ack}");
    assert_eq!(ack["msgId"], msg_id.as_str());
    for c in [&mut bob, &mut alice_laptop] {
        let (update, _) = c.until("update").await;
        assert_eq!(update["kind"], "edit");
        assert_eq!(update["msgId"], msg_id.as_str());
        assert_eq!(update["body"], "hello");
        assert_eq!(update["by"], "alice");
        assert_eq!(update["seq"], 3, "{update}");
        assert_eq!(update["conversation"], "dm:alice:bob");
    }
    let again = alice.request(json!({"action":"edit","msgId":msg_id,"body":"hello","clientMsgId":"e1"})).await;
    assert_eq!((again["seq"].as_u64(), again["msgId"].as_str()), (Some(3), Some(msg_id.as_str())), "the first ack");
    // Only the sender may; unknown ids are not found.
    let refused = bob.request(json!({"action":"edit","msgId":msg_id,"body":"mine now","clientMsgId":"x"})).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused = bob.request(json!({"action":"delete","msgId":msg_id,"clientMsgId":"y"})).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let unknown =
        alice.request(json!({"action":"edit","msgId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","body":"x","clientMsgId":"z"})).await;
    assert_eq!(unknown["code"], "not_found", "{unknown}");
    let deleted = alice.request(json!({"action":"delete","msgId":msg_id,"clientMsgId":"d1"})).await;
    assert_eq!(deleted["seq"], 4, "{deleted}");
    let (update, _) = bob.until("update").await;
    assert_eq!((update["kind"].as_str(), update["seq"].as_u64()), (Some("delete"), Some(4)));
    assert!(update.get("body").is_none(), "a delete carries no body: {update}");
    let after = alice.request(json!({"action":"edit","msgId":msg_id,"body":"back","clientMsgId":"e2"})).await;
    assert_eq!(after["code"], "not_found", "a deleted message cannot be edited: {after}");
    // A device that was away replays everything in order, with no gap.
    let mut tablet = server.connect("bob", "tablet").await;
    let all = tablet.sync_all(0).await;
    let seqs: Vec<u64> = all.iter().map(|m| m["seq"].as_u64().expect("seq")).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    let kinds: Vec<&str> = all.iter().map(|m| m["type"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, vec!["message", "message", "update", "update"]);
    assert_eq!(all[2]["body"], "hello");
    let history = tablet.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    let messages = history["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2, "history shows messages only: {history}");
    assert_eq!(messages[0]["body"], "second");
    assert_eq!(messages[1]["deleted"], true);
    assert!(messages[1].get("body").is_none(), "no body once deleted: {}", messages[1]);
    let items = list(&mut tablet).await;
    assert_eq!(items[0]["last"]["preview"], "second", "deleting an older message leaves the preview");
    assert_eq!(items[0]["lastSeq"], 4);
}

async fn an_edit_of_the_last_message_moves_the_preview(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let ack = alice.send_to("bob", "m1", "typo").await;
    let msg_id = ack["msgId"].as_str().expect("msgId").to_owned();
    alice.request(json!({"action":"edit","msgId":msg_id,"body":"fixed","clientMsgId":"e1"})).await;
    let mut bob = server.connect("bob", "phone").await;
    let items = list(&mut bob).await;
    assert_eq!(items[0]["last"]["preview"], "fixed", "{items:?}");
    assert!(items[0]["last"]["editedAt"].as_u64().is_some());
    assert_eq!(items[0]["unread"], 1, "an edit is not a new unread message");
    let history = bob.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    assert_eq!(history["messages"][0]["body"], "fixed");
    assert!(history["messages"][0]["editedAt"].as_u64().is_some(), "{history}");
    alice.request(json!({"action":"delete","msgId":msg_id,"clientMsgId":"d1"})).await;
    let items = list(&mut bob).await;
    assert_eq!((items[0]["last"]["deleted"].as_bool(), items[0]["last"]["preview"].as_str()), (Some(true), Some("")));
}

chat_e2e::suite!(chat_e2e::spawn;
    three_messages_to_an_offline_user_are_unread_until_read_on_any_device,
    a_hundred_member_group_send_leaves_every_count_exact,
    edits_and_deletes_reach_everyone_live_and_through_sync,
    an_edit_of_the_last_message_moves_the_preview,
);
