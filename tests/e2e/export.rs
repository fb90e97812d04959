//! End-to-end: exporting an account, on the embedded store (the devserver's own blob
//! store) and `--dynamodb` with `--s3` (moto). The file behind the `exported` link holds
//! the inbox exactly as `sync` shows it, in seq order, and the rest of the user's data;
//! never a push token; the event names the file but carries no link.

use std::io::Cursor;

use chat_e2e::{Backend, Client, LONG_WAIT, TestServer, http, options, spawn_with};
use serde_json::{Value, json};

async fn server(backend: Backend) -> TestServer {
    let mut o = options(backend);
    if backend == Backend::DynamoDb {
        o.s3 = Some(format!("media-{}", ulid::Ulid::new().to_string().to_lowercase()));
    }
    spawn_with(o, Default::default()).await
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 20, |x, y| image::Rgb([(x * 6) as u8, (y * 12) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// Uploads `bytes` as a PNG and sends it to `to` (waiting, as a client does, while the
/// upload is being checked); returns the ack.
async fn send_photo(client: &mut Client, to: &str, conversation: &str, bytes: &[u8]) -> Value {
    let up = client
        .request(json!({"action":"upload","conversation":conversation,"contentType":"image/png","size":bytes.len(),"name":"p.png"}))
        .await;
    assert_eq!(up["type"], "upload", "{up}");
    let headers: Vec<(String, String)> = up["headers"]
        .as_object()
        .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    assert_eq!(http("PUT", up["url"].as_str().expect("url"), &headers, bytes).await.status, 200);
    for _ in 0..100 {
        let reply = client
            .request(json!({"action":"send","to":to,"clientMsgId":"photo","body":"","attachments":[{"uploadId":up["uploadId"]}]}))
            .await;
        if reply["message"].as_str().is_some_and(|m| m.contains("not complete")) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        }
        return reply;
    }
    panic!("the upload never completed");
}

/// The lines of the file behind `url`.
async fn download(url: &str) -> Vec<Value> {
    let got = http("GET", url, &[], &[]).await;
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.body));
    let text = String::from_utf8(got.body).expect("utf-8");
    assert!(text.ends_with('\n'));
    text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

fn of_type<'a>(lines: &'a [Value], ty: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == ty).collect()
}

