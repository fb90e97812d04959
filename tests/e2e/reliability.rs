//! Reliability and hostile input, end to end: a devserver killed with SIGKILL while clients
//! send loses nothing it acknowledged; the authorization matrix; no log line carries a
//! token or a message body.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chat_e2e::{Backend, Client, TestServer, spawn};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_e2e-devserver");

/// A devserver process (the real binary's code) on `dir`, and its address.
fn start(dir: &std::path::Path, port: &str, log: Option<&str>) -> (Child, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"]).arg(dir);
    cmd.stdout(Stdio::piped()).stderr(if log.is_some() { Stdio::piped() } else { Stdio::null() });
    if let Some(level) = log {
        cmd.env("RUST_LOG", level);
    }
    let mut child = cmd.spawn().expect("spawn devserver");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("ready line");
    let addr = line.split("ws://").nth(1).and_then(|r| r.split('/').next()).expect("address").to_owned();
    (child, addr)
}

async fn token(addr: &str, user: &str) -> String {
    let server = TestServer::attach(addr);
    server.token(user).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_while_clients_send_loses_no_acked_message() {
    let dir = std::env::temp_dir().join(format!("chat-kill-{}", ulid::Ulid::new()));
    let (mut child, addr) = start(&dir, "0", None);
    let port = addr.split(':').nth(1).expect("port").to_owned();
    let mut senders = Vec::new();
    for s in 0..3 {
        let t = token(&addr, &format!("k{s}")).await;
        senders.push(Client::connect(&format!("ws://{addr}/?token={t}")).await.expect("connect"));
    }
    // Each sender fires 200 sends without waiting; the server dies part-way through.
    let mut acked: Vec<Vec<(String, Value)>> = vec![Vec::new(); senders.len()];
    for (s, c) in senders.iter_mut().enumerate() {
        for i in 0..200 {
            c.send(
                json!({"action":"send","to":"victim","clientMsgId":format!("k{s}-{i}"),"body":format!("m {s} {i}")}),
            )
            .await;
        }
    }
    // Kill it as soon as the first acks arrive: the server is mid-way through the burst.
    let mut early = 0;
    while early < 10 {
        let f = senders[0].next_or_closed().await.expect("the server answers before the kill");
        if f["type"] == "ack" {
            acked[0].push((f["clientMsgId"].as_str().unwrap_or_default().to_owned(), f));
            early += 1;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    for (s, c) in senders.iter_mut().enumerate() {
        while let Some(f) = c.next_or_closed().await {
            if f["type"] == "ack" {
                acked[s].push((f["clientMsgId"].as_str().unwrap_or_default().to_owned(), f));
            }
        }
    }
    let total_acked: usize = acked.iter().map(Vec::len).sum();
    assert!(total_acked < 600, "the kill came before every send was acked ({total_acked})");

    let (mut child, addr) = start(&dir, &port, None);
    let t = token(&addr, "victim").await;
    let mut victim = Client::connect(&format!("ws://{addr}/?token={t}")).await.expect("connect");
    let inbox = victim.sync_all(0).await;
    let seqs: Vec<u64> = inbox.iter().map(|m| m["seq"].as_u64().unwrap_or(0)).collect();
    assert_eq!(seqs, (1..=inbox.len() as u64).collect::<Vec<_>>(), "no gap after the restart");
    let stored: std::collections::HashSet<&str> = inbox.iter().filter_map(|m| m["clientMsgId"].as_str()).collect();
    for (cmid, _) in acked.iter().flatten() {
        assert!(stored.contains(cmid.as_str()), "acked {cmid} survived the kill");
    }
    // Every acked send is still recognised: a resend gets the same ack.
    let (s, (cmid, first)) = acked.iter().enumerate().find_map(|(s, a)| a.first().map(|x| (s, x))).expect("an ack");
    let t = token(&addr, &format!("k{s}")).await;
    let mut again = Client::connect(&format!("ws://{addr}/?token={t}")).await.expect("connect");
    let i: usize = cmid.rsplit('-').next().and_then(|i| i.parse().ok()).expect("index");
    let resend = again.send_to("victim", cmid, &format!("m {s} {i}")).await;
    assert_eq!((&resend["msgId"], &resend["seq"]), (&first["msgId"], &first["seq"]));
    assert_eq!(victim.sync_all(0).await.len(), inbox.len(), "the resend stored nothing");
    child.kill().expect("kill");
    let _ = child.wait();
    eprintln!("SIGKILL test: {total_acked} acked before the kill, {} stored after the restart", inbox.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_non_members_and_former_members_get_no_data_and_change_nothing() {
    let server = spawn(Backend::Embedded).await;
    let mut alice = server.connect("alice", "d").await;
    let g = alice.request(json!({"action":"group.create","name":"private","members":["bob","carol"]})).await;
    let gid = g["groupId"].as_str().expect("group id").to_owned();
    let ack = alice.request(json!({"action":"send","group":gid,"clientMsgId":"secret","body":"the plan"})).await;
    let dm = alice.send_to("bob", "dm", "just for bob").await;
    alice.request(json!({"action":"group.remove","group":gid,"members":["carol"]})).await;
    let mut bob = server.connect("bob", "d").await;
    let bob_before = bob.sync_all(0).await;
    let alice_before = alice.sync_all(0).await;

    for who in ["mallory", "carol"] {
        let mut c = server.connect(who, "d").await;
        let own_before = c.sync_all(0).await.len();
        let attempts = [
            json!({"action":"send","group":gid,"clientMsgId":"x","body":"let me in"}),
            json!({"action":"history","conversation":format!("group:{gid}")}),
            json!({"action":"history","conversation":"dm:alice:bob"}),
            json!({"action":"typing","group":gid}),
            json!({"action":"group.add","group":gid,"members":[who]}),
            json!({"action":"group.remove","group":gid,"members":["bob"]}),
            json!({"action":"group.leave","group":gid}),
            json!({"action":"receipt","msgIds":[ack["msgId"], dm["msgId"]],"status":"read"}),
        ];
        for frame in attempts {
            let reply = c.request(frame.clone()).await;
            let allowed = ["not_found", "forbidden"];
            let refused = reply["type"] == "error" && allowed.contains(&reply["code"].as_str().unwrap_or(""));
            let harmless_ok = frame["action"] == "receipt" && reply["type"] == "ok";
            assert!(refused || harmless_ok, "{who}: {frame} -> {reply}");
            let text = reply.to_string();
            assert!(!text.contains("the plan") && !text.contains("just for bob"), "{who} learned nothing: {text}");
        }
        assert_eq!(c.sync_all(0).await.len(), own_before, "{who}'s own inbox gained nothing");
    }
    assert_eq!(bob.sync_all(0).await, bob_before, "bob's inbox is unchanged");
    let alice_after = alice.sync_all(0).await;
    assert_eq!(alice_after, alice_before, "alice's inbox (and its receipts) are unchanged");
    bob.assert_quiet().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_contains_a_token_or_a_message_body() {
    let dir = std::env::temp_dir().join(format!("chat-logs-{}", ulid::Ulid::new()));
    let (mut child, addr) = start(&dir, "0", Some("debug"));
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all);
        all
    });
    let alice_token = token(&addr, "alice").await;
    let mut alice = Client::connect(&format!("ws://{addr}/?token={alice_token}")).await.expect("connect");
    let bob_token = token(&addr, "bob").await;
    let mut bob = Client::connect(&format!("ws://{addr}/?token={bob_token}")).await.expect("connect");
    let secret_body = "SECRET-BODY-7f3a9c";
    alice.send_to("bob", "c1", secret_body).await;
    assert_eq!(bob.recv().await["body"], secret_body);
    alice.send_text(&format!("{{not json {secret_body}")).await;
    alice.recv().await;
    let bad = Client::connect(&format!("ws://{addr}/?token=bad.{secret_body}.token")).await;
    assert!(bad.is_err());
    drop((alice, bob));
    tokio::time::sleep(Duration::from_millis(200)).await;
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    child.wait().expect("exit");
    let logs = reader.join().expect("logs");
    assert!(logs.contains("connected"), "the log was captured");
    for (what, needle) in [("a token", alice_token.as_str()), ("a token", bob_token.as_str()), ("a body", secret_body)]
    {
        assert!(!logs.contains(needle), "a log line contains {what}");
    }
}

/// One client stops reading while another sends it 16 KB messages as fast as its acks come
/// back, and a third pair keeps chatting. Nobody else waits on the stalled client: every ack
/// and every delivery between the others stays prompt, and the stalled connection's queue is
/// bounded (posts to it are refused with 429 once its buffer is full, which costs it live
/// delivery but nothing stored: it finds every message with `sync` on a new connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_stalls_nobody_else() {
    let mut options = chat_e2e::options(Backend::Embedded);
    options.limits = chat_core::ratelimit::Limits::none();
    let server = chat_e2e::spawn_with(options, chat_devserver::Limits::default()).await;
    let mut alice = server.connect("alice", "phone").await;
    let stalled = server.connect("bob", "phone").await;
    let (mut carol, mut dave) = (server.connect("carol", "phone").await, server.connect("dave", "phone").await);

    let chat = tokio::spawn(async move {
        let mut worst = Duration::ZERO;
        for i in 0..200 {
            let t = std::time::Instant::now();
            let ack = carol.send_to("dave", &format!("cd{i}"), "still here?").await;
            assert_eq!(ack["type"], "ack", "{ack}");
            let (m, _) = dave.until("message").await;
            assert_eq!(m["body"], "still here?");
            worst = worst.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        worst
    });
    let body = "x".repeat(16 * 1024 - 64);
    let mut worst_ack = Duration::ZERO;
    const SENT: usize = 1500;
    for i in 0..SENT {
        let t = std::time::Instant::now();
        let ack = alice.send_to("bob", &format!("big{i}"), &body).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        worst_ack = worst_ack.max(t.elapsed());
    }
    let worst_chat = chat.await.expect("the other pair kept chatting");
    println!("slowest ack to the sender: {worst_ack:?}; slowest round trip of the other pair: {worst_chat:?}");
    assert!(worst_ack < Duration::from_secs(2), "the sender waited {worst_ack:?} for an ack");
    assert!(worst_chat < Duration::from_secs(2), "the other pair waited {worst_chat:?}");

    // Nothing was lost for the stalled user: a new connection syncs everything.
    drop(stalled);
    let mut bob = server.connect("bob", "laptop").await;
    let all = bob.sync_all(0).await;
    assert_eq!(all.len(), SENT, "every message is in bob's inbox");
    server.stop().await;
}
