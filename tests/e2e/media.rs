//! End-to-end: attachments. Uploads go straight to storage with the URL `upload` hands
//! out, never through the WebSocket: the devserver's own signed URLs on the embedded store,
//! and S3 (moto) with `--s3` on the DynamoDB store.

use std::io::Cursor;

use chat_e2e::{Backend, Client, TestServer, http, options, spawn_with};
use serde_json::{Value, json};

pub(crate) async fn server(backend: Backend) -> TestServer {
    let mut o = options(backend);
    if backend == Backend::DynamoDb {
        o.s3 = Some(format!("media-{}", ulid::Ulid::new().to_string().to_lowercase()));
    }
    spawn_with(o, Default::default()).await
}

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

fn headers(upload: &Value) -> Vec<(String, String)> {
    upload["headers"]
        .as_object()
        .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

/// Asks for an upload URL and PUTs `bytes` with exactly its headers; returns the upload.
pub(crate) async fn upload(
    client: &mut Client,
    conversation: &str,
    content_type: &str,
    name: &str,
    bytes: &[u8],
) -> Value {
    let up = client
        .request(json!({"action":"upload","conversation":conversation,"contentType":content_type,"size":bytes.len(),"name":name}))
        .await;
    assert_eq!(up["type"], "upload", "{up}");
    assert_eq!(up["method"], "PUT");
    let put = http("PUT", up["url"].as_str().expect("url"), &headers(&up), bytes).await;
    assert_eq!(put.status, 200, "the upload: {}", String::from_utf8_lossy(&put.body));
    up
}

/// Sends with attachments, waiting (as a client does) while the storage event has not
/// been handled yet (`not complete`).
pub(crate) async fn send_with(client: &mut Client, to: &str, cid: &str, body: &str, uploads: &[&Value]) -> Value {
    let attachments: Vec<Value> = uploads.iter().map(|u| json!({"uploadId": u["uploadId"]})).collect();
    for _ in 0..100 {
        let reply = client
            .request(json!({"action":"send","to":to,"clientMsgId":cid,"body":body,"attachments":attachments}))
            .await;
        if reply["type"] == "error" && reply["message"].as_str().is_some_and(|m| m.contains("not complete")) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        }
        return reply;
    }
    panic!("the upload never completed");
}

async fn url_of(client: &mut Client, msg_id: &Value, attachment_id: &Value, variant: &str) -> Value {
    client.request(json!({"action":"attachment","msgId":msg_id,"attachmentId":attachment_id,"variant":variant})).await
}

