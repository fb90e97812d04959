//! `chat-admin`'s server-API subcommands as an operator runs them: the binary, against a
//! devserver started in this process on port 0 (in-memory store), plain HTTP on loopback.
//! Users act through the devserver's WebSocket where a test needs them to (a report).

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a user waits for a frame.
const WAIT: Duration = Duration::from_secs(10);

/// A devserver on `127.0.0.1:PORT`, stopped when dropped.
struct TestServer {
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn spawn_server() -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = chat_devserver::Options {
        listen: "127.0.0.1:0".into(),
        store: chat_devserver::StoreChoice::InMemory,
        ..Default::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(chat_devserver::run_with_limits(listener, options, chat_devserver::Limits::default(), async move {
        let _ = stopped.await;
    }));
    TestServer { addr, url: format!("http://{addr}/"), stop: Some(stop) }
}

/// A user's WebSocket on the devserver.
struct User {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl User {
    /// Sends a frame of the protocol (docs/protocol.md).
    async fn send(&mut self, frame: Value) {
        self.ws.send(Message::Text(frame.to_string().into())).await.expect("send a frame");
    }

    /// The first frame from now on that `wanted` accepts (the others are dropped).
    async fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a frame in time");
            if let Message::Text(text) = message.expect("the socket is open").expect("a frame") {
                let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                if wanted(&frame) {
                    return frame;
                }
            }
        }
    }

    /// Sends `frame` with the request id `id` and returns the reply that carries it.
    async fn request(&mut self, id: &str, mut frame: Value) -> Value {
        frame["id"] = json!(id);
        self.send(frame).await;
        self.until(|f| f["id"] == id).await
    }
}

impl TestServer {
    /// `user`'s WebSocket, with a token from the devserver's `/dev/token`.
    async fn connect(&self, user: &str) -> User {
        let mut http = TcpStream::connect(self.addr).await.expect("connect");
        let request =
            format!("GET /dev/token?user={user} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
        http.write_all(request.as_bytes()).await.expect("ask for a token");
        let mut answer = String::new();
        http.read_to_string(&mut answer).await.expect("read the token");
        let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).expect("an HTTP answer");
        let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("a token ({e}): {answer}"));
        let token = body["token"].as_str().expect("token");
        let url = format!("ws://{}/?token={token}", self.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("the handshake");
        User { ws }
    }

    /// A message from `from` to `to`, reported by `to` for spam: returns its id, the id
    /// of its case.
    async fn reported_message(&self, from: &str, to: &str) -> String {
        let (mut sender, mut reporter) = (self.connect(from).await, self.connect(to).await);
        let body = json!({"action": "send", "to": to, "clientMsgId": "c1", "body": "x"});
        assert_eq!(sender.request("s1", body).await["type"], "ack");
        let message = reporter.until(|f| f["type"] == "message").await;
        let msg_id = message["msgId"].as_str().expect("msgId").to_owned();
        let report = json!({"action": "report", "msgId": msg_id, "reason": "spam"});
        let ok = reporter.request("r1", report).await;
        assert_eq!(ok["type"], "ok", "{ok}");
        msg_id
    }
}

