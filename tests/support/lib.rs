//! Test helpers: [`spawn`] starts a devserver on port 0 (embedded store, or DynamoDB with
//! fresh uniquely named tables) and returns a [`TestServer`] that mints tokens and opens
//! [`Client`] WebSockets.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for an expected frame.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long a test waits for the answer to a request that fans out to 100 inboxes.
pub const LONG_WAIT: Duration = Duration::from_secs(60);

/// Which store the devserver under test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded (journaled) store in a fresh temporary directory.
    Embedded,
    /// DynamoDB at `AWS_ENDPOINT_URL` (moto in CI), with fresh tables.
    DynamoDb,
}

/// A running devserver.
pub struct TestServer {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The data dir (embedded store) or table prefix (DynamoDB) it runs with.
    pub options: chat_devserver::Options,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chat-e2e-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Options for a fresh server on `backend`.
pub fn options(backend: Backend) -> chat_devserver::Options {
    let mut o = chat_devserver::Options { listen: "127.0.0.1:0".into(), ..Default::default() };
    match backend {
        Backend::Embedded => o.store = chat_devserver::StoreChoice::Embedded(temp_dir()),
        Backend::DynamoDb => {
            assert!(
                std::env::var("AWS_ENDPOINT_URL").is_ok(),
                "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test starts moto)"
            );
            o.store = chat_devserver::StoreChoice::DynamoDb;
            o.table_prefix = Some(format!("e2e{}-", ulid::Ulid::new().to_string().to_lowercase()));
        }
    }
    o
}

/// Starts a devserver for `backend`.
pub async fn spawn(backend: Backend) -> TestServer {
    spawn_with(options(backend), chat_devserver::Limits::default()).await
}

/// Starts a devserver with these options and limits.
pub async fn spawn_with(options: chat_devserver::Options, limits: chat_devserver::Limits) -> TestServer {
    // Warnings and errors of the server show in a failing test's output.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter(filter).try_init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(chat_devserver::run_with_limits(listener, options.clone(), limits, async move {
        let _ = stopped.await;
    }));
    let server = TestServer { addr, options, stop: Some(stop), task: Some(task) };
    server.wait_healthy().await;
    server
}

impl TestServer {
    /// A handle on a devserver running elsewhere (another process) at `addr`.
    pub fn attach(addr: &str) -> Self {
        Self { addr: addr.to_owned(), options: chat_devserver::Options::default(), stop: None, task: None }
    }

    async fn wait_healthy(&self) {
        for _ in 0..200 {
            if self.http_get("/health").await.is_some_and(|(status, _)| status == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("devserver did not become healthy");
    }

    /// A plain HTTP GET; returns status and body.
    pub async fn http_get(&self, path: &str) -> Option<(u16, String)> {
        self.http_get_as(path, &self.addr).await
    }

    /// [`TestServer::http_get`] with this `Host` header.
    pub async fn http_get_as(&self, path: &str, host: &str) -> Option<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = TcpStream::connect(&self.addr).await.ok()?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        Some((status, body))
    }

    /// A token for `user` from `/dev/token`.
    pub async fn token(&self, user: &str) -> String {
        // `+` means a space in a query string, and `|` and `@` are safer encoded too.
        let user: String = user
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c.to_string()
                } else {
                    format!("%{:02X}", c as u32)
                }
            })
            .collect();
        let (status, body) = self.http_get(&format!("/dev/token?user={user}")).await.expect("token request");
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        v["token"].as_str().expect("token").to_owned()
    }

    /// A server-API request (`/v1/...`) with a JSON body; returns the status and the JSON
    /// answer.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let headers = [("content-type".to_owned(), "application/json".to_owned())];
        let r = http(method, &format!("http://{}{path}", self.addr), &headers, &bytes).await;
        (r.status, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
    }

    /// The events published after the `after`-th (`/dev/events`).
    pub async fn events(&self, after: u64) -> Vec<Value> {
        let (status, body) = self.http_get(&format!("/dev/events?after={after}")).await.expect("events");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("json")
    }

    /// The WebSocket URL with this query string.
    pub fn url(&self, query: &str) -> String {
        format!("ws://{}/?{query}", self.addr)
    }

    /// The `@connections` callback URL.
    pub fn callback_url(&self) -> String {
        format!("http://{}/{}", self.addr, self.options.stage)
    }

    /// Connects as `user` on `device`.
    pub async fn connect(&self, user: &str, device: &str) -> Client {
        let token = self.token(user).await;
        Client::connect(&self.url(&format!("token={token}&device={device}"))).await.expect("connect")
    }

    /// Stops the server (SIGTERM path) and waits for it.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let result = tokio::time::timeout(Duration::from_secs(15), task).await;
            let result = result.expect("server stops in time").expect("server task");
            result.expect("server exits cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One WebSocket client.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Why a connect failed: the HTTP status of a refused handshake.
pub async fn connect_status(url: &str) -> Option<u16> {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => None,
        Err(tungstenite::Error::Http(resp)) => Some(resp.status().as_u16()),
        Err(e) => panic!("unexpected connect error: {e}"),
    }
}