async fn a_photo_reaches_the_recipient_with_a_thumbnail_and_its_exact_bytes(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut laptop = server.connect("alice", "laptop").await;
    let mut bob = server.connect("bob", "phone").await;
    let photo = png(1000, 500);
    let up = upload(&mut alice, "dm:alice:bob", "image/png", "beach.png", &photo).await;
    // Every connection of the uploader is told once the bytes are checked.
    let want = json!({"type":"uploaded","uploadId":up["uploadId"],"status":"ready","thumbnail":true,"width":1000,"height":500});
    assert_eq!(alice.until("uploaded").await.0, want);
    assert_eq!(laptop.until("uploaded").await.0, want);
    let ack = send_with(&mut alice, "bob", "p1", "", &[&up]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let (m, skipped) = bob.until("message").await;
    assert!(skipped.iter().all(|f| f["type"] != "uploaded"), "only the uploader is told: {skipped:?}");
    let a = &m["attachments"][0];
    assert_eq!(a["attachmentId"], up["uploadId"]);
    assert_eq!((a["name"].as_str(), a["contentType"].as_str()), (Some("beach.png"), Some("image/png")));
    assert_eq!(a["size"], photo.len());
    assert_eq!(
        (a["thumbnail"].as_bool(), a["width"].as_u64(), a["height"].as_u64()),
        (Some(true), Some(1000), Some(500))
    );
    let original = url_of(&mut bob, &m["msgId"], &a["attachmentId"], "original").await;
    assert_eq!(original["type"], "attachment", "{original}");
    let got = http("GET", original["url"].as_str().expect("url"), &[], &[]).await;
    assert_eq!(got.status, 200);
    assert!(got.body == photo, "the original's bytes are the uploaded ones");
    let thumb = url_of(&mut bob, &m["msgId"], &a["attachmentId"], "thumbnail").await;
    let got = http("GET", thumb["url"].as_str().expect("url"), &[], &[]).await;
    let small = image::load_from_memory(&got.body).expect("the thumbnail is an image");
    assert_eq!((small.width(), small.height()), (320, 160), "longest side 320, shape kept");
    // In sync and history too; a stranger gets nothing.
    let history = bob.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    assert_eq!(history["messages"][0]["attachments"][0]["attachmentId"], up["uploadId"]);
    let mut carol = server.connect("carol", "phone").await;
    let stolen = url_of(&mut carol, &m["msgId"], &a["attachmentId"], "original").await;
    assert_eq!(stolen["code"], "not_found", "{stolen}");
    let list = bob.request(json!({"action":"conversations"})).await;
    assert_eq!(list["items"][0]["last"]["preview"], "Photo");
    // Deleted: gone for everyone.
    alice.request(json!({"action":"delete","msgId":m["msgId"],"clientMsgId":"d1"})).await;
    let after = url_of(&mut bob, &m["msgId"], &a["attachmentId"], "original").await;
    assert_eq!(after["code"], "not_found", "{after}");
}

async fn refused_uploads_and_sends_store_nothing(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let big = alice
        .request(
            json!({"action":"upload","conversation":"dm:alice:bob","contentType":"image/png","size":26 * 1024 * 1024}),
        )
        .await;
    assert_eq!(big["code"], "too_large", "{big}");
    let html = alice
        .request(json!({"action":"upload","conversation":"dm:alice:bob","contentType":"text/html","size":10}))
        .await;
    assert_eq!(html["code"], "bad_request", "{html}");
    let foreign = alice
        .request(json!({"action":"upload","conversation":"dm:bob:carol","contentType":"image/png","size":10}))
        .await;
    assert_eq!(foreign["code"], "forbidden", "{foreign}");
    // The URL binds size and type: a different body or type is refused by storage.
    let up = alice
        .request(json!({"action":"upload","conversation":"dm:alice:bob","contentType":"image/png","size":100}))
        .await;
    let url = up["url"].as_str().expect("url");
    let wrong_size = http("PUT", url, &headers(&up), &[0u8; 99]).await;
    if server.options.s3.is_none() {
        // A forged signature, or a longer life, is refused too.
        let forged = url.replacen("sig=", "sig=00", 1);
        assert_eq!(http("PUT", &forged, &headers(&up), &[0u8; 100]).await.status, 403, "a forged URL");
        let later = url.replacen("exp=", "exp=9", 1);
        assert_eq!(http("PUT", &later, &headers(&up), &[0u8; 100]).await.status, 403, "an extended URL");
        assert_eq!(wrong_size.status, 403, "a different size is refused by the URL");
        let wrong_type = http("PUT", url, &[("content-type".into(), "text/html".into())], &[0u8; 100]).await;
        assert_eq!(wrong_type.status, 403, "a different type is refused by the URL");
    } else {
        // moto does not check presigned signatures (S3 does): the media check refuses a
        // size that differs from the declared one instead, and says so.
        assert!(wrong_size.status == 200 || wrong_size.status == 403);
        if wrong_size.status == 200 {
            let (told, _) = alice.until("uploaded").await;
            assert_eq!((told["uploadId"].clone(), told["status"].clone()), (up["uploadId"].clone(), json!("rejected")));
        }
    }
    let send = alice
        .request(json!({"action":"send","to":"bob","clientMsgId":"x1","attachments":[{"uploadId":up["uploadId"]}]}))
        .await;
    assert_eq!(send["code"], "bad_request", "an upload that is not complete (or was refused): {send}");
    // An upload is attached once.
    let good = upload(&mut alice, "dm:alice:bob", "application/pdf", "a.pdf", b"%PDF-1.7 a small document").await;
    let first = send_with(&mut alice, "bob", "f1", "the doc", &[&good]).await;
    assert_eq!(first["type"], "ack", "{first}");
    let again = alice
        .request(json!({"action":"send","to":"bob","clientMsgId":"f2","attachments":[{"uploadId":good["uploadId"]}]}))
        .await;
    assert_eq!(again["code"], "bad_request", "reuse of an upload: {again}");
    let mut bob = server.connect("bob", "phone").await;
    let theirs = bob
        .request(json!({"action":"send","to":"alice","clientMsgId":"b1","attachments":[{"uploadId":good["uploadId"]}]}))
        .await;
    assert_eq!(theirs["code"], "bad_request", "another user's upload: {theirs}");
    let none = alice.request(json!({"action":"send","to":"bob","clientMsgId":"e1","body":""})).await;
    assert_eq!(none["code"], "bad_request", "no body and no attachment");
    let all = bob.sync_all(0).await;
    assert_eq!(all.len(), 1, "only the one good message is stored: {all:?}");
    assert_eq!(all[0]["attachments"][0]["thumbnail"], false, "a PDF gets no thumbnail");
    // A second PUT to a used URL is refused (the devserver's URLs work once).
    if server.options.s3.is_none() {
        let reput =
            http("PUT", good["url"].as_str().expect("url"), &headers(&good), b"%PDF-1.7 a small document").await;
        assert_eq!(reput.status, 409);
    }
}

async fn a_file_that_claims_to_be_an_image_gets_no_thumbnail_and_stays_a_file(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let fake = b"this is not a PNG at all, only text".to_vec();
    let up = upload(&mut alice, "dm:alice:bob", "image/png", "fake.png", &fake).await;
    let ack = send_with(&mut alice, "bob", "f1", "look", &[&up]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mut bob = server.connect("bob", "phone").await;
    let m = bob.sync_all(0).await.remove(0);
    let a = &m["attachments"][0];
    assert_eq!(a["thumbnail"], false, "magic bytes decide, not the declared type");
    let thumb = url_of(&mut bob, &m["msgId"], &a["attachmentId"], "thumbnail").await;
    assert_eq!(thumb["code"], "not_found");
    let original = url_of(&mut bob, &m["msgId"], &a["attachmentId"], "original").await;
    let got = http("GET", original["url"].as_str().expect("url"), &[], &[]).await;
    assert_eq!((got.status, got.body), (200, fake), "still downloadable as a file");
}

async fn an_offline_recipient_is_told_what_was_sent(server: TestServer) {
    let mut bob = server.connect("bob", "phone").await;
    let ok = bob.request(json!({"action":"push.register","platform":"fcm","token":"bob-device"})).await;
    assert_eq!(ok["type"], "ok", "{ok}");
    bob.close().await;
    let mut alice = server.connect("alice", "phone").await;
    let doc = upload(&mut alice, "dm:alice:bob", "application/pdf", "a.pdf", b"%PDF-1.7 minutes").await;
    let ack = send_with(&mut alice, "bob", "p1", "", &[&doc]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mut pushed = Vec::new();
    for _ in 0..100 {
        let (status, body) = server.http_get("/dev/pushes?user=bob").await.expect("pushes");
        assert_eq!(status, 200);
        pushed = serde_json::from_str::<Vec<Value>>(&body).expect("a JSON list");
        if !pushed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(pushed[0]["body"], "File: a.pdf");
}

chat_e2e::suite!(crate::media::server;
    an_offline_recipient_is_told_what_was_sent,
    a_photo_reaches_the_recipient_with_a_thumbnail_and_its_exact_bytes,
    refused_uploads_and_sends_store_nothing,
    a_file_that_claims_to_be_an_image_gets_no_thumbnail_and_stays_a_file,
);