/// What one run of `chat-admin` printed, and how it exited.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The answer printed on stdout, after checking the run succeeded.
    fn json(&self) -> Value {
        assert_eq!(self.code, Some(0), "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl TestServer {
    /// Runs `chat-admin ARGS --api-url <this server>` (off the runtime's threads, which
    /// serve it).
    async fn admin(&self, args: &[&str]) -> Run {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chat-admin"));
        command.args(args).args(["--api-url", &self.url]).env_remove("CHAT_SERVER_API_URL");
        let output: Output =
            tokio::task::spawn_blocking(move || command.output()).await.expect("join").expect("run chat-admin");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_as_system_to_a_user_answers_an_ack_once_per_key() {
    let server = spawn_server().await;
    let ack = server.admin(&["send", "--from", "system", "--to", "alice", "--body", "Your order shipped"]).await.json();
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["conversation"], "dm:alice:system");
    assert!(ack["clientMsgId"].as_str().is_some_and(|k| ulid::Ulid::from_string(k).is_ok()), "{ack}");

    // The same key again is the same message; with another body, a conflict.
    let key = ack["clientMsgId"].as_str().expect("key");
    let send = ["send", "--from", "system", "--to", "alice", "--client-msg-id", key, "--body"];
    let again = server.admin(&[&send[..], &["Your order shipped"]].concat()).await;
    assert_eq!(again.json()["msgId"], ack["msgId"]);
    let other = server.admin(&[&send[..], &["Something else"]].concat()).await;
    assert_eq!(other.code, Some(1));
    assert!(other.stderr.starts_with("chat-admin: conflict: "), "{}", other.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_deleted_by_a_moderator_answers_deleted() {
    let server = spawn_server().await;
    let ack = server.admin(&["send", "--from", "alice", "--to", "bob", "--body", "spam"]).await.json();
    let (msg_id, conversation) = (ack["msgId"].as_str().expect("msgId"), ack["conversation"].as_str().expect("conv"));
    let deleted = server.admin(&["delete-message", msg_id, "--conversation", conversation]).await.json();
    assert_eq!(deleted["type"], "deleted", "{deleted}");
    assert_eq!(deleted["msgId"], msg_id);
    assert_eq!(deleted["conversation"], "dm:alice:bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_created_then_renamed_shows_its_new_name() {
    let server = spawn_server().await;
    let created = server
        .admin(&["group-create", "--creator", "alice", "--name", "Team", "--member", "bob", "--member", "carol"])
        .await
        .json();
    assert_eq!(created["group"]["name"], "Team", "{created}");
    let id = created["group"]["groupId"].as_str().expect("groupId").to_owned();

    let renamed = server.admin(&["group-rename", &id, "--name", "Launch team"]).await.json();
    assert_eq!(renamed["group"]["name"], "Launch team", "{renamed}");

    let shown = server.admin(&["group-show", &id]).await.json();
    assert_eq!(shown["type"], "group");
    assert_eq!(shown["group"]["name"], "Launch team");
    assert_eq!(shown["group"]["creator"], "alice");
    assert_eq!(shown["group"]["members"], serde_json::json!(["alice", "bob", "carol"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_changed_in_one_call_show_in_the_group_and_a_deleted_group_is_gone() {
    let server = spawn_server().await;
    let created =
        server.admin(&["group-create", "--creator", "alice", "--name", "Ops", "--member", "bob"]).await.json();
    let id = created["group"]["groupId"].as_str().expect("groupId").to_owned();

    let changed = server.admin(&["group-members", &id, "--add", "dave", "--remove", "bob"]).await.json();
    assert_eq!(changed["group"]["members"], serde_json::json!(["alice", "dave"]), "{changed}");

    let deleted = server.admin(&["group-delete", &id]).await.json();
    assert_eq!(deleted["type"], "deleted", "{deleted}");
    let gone = server.admin(&["group-show", &id]).await;
    assert_eq!(gone.code, Some(1), "{}", gone.stdout);
    assert!(gone.stderr.starts_with("chat-admin: not_found: "), "{}", gone.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_user_shows_as_banned_with_its_reason_until_unbanned() {
    let server = spawn_server().await;
    let banned = server.admin(&["ban", "mallory", "--for", "7d", "--reason", "spam"]).await.json();
    assert_eq!(banned["user"], "mallory", "{banned}");
    assert_eq!(banned["closed"], 0);

    let shown = server.admin(&["user-show", "mallory"]).await.json();
    assert_eq!(shown["banned"]["reason"], "spam", "{shown}");
    let (at, until) = (shown["banned"]["at"].as_u64().expect("at"), shown["banned"]["until"].as_u64().expect("until"));
    let week_ms = 7 * 24 * 3_600_000;
    assert!(until > at && until - at <= week_ms && until - at > week_ms - 60_000, "at {at}, until {until}");

    let unbanned = server.admin(&["unban", "mallory"]).await.json();
    assert_eq!(unbanned["banned"], Value::Null, "{unbanned}");
    let shown = server.admin(&["user-show", "mallory"]).await.json();
    assert_eq!(shown["banned"], Value::Null, "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_message_is_in_the_queue_until_dismissed_and_resolving_it_again_does_nothing() {
    let server = spawn_server().await;
    let msg_id = server.reported_message("bob", "alice").await;

    let queue = server.admin(&["reports"]).await.json();
    assert_eq!(queue["next"], Value::Null, "{queue}");
    let cases = queue["reports"].as_array().expect("reports");
    assert_eq!(cases.len(), 1, "{queue}");
    let case = &cases[0];
    assert_eq!((case["id"].as_str(), case["status"].as_str()), (Some(msg_id.as_str()), Some("open")), "{case}");
    assert_eq!(case["copy"]["msgId"], msg_id.as_str());
    assert_eq!((case["copy"]["from"].as_str(), case["copy"]["body"].as_str()), (Some("bob"), Some("x")));
    assert_eq!(case["copy"]["conversation"], "dm:alice:bob");
    assert_eq!((case["reporters"].as_u64(), &case["reasons"]), (Some(1), &json!({"spam": 1})));
    assert!(case.get("resolution").is_none(), "{case}");

    let resolved = server.admin(&["resolve-report", &msg_id, "--action", "dismiss"]).await.json();
    let report = &resolved["report"];
    assert_eq!((report["id"].as_str(), report["status"].as_str()), (Some(msg_id.as_str()), Some("resolved")));
    assert_eq!(
        (report["resolution"]["action"].as_str(), report["resolution"]["by"].as_str()),
        (Some("dismiss"), Some("moderator"))
    );

    assert_eq!(server.admin(&["reports", "--status", "open"]).await.json()["reports"], json!([]));
    let closed = server.admin(&["reports", "--status", "resolved", "--limit", "10"]).await.json();
    assert_eq!(closed["reports"], json!([report]), "{closed}");
    // Resolved already: the same case, as it was closed (whatever the action now).
    let again = server.admin(&["resolve-report", &msg_id, "--action", "ban-user"]).await.json();
    assert_eq!(again, resolved);
    assert_eq!(server.admin(&["user-show", "bob"]).await.json()["banned"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_resolved_with_a_ban_bans_the_sender_for_the_time_given() {
    let server = spawn_server().await;
    let msg_id = server.reported_message("mallory", "carol").await;
    let resolved = server.admin(&["resolve-report", &msg_id, "--action", "ban-user", "--for", "7d"]).await.json();
    assert_eq!(resolved["report"]["resolution"]["action"], "ban_user", "{resolved}");

    let shown = server.admin(&["user-show", "mallory"]).await.json();
    assert_eq!(shown["banned"]["reason"], format!("report {msg_id}"), "{shown}");
    let (at, until) = (shown["banned"]["at"].as_u64().expect("at"), shown["banned"]["until"].as_u64().expect("until"));
    let week_ms = 7 * 24 * 3_600_000;
    assert!(until > at && until - at <= week_ms && until - at > week_ms - 60_000, "at {at}, until {until}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_report_exits_1_with_not_found() {
    let server = spawn_server().await;
    let run = server.admin(&["resolve-report", &ulid::Ulid::new().to_string(), "--action", "dismiss"]).await;
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("chat-admin: not_found: "), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_answer_exits_1_with_its_code_and_message_on_stderr() {
    let server = spawn_server().await;
    let unknown = ulid::Ulid::new().to_string();
    let run = server.admin(&["group-show", &unknown]).await;
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("chat-admin: not_found: "), "{}", run.stderr);

    let run = server.admin(&["send", "--from", "alice", "--to", "bad id!", "--body", "hi"]).await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.starts_with("chat-admin: bad_request: "), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_exit_2_before_any_request() {
    let server = spawn_server().await;
    for args in [
        &["send", "--from", "alice", "--to", "bob", "--group", "g1", "--body", "hi"][..],
        &["ban", "mallory", "--for", "7 days"],
        &["ban", "mallory", "--for", "7d", "--until-ms", "1"],
        &["group-members", "g1"],
        &["reports", "--limit", "0"],
        &["reports", "--status", "closed"],
        &["resolve-report", "01J", "--action", "delete_message"],
        &["resolve-report", "01J", "--action", "dismiss", "--for", "7d"],
        &["resolve-report", "01J"],
    ] {
        let run = server.admin(args).await;
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn a_server_that_is_not_there_exits_1_saying_what_failed() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chat-admin"))
        .args(["user-show", "alice", "--api-url", &format!("http://127.0.0.1:{port}/")])
        .output()
        .expect("run chat-admin");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("chat-admin: calling http://127.0.0.1:"), "{stderr}");
}