impl Client {
    /// Opens a WebSocket to `url`.
    pub async fn connect(url: &str) -> Result<Self, tungstenite::Error> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
        Ok(Self { ws })
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.expect("send");
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// Sends a WebSocket ping (a control frame, answered by the gateway itself).
    pub async fn ping(&mut self, payload: &'static [u8]) {
        self.ws.send(Message::Ping(payload.into())).await.expect("ping");
    }

    /// The next message of any kind (text, pong, close), within [`WAIT`].
    pub async fn next_raw(&mut self) -> Option<Message> {
        tokio::time::timeout(WAIT, self.ws.next()).await.expect("a message in time")?.ok()
    }

    /// The next text frame as JSON, within [`WAIT`]; `None` if the socket closed.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a frame in time")?;
            match msg.ok()? {
                Message::Text(t) => return Some(serde_json::from_str(&t).expect("server frames are JSON")),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next frame, or `None` once the socket is closed or broken (no timeout panic).
    pub async fn next_or_closed(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.ok()??;
            match msg.ok()? {
                Message::Text(t) => return serde_json::from_str(&t).ok(),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next frame, which must exist.
    pub async fn recv(&mut self) -> Value {
        self.next().await.expect("connection open")
    }

    /// The next frame within `wait` (for tests that queue much work on purpose and check
    /// what it stores, not how fast: [`WAIT`] is for one request's answer).
    pub async fn recv_within(&mut self, wait: Duration) -> Value {
        loop {
            let msg =
                tokio::time::timeout(wait, self.ws.next()).await.expect("a frame in time").expect("connection open");
            match msg.expect("a frame") {
                Message::Text(t) => return serde_json::from_str(&t).expect("server frames are JSON"),
                Message::Close(_) => panic!("the connection closed"),
                _ => continue,
            }
        }
    }

    /// Frames until one with this `type` (others are returned too, in order).
    pub async fn until(&mut self, ty: &str) -> (Value, Vec<Value>) {
        let mut skipped = Vec::new();
        loop {
            let f = self.recv().await;
            if f["type"] == ty {
                return (f, skipped);
            }
            skipped.push(f);
        }
    }

    /// Sends a frame and returns the direct reply (the first ack/result/error with this id).
    pub async fn request(&mut self, frame: Value) -> Value {
        self.request_within(frame, WAIT).await
    }

    /// [`Client::request`] waiting up to `wait` for each frame: for requests that fan out
    /// to 100 inboxes, which moto (one Python process, every request in turn, streams
    /// recorded) takes seconds to store when both cores are busy.
    pub async fn request_within(&mut self, mut frame: Value, wait: Duration) -> Value {
        let id = format!("r{}", ulid::Ulid::new());
        frame["id"] = json!(id);
        self.send(frame).await;
        loop {
            let f = self.recv_within(wait).await;
            if f["id"] == json!(id) {
                return f;
            }
        }
    }

    /// Sends a `send` to a user and returns its ack (or error).
    pub async fn send_to(&mut self, to: &str, client_msg_id: &str, body: &str) -> Value {
        self.request(json!({"action":"send","to":to,"clientMsgId":client_msg_id,"body":body})).await
    }

    /// All inbox entries after `after`, following `next`.
    pub async fn sync_all(&mut self, after: u64) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = after;
        loop {
            let page = self.request(json!({"action":"sync","after":after})).await;
            assert_eq!(page["type"], "sync", "{page}");
            out.extend(page["messages"].as_array().expect("messages").iter().cloned());
            match page["next"].as_u64() {
                Some(n) => after = n,
                None => return out,
            }
        }
    }

    /// Proves nothing else is queued: a ping's pong must be the very next frame.
    pub async fn assert_quiet(&mut self) {
        self.send(json!({"action":"ping","id":"quiet"})).await;
        let f = self.recv().await;
        assert_eq!(f, json!({"type":"pong","id":"quiet"}), "expected nothing queued before the pong");
    }

    /// Reads until the server closes the connection; returns the close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.expect("close in time");
            match msg {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        while let Ok(Some(_)) = tokio::time::timeout(WAIT, self.ws.next()).await {}
    }
}

/// Expands to `mod embedded` and `mod dynamodb`, each with one `#[tokio::test]` per named
/// async test function of the calling file, which takes the server `$spawn(backend)` gives.
#[macro_export]
macro_rules! suite {
    ($spawn:path; $($name:ident),* $(,)?) => {
        mod embedded {
            $crate::suite!(@tests $spawn, $crate::Backend::Embedded; $($name),*);
        }
        mod dynamodb {
            $crate::suite!(@tests $spawn, $crate::Backend::DynamoDb; $($name),*);
        }
    };
    (@tests $spawn:path, $variant:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($spawn($variant).await).await;
            }
        )*
    };
}

/// An HTTP/1.1 response: status, lower-case headers, body.
#[derive(Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body (chunked encoding undone).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One plain-HTTP request to an `http://host:port/...` URL (presigned upload and download
/// URLs of the devserver and of moto's S3), with `Connection: close`.
pub async fn http(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> HttpResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = TcpStream::connect(host).await.expect("connect");
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (n, v) in headers {
        if !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("host") {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    s.write_all(body).await.expect("write body");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = buf[split + 4..].to_vec();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    HttpResponse { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).split(';').next().unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}