/// Waits for `account.exported` of `job`.
async fn exported_event(server: &TestServer, job: &str) -> Value {
    let until = tokio::time::Instant::now() + LONG_WAIT;
    loop {
        let found = server
            .events(0)
            .await
            .into_iter()
            .find(|e| e["detail-type"] == "account.exported" && e["detail"]["jobId"] == job);
        if let Some(e) = found {
            return e["detail"].clone();
        }
        assert!(tokio::time::Instant::now() < until, "no account.exported for {job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn an_export_holds_the_whole_inbox_in_seq_order_and_its_link_works(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut laptop = server.connect("alice", "laptop").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    let g = alice.request(json!({"action":"group.create","name":"trip","members":["bob","carol"]})).await;
    let gid = g["groupId"].as_str().expect("groupId").to_owned();
    let edited = alice.send_to("bob", "a1", "hi bob").await;
    let edit = json!({"action":"edit","msgId":edited["msgId"],"body":"hi bob, edited","clientMsgId":"e1"});
    assert_eq!(alice.request(edit).await["type"], "ack");
    let deleted = alice.send_to("bob", "a2", "oops").await;
    let delete = json!({"action":"delete","msgId":deleted["msgId"],"clientMsgId":"d1"});
    assert_eq!(alice.request(delete).await["type"], "ack");
    let from_bob = bob.send_to("alice", "b1", "hi alice").await;
    let react = json!({"action":"react","msgId":edited["msgId"],"emoji":"👍","clientMsgId":"r1"});
    assert_eq!(bob.request(react).await["type"], "ack");
    let group = json!({"action":"send","group":gid,"clientMsgId":"c1","body":"to the group"});
    assert_eq!(carol.request(group).await["type"], "ack");
    let photo = png();
    let sent_photo = send_photo(&mut alice, "bob", "dm:alice:bob", &photo).await;
    assert_eq!(sent_photo["type"], "ack", "{sent_photo}");
    assert_eq!(alice.request(json!({"action":"block","user":"dave"})).await["type"], "ok");
    assert_eq!(alice.request(json!({"action":"mute","conversation":"dm:alice:bob"})).await["type"], "ok");
    let device = json!({"action":"push.register","platform":"fcm","token":"alice-secret-fcm-token"});
    assert_eq!(alice.request(device).await["type"], "ok");

    let answer = alice.request(json!({"action":"account.export"})).await;
    assert_eq!(answer["type"], "exporting", "{answer}");
    let job = answer["jobId"].as_str().expect("jobId").to_owned();
    let (frame, _) = alice.until("exported").await;
    assert_eq!(frame["jobId"], job.as_str());
    let (other, _) = laptop.until("exported").await;
    assert_eq!(other["jobId"], job.as_str(), "every live connection is told");
    let expires = frame["expiresAt"].as_u64().expect("expiresAt");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_millis() as u64;
    assert!(expires > now + 23 * 3600 * 1000 && expires <= now + 24 * 3600 * 1000, "a day: {expires} vs {now}");

    let lines = download(frame["url"].as_str().expect("url")).await;
    assert_eq!((lines[0]["type"].as_str(), lines[0]["user"].as_str()), (Some("export"), Some("alice")));
    assert_eq!(lines.last().map(|l| l["type"].clone()), Some(json!("end")));
    // The inbox: exactly what sync shows, in seq order, every seq there.
    let inbox: Vec<Value> = lines.iter().filter(|l| l["type"] == "message" || l["type"] == "update").cloned().collect();
    let synced = alice.sync_all(0).await;
    assert_eq!(inbox, synced, "the export's inbox is sync's");
    let seqs: Vec<u64> = inbox.iter().filter_map(|m| m["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "every seq, in order");
    let by_id = |id: &Value| inbox.iter().find(|m| m["type"] == "message" && m["msgId"] == *id).cloned();
    let e = by_id(&edited["msgId"]).expect("the edited message");
    assert_eq!((e["body"].as_str(), e["reactions"]["👍"]["count"].as_u64()), (Some("hi bob, edited"), Some(1)));
    assert!(e["editedAt"].is_u64(), "{e}");
    let d = by_id(&deleted["msgId"]).expect("the deleted message");
    assert_eq!((d["deleted"].as_bool(), d["body"].as_str().unwrap_or("")), (Some(true), ""));
    assert!(by_id(&from_bob["msgId"]).is_some() && inbox.iter().any(|m| m["body"] == "to the group"));

    let listed = alice.request(json!({"action":"conversations"})).await;
    let conversations: Vec<Value> = of_type(&lines, "conversation")
        .into_iter()
        .map(|c| {
            let mut c = c.clone();
            c.as_object_mut().map(|o| o.remove("type"));
            c
        })
        .collect();
    assert_eq!(json!(conversations), listed["items"], "summaries as `conversations` lists them");
    let mute = of_type(&lines, "mute");
    assert_eq!(mute.len(), 1);
    assert_eq!((mute[0]["conversation"].as_str(), mute[0]["until"].as_i64()), (Some("dm:alice:bob"), Some(-1)));
    assert_eq!(of_type(&lines, "block").iter().map(|b| b["user"].clone()).collect::<Vec<_>>(), [json!("dave")]);
    assert_eq!(of_type(&lines, "device"), [&json!({"type":"device","platform":"fcm"})]);
    let groups = of_type(&lines, "group");
    assert_eq!((groups.len(), groups[0]["groupId"].as_str()), (1, Some(gid.as_str())));
    assert_eq!(groups[0]["members"], json!(["alice", "bob", "carol"]));
    let raw = lines.iter().map(Value::to_string).collect::<String>();
    assert!(!raw.contains("alice-secret-fcm-token"), "no push token in the export");
    let attachments = of_type(&lines, "attachment");
    assert_eq!(attachments.len(), 1, "alice's own attachment");
    assert_eq!(attachments[0]["msgId"], sent_photo["msgId"]);
    let got = http("GET", attachments[0]["url"].as_str().expect("url"), &[], &[]).await;
    assert!(got.status == 200 && got.body == photo, "the attachment's link works: {}", got.status);
    let end = lines.last().expect("end");
    assert_eq!(end["counts"]["message"].as_u64(), Some(inbox.iter().filter(|m| m["type"] == "message").count() as u64));
    assert_eq!(end["truncated"], false);

    let event = exported_event(&server, &job).await;
    assert_eq!(event["user"], "alice");
    assert!(event["key"].as_str().is_some_and(|k| k.starts_with("exports/")), "{event}");
    assert_eq!(event["expiresAt"], expires);
    assert!(!event.to_string().contains("http"), "no link in the event: {event}");
    let (status, shown) = server.api("GET", "/v1/users/alice/export", None).await;
    assert_eq!((status, shown["job"]["jobId"].as_str()), (200, Some(job.as_str())), "{shown}");
    assert_eq!(download(shown["url"].as_str().expect("a fresh link")).await, lines);

    let again = alice.request(json!({"action":"account.export"})).await;
    assert_eq!(again["code"], "rate_limited", "one export an hour: {again}");
}

async fn the_server_api_exports_any_user_id_and_refuses_bad_requests(server: TestServer) {
    let (status, body) = server.api("GET", "/v1/users/nobody/export", None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "no export yet");
    for bad in [json!([1]), json!("x"), json!({"format":"zip"})] {
        let (status, body) = server.api("POST", "/v1/users/nobody/export", Some(bad.clone())).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{bad}: {body}");
    }
    let long = "x".repeat(300);
    let (status, _) = server.api("POST", &format!("/v1/users/{long}/export"), None).await;
    assert_eq!(status, 400, "a bad user id");
    let (status, _) = server.api("GET", "/v1/users/nobody/export", None).await;
    assert_eq!(status, 404, "nothing was stored");

    // A user id with nothing stored gets an empty export: header and end.
    let (status, answer) = server.api("POST", "/v1/users/nobody/export", Some(json!({}))).await;
    assert_eq!((status, answer["type"].as_str()), (202, Some("exporting")), "{answer}");
    let job = answer["jobId"].as_str().expect("jobId").to_owned();
    let event = exported_event(&server, &job).await;
    assert_eq!(event["counts"], json!({}), "{event}");
    let (status, shown) = server.api("GET", "/v1/users/nobody/export", None).await;
    assert_eq!(status, 200);
    let lines = download(shown["url"].as_str().expect("url")).await;
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(types, ["export", "end"]);
    // The server API is not rate limited.
    let (status, next) = server.api("POST", "/v1/users/nobody/export", None).await;
    assert_eq!(status, 202);
    assert_ne!(next["jobId"], job.as_str(), "a new export");
}

async fn deleting_the_account_deletes_its_export_and_the_file(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    assert_eq!(alice.send_to("bob", "a1", "hi").await["type"], "ack");
    let answer = alice.request(json!({"action":"account.export"})).await;
    let job = answer["jobId"].as_str().expect("jobId").to_owned();
    let (frame, _) = alice.until("exported").await;
    let url = frame["url"].as_str().expect("url").to_owned();
    assert_eq!(download(&url).await.len(), 4, "header, conversation, message, end");

    let deleting = alice.request(json!({"action":"account.delete","confirm":"alice"})).await;
    let deletion = deleting["jobId"].as_str().expect("jobId").to_owned();
    let until = tokio::time::Instant::now() + LONG_WAIT;
    let done = loop {
        let events = server.events(0).await;
        if let Some(e) =
            events.iter().find(|e| e["detail-type"] == "account.deleted" && e["detail"]["jobId"] == deletion)
        {
            break e["detail"].clone();
        }
        assert!(tokio::time::Instant::now() < until, "no account.deleted");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(done["removed"]["exports"], 1, "{done}");
    let (status, _) = server.api("GET", "/v1/users/alice/export", None).await;
    assert_eq!(status, 404, "the job {job} is gone");
    // S3 answers a GET of a missing key 403 to whoever may not list the bucket.
    let status = http("GET", &url, &[], &[]).await.status;
    assert!(matches!(status, 403 | 404), "the file is gone: {status}");
}

chat_e2e::suite!(crate::export::server;
    an_export_holds_the_whole_inbox_in_seq_order_and_its_link_works,
    the_server_api_exports_any_user_id_and_refuses_bad_requests,
    deleting_the_account_deletes_its_export_and_the_file,
);
