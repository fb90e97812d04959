//! `chat-devserver`: a local API Gateway WebSocket API (docs/devserver.md).
//!
//! It does what API Gateway does for the deployed stack, with the functions' own
//! `handle()`s: runs the `$connect` authorizer (401 on refusal), `$connect`, route
//! selection on `$request.body.action` with `$default`, `$disconnect`, API Gateway's
//! limits, and serves the `@connections` Management API that the functions post through
//! with the real SDK client.
//!
//! Layout:
//! - [`options`]: the command line.
//! - [`events`]: API Gateway event JSON, deserialized into `aws_lambda_events` types.
//! - [`socket`]: handshake, frame loop, route selection, limits.
//! - [`registry`]: open connections.
//! - [`management`]: the `@connections` API.
//! - [`poster`]: the functions' `@connections` client (the real SDK, over HTTP).
//! - [`push`]: recorded (or SNS) push notifications, `/dev/pushes`.
//! - [`web`]: the web client, embedded at compile time.
//! - [`observed`], [`event_log`]: the events the stack's streams would publish, from what
//!   the store wrote: `/dev/events`, `--events-url`.
//! - [`http_client`]: outbound HTTP (`--events-url`, the `--pre-send-hook` adapter).
//! - the server API (`chat_server_api::router`, the admin function's own router) under
//!   `/v1`, for loopback peers unless `--dev-endpoints`.
//! - [`dev_clock`]: the one clock, moved forward by `POST /dev/clock`.
//! - [`run`] (here): wiring, HTTP routes, `/dev/token`, `/health`, shutdown.

mod api;
pub mod blobs;
pub mod dev_clock;
pub mod event_log;
pub mod events;
pub mod http_client;
mod jobs;
pub mod management;
pub mod observed;
pub mod options;
pub mod poster;
pub mod push;
pub mod registry;
pub mod socket;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chat_auth::Verifier;
use chat_core::clock::Clock;
use chat_core::schema::TableNames;
use chat_core::store::Store;
use chat_core::store::memory::MemoryStore;
use dev_clock::DevClock;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use options::{Options, StoreChoice};
pub use socket::Limits;

/// Counts connections whose `$disconnect` has not run yet, so shutdown can wait for them.
#[derive(Debug, Default)]
pub struct Active(AtomicUsize);

/// Decrements [`Active`] when dropped.
#[derive(Debug)]
pub struct ActiveGuard<'a>(&'a Active);

impl Active {
    fn enter(&self) -> ActiveGuard<'_> {
        self.0.fetch_add(1, Ordering::SeqCst);
        ActiveGuard(self)
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Everything the gateway shares between connections.
pub struct Gateway<S> {
    registry: registry::Registry,
    send: Arc<chat_send::Deps<S, poster::LocalPoster, DevClock, push::DirectPush<S>>>,
    connections: chat_connect::connection::Deps<S, DevClock>,
    presence: chat_presence::Deps<S, poster::LocalPoster, DevClock>,
    push: Arc<push::PushDeps<S>>,
    verifier: Verifier,
    secret: Vec<u8>,
    stage: String,
    /// `--dev-endpoints`: `/dev/*` for any peer.
    dev_endpoints: bool,
    /// The address served, for the `Host` check of `/dev/*`.
    addr: SocketAddr,
    clock: DevClock,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
    active: Active,
    /// The devserver's own object storage (none with `--s3`), for `/blobs/*`.
    blobs: Option<Arc<blobs::LocalBlobs>>,
    /// The store, for checking uploads in-process.
    store: S,
    /// The events published (`/dev/events`).
    events: Arc<event_log::EventLog>,
}

/// Logs to stderr, human-readable; `RUST_LOG` sets the level (default info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed by this call, not when the
/// future is first polled: a SIGTERM right after the ready line (a script, a test) must
/// find them in place, or it kills the process with no clean shutdown.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                (Ok(mut one), Err(_)) | (Err(_), Ok(mut one)) => {
                    one.recv().await;
                }
                (Err(_), Err(_)) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The `chat-devserver` command: parse the command line (clap: `--help`, `--version`,
/// hints for mistakes, exit status 2 on bad arguments), bind, print the ready line, serve
/// until SIGINT/SIGTERM.
pub async fn cli() -> anyhow::Result<()> {
    let options = Options::from_command_line();
    init_logging();
    let listener = match TcpListener::bind(&options.listen).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!(
                "chat-devserver: {} is already in use (another devserver?); stop it, or pick another \
                 address, e.g. --listen 127.0.0.1:0 for a free port",
                options.listen
            );
            std::process::exit(2);
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("listening on {}", options.listen))),
    };
    run(listener, options, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` resolves, then closes every connection (close
/// frame, `$disconnect`) and returns. Prints one line with `ws://HOST:PORT/` to stdout
/// when ready.
pub async fn run(
    listener: TcpListener,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with_limits(listener, options, Limits::default(), shutdown).await
}

/// [`run`] with other limits (tests use short idle timeouts).
pub async fn run_with_limits(
    listener: TcpListener,
    options: Options,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let clock = DevClock::default();
    let retention = chat_core::retention::Retention::days(options.retention_days, Arc::new(clock.clone()));
    let run = Run { options: options.clone(), limits, clock };
    match &options.store {
        StoreChoice::InMemory => {
            serve(listener, run, MemoryStore::new().with_retention(retention), "in memory", shutdown).await
        }
        StoreChoice::Embedded(dir) => {
            let store = MemoryStore::open(dir).with_context(|| format!("opening the store in {}", dir.display()))?;
            let what = format!("embedded, in {}", dir.display());
            serve(listener, run, store.with_retention(retention), &what, shutdown).await
        }
        StoreChoice::DynamoDb => {
            let sdk = chat_lambda::sdk_config_for(chat_lambda::Budget::Data, chat_lambda::aws_log::DEVSERVER).await;
            let tables = options.table_prefix.as_deref().map_or_else(TableNames::from_env, TableNames::with_prefix);
            let store = chat_dynamo::DynamoStore::connect(&sdk, tables).with_retention(retention);
            let tables = store.tables();
            let client = store.client();
            let ensured = chat_dynamo::tables::ensure_tables(&client, tables);
            chat_lambda::aws_log::function(chat_lambda::aws_log::DEVSERVER, ensured)
                .await
                .context("creating the DynamoDB tables")?;
            let what = format!("DynamoDB, tables {}, {}, {}", tables.connections, tables.messages, tables.state);
            serve(listener, run, store, &what, shutdown).await
        }
    }
}

fn jwt_secret() -> Vec<u8> {
    match chat_core::config::Vars::env().get(chat_auth::config::env::SECRET) {
        Some(s) => s.into_bytes(),
        None => {
            tracing::warn!("CHAT_JWT_SECRET is not set: using the fixed development secret (fine for local use only)");
            chat_auth::dev::DEV_SECRET.as_bytes().to_vec()
        }
    }
}

/// What every store's server shares: the options, the limits, the one clock.
struct Run {
    options: Options,
    limits: Limits,
    clock: DevClock,
}

async fn serve<S: Store + Clone + 'static>(
    listener: TcpListener,
    run: Run,
    store: S,
    store_name: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Every write the deployed stack's streams would carry becomes an event here too.
    let events = Arc::new(event_log::EventLog::new(run.options.events_url.clone()));
    let store = observed::Observed::new(store, events.clone());
    serve_observed(listener, run, store, store_name, events, shutdown).await
}

async fn serve_observed<S: Store + Clone + 'static>(
    listener: TcpListener,
    Run { options, limits, clock }: Run,
    store: S,
    store_name: &str,
    events: Arc<event_log::EventLog>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let hook = options.pre_send_hook.as_ref().map(|url| chat_core::hook::Hook {
        hook: Arc::new(http_client::HttpHook { url: url.clone(), client: http_client::HttpClient::new() }),
        timeout: Duration::from_millis(options.pre_send_hook_timeout_ms),
        failure: options.pre_send_hook_failure,
    });
    let addr = listener.local_addr()?;
    let secret = jwt_secret();
    let (stop_tx, stop_rx) = watch::channel(false);
    let callback = format!("http://{addr}/{}", options.stage);
    let poster = poster::LocalPoster::new(&callback);
    let notifier = if options.sns {
        let sdk = chat_lambda::sdk_config_for(chat_lambda::Budget::Data, chat_lambda::aws_log::DEVSERVER).await;
        push::DevNotifier::Sns(chat_sns::SnsNotifier::new(
            aws_sdk_sns::Client::new(&sdk),
            chat_sns::PlatformApps::from_env(),
        ))
    } else {
        push::DevNotifier::Recording(Default::default())
    };
    let policy = chat_core::media::UploadPolicy::from_vars(&chat_core::config::Vars::env())?;
    let (media_blobs, local_blobs): (chat_core::media::Blobs, Option<Arc<blobs::LocalBlobs>>) = match &options.s3 {
        Some(bucket) => {
            let sdk = chat_lambda::sdk_config_for(chat_lambda::Budget::Bulk, chat_lambda::aws_log::DEVSERVER).await;
            let s3 = chat_s3::S3Blobs::connect(&sdk, bucket.as_str());
            chat_lambda::aws_log::function(chat_lambda::aws_log::DEVSERVER, blobs::ensure_bucket(&s3)).await?;
            (blobs::Watched::new(s3, store.clone(), poster.clone()), None)
        }
        None => {
            let dir = match &options.store {
                StoreChoice::Embedded(dir) => dir.join("blobs"),
                _ => std::env::temp_dir().join(format!("chat-devserver-blobs-{}", ulid::Ulid::new())),
            };
            let local = Arc::new(blobs::LocalBlobs::new(dir, format!("http://{addr}")).context("the blobs directory")?);
            (local.clone(), Some(local))
        }
    };
    let max_upload = policy.max_bytes;
    let push_deps = Arc::new(chat_push::Deps {
        store: store.clone(),
        notifier,
        poster: poster.clone(),
        clock: clock.clone(),
        limits: options.limits,
    });
    let gw = Arc::new(Gateway {
        registry: Default::default(),
        send: Arc::new(chat_send::Deps {
            moderation: chat_send::Moderation::from_vars(&chat_core::config::Vars::env())?,
            store: store.clone(),
            poster: poster.clone(),
            clock: clock.clone(),
            push: push::DirectPush { deps: push_deps.clone() },
            limits: options.limits,
            media: Some(chat_send::Media { blobs: media_blobs, policy }),
            hook,
        }),
        presence: chat_presence::Deps {
            store: store.clone(),
            poster,
            clock: clock.clone(),
            window_ms: options.presence_debounce_ms,
            limits: options.limits,
        },
        push: push_deps,
        connections: chat_connect::connection::Deps {
            store: store.clone(),
            clock: clock.clone(),
            max_connections: options.limits.connections,
        },
        verifier: Verifier::hs256(&secret, chat_auth::dev::DEV_ISSUER),
        secret,
        stage: options.stage.clone(),
        dev_endpoints: options.dev_endpoints,
        addr,
        clock: clock.clone(),
        limits,
        shutdown: stop_rx,
        active: Active::default(),
        blobs: local_blobs,
        store,
        events,
    });
    tokio::spawn(jobs::run(gw.send.clone(), gw.push.clone(), gw.shutdown.clone()));
    let server_api = chat_server_api::router(gw.send.clone())
        .layer(axum::middleware::from_fn_with_state(gw.clone(), api::guard::<S>));
    let app = Router::new()
        .route("/", get(websocket::<S>))
        .route("/health", get(|| async { "ok" }))
        .route("/app.js", get(|| async { web::page("app.js") }))
        .route("/app.css", get(|| async { web::page("app.css") }))
        .route("/protocol.schema.json", get(|| async { web::page("protocol.schema.json") }))
        .route(
            "/client/{file}",
            get(|axum::extract::Path(file): axum::extract::Path<String>| async move {
                web::page(&format!("client/{file}"))
            }),
        )
        .merge(
            Router::new()
                .route("/dev/token", get(dev_token::<S>))
                .route("/dev/pushes", get(dev_pushes::<S>))
                .route("/dev/stored", get(dev_stored::<S>))
                .route("/dev/metrics", get(dev_metrics))
                .route("/dev/events", get(api::dev_events::<S>))
                .route(
                    "/dev/clock",
                    axum::routing::post(
                        |State(gw): Gw<S>, axum::Json(by): axum::Json<dev_clock::Advance>| async move {
                            dev_clock::advance(&gw.clock, &by)
                        },
                    ),
                )
                .route_layer(axum::middleware::from_fn_with_state(gw.clone(), dev_guard::<S>)),
        )
        .route(
            "/blobs/{*key}",
            axum::routing::put(blob_put::<S>).get(blob_get::<S>).layer(axum::extract::DefaultBodyLimit::max(
                usize::try_from(max_upload).unwrap_or(usize::MAX).saturating_add(1),
            )),
        )
        .route("/{stage}", get(staged_websocket::<S>))
        .fallback(management_api::<S>)
        .with_state(gw.clone())
        .merge(server_api);
    if !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "listening on a non-loopback address: anyone who can reach it can connect; /dev/* stays loopback-only unless --dev-endpoints"
        );
    }
    println!(
        "chat-devserver listening on ws://{addr}/ (stage {}, store: {store_name}); callback URL {callback}",
        options.stage
    );
    let waiter = gw.clone();
    // No Nagle: chat frames and @connections posts are small, and a delayed ACK would hold
    // them for 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!(open = waiter.registry.len(), "shutting down: closing connections");
            let _ = stop_tx.send(true);
            for _ in 0..500 {
                if waiter.active.count() == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await?;
    Ok(())
}

pub(crate) type Gw<S> = State<Arc<Gateway<S>>>;

async fn websocket<S: Store + Clone + 'static>(
    State(gw): Gw<S>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    match ws {
        Ok(ws) => socket::handshake(gw, ws, query, headers, peer).await,
        Err(_) => web::page("index.html"),
    }
}

async fn staged_websocket<S: Store + Clone + 'static>(
    Path(stage): Path<String>,
    gw: Gw<S>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    query: Query<Vec<(String, String)>>,
    headers: HeaderMap,
    peer: ConnectInfo<SocketAddr>,
) -> Response {
    if stage != gw.stage {
        return not_found();
    }
    websocket(gw, ws, query, headers, peer).await
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({"message": "Not Found"}))).into_response()
}

#[derive(Deserialize)]
struct TokenQuery {
    user: Option<String>,
    ttl: Option<u64>,
}

/// Longest `ttl` `/dev/token` grants: a week.
const MAX_DEV_TTL: u64 = 7 * 24 * 60 * 60;

/// Every `/dev/*` request passes here first: refused unless [`dev_refusal`] lets it through.
async fn dev_guard<S: Store + Clone + 'static>(
    State(gw): Gw<S>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match dev_refusal(&gw, &peer, request.headers()) {
        Some(refused) => refused,
        None => next.run(request).await,
    }
}

/// Why `/dev/*` may not answer this request, if it may not: from a loopback peer unless
/// `--dev-endpoints`, and never for a `Host` that is a DNS name other than `localhost` (a
/// page on another site whose name was rebound to this address could otherwise mint
/// tokens from a browser on this machine).
fn dev_refusal<S>(gw: &Gateway<S>, peer: &SocketAddr, headers: &HeaderMap) -> Option<Response> {
    let forbidden = |why: &str| Some((StatusCode::FORBIDDEN, axum::Json(json!({"error": why}))).into_response());
    if !gw.dev_endpoints && !peer.ip().is_loopback() {
        return forbidden("/dev endpoints answer loopback peers only; start with --dev-endpoints to serve others");
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !host_is_safe(host, &gw.addr) {
        return forbidden("Host must be localhost, an IP address or the listen address");
    }
    None
}

/// `localhost`, an IP literal (no DNS involved), or the listen address's own host.
pub(crate) fn host_is_safe(host: &str, addr: &SocketAddr) -> bool {
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok() || bare == addr.ip().to_string()
}

async fn dev_token<S: Store + Clone + 'static>(State(gw): Gw<S>, Query(q): Query<TokenQuery>) -> Response {
    let bad = |m: String| (StatusCode::BAD_REQUEST, axum::Json(json!({"error": m}))).into_response();
    let Some(user) = q.user else { return bad("user is required".into()) };
    let user = match chat_core::ids::UserId::parse(&user) {
        Ok(u) if u.as_str() != chat_core::message::SYSTEM_SENDER => u,
        Ok(_) => return bad("user id 'system' is reserved".into()),
        Err(e) => return bad(format!("user: {e}")),
    };
    let ttl = q.ttl.unwrap_or(3600);
    if ttl == 0 || ttl > MAX_DEV_TTL {
        return bad(format!("ttl must be 1 to {MAX_DEV_TTL} seconds"));
    }
    match chat_auth::dev::mint(&gw.secret, user.as_str(), gw.clock.now_ms() / 1000, ttl) {
        Ok(token) => axum::Json(json!({"token": token})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "minting a token failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Deserialize)]
struct UserQuery {
    user: Option<String>,
}

/// Every stored item that names `user` (key or value): how a deletion is checked.
async fn dev_stored<S: Store + Clone + 'static>(State(gw): Gw<S>, Query(q): Query<UserQuery>) -> Response {
    let Some(user) = q.user.filter(|u| !u.is_empty()) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "user is required"}))).into_response();
    };
    let found = chat_lambda::aws_log::function(chat_lambda::aws_log::DEVSERVER, gw.store.stored_mentions(&user)).await;
    match found {
        Ok(items) => axum::Json(json!({"user": user, "items": items})).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"error": e.to_string()}))).into_response(),
    }
}

async fn dev_pushes<S: Store + Clone + 'static>(State(gw): Gw<S>, Query(q): Query<UserQuery>) -> Response {
    let push::DevNotifier::Recording(recorder) = &gw.push.notifier else {
        let msg = "pushes go to SNS (--sns); nothing is recorded here";
        return (StatusCode::NOT_FOUND, axum::Json(json!({"error": msg}))).into_response();
    };
    match q.user.as_deref().map(chat_core::ids::UserId::parse) {
        Some(Ok(user)) => axum::Json(recorder.pushes(&user)).into_response(),
        Some(Err(e)) => (StatusCode::BAD_REQUEST, axum::Json(json!({"error": format!("user: {e}")}))).into_response(),
        None => (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "user is required"}))).into_response(),
    }
}

/// The functions' counters (the metrics the deployed functions write as CloudWatch EMF),
/// in Prometheus text.
async fn dev_metrics() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], chat_lambda::metrics::prometheus())
        .into_response()
}

async fn management_api<S: Store + Clone + 'static>(
    State(gw): Gw<S>,
    method: Method,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    match management::connection_id(uri.path(), &gw.stage) {
        Some(id) => management::serve(&gw.registry, &method, &id, body),
        None => not_found(),
    }
}

/// `PUT /blobs/{key}`: an upload through a URL `upload` handed out (signature, expiry,
/// exact type and size checked, like S3 does; the URL works once). The bytes are then
/// checked in-process, as the media function does in AWS, before the answer: a client
/// that has its 200 can send the message at once.
async fn blob_put<S: Store + Clone + 'static>(
    State(gw): State<Arc<Gateway<S>>>,
    Path(key): Path<String>,
    Query(q): Query<blobs::Signed>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(local) = gw.blobs.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if let Err(why) = local.verify_put(&key, &q, content_type, body.len() as u64) {
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    match local.store_once(&key, &body).await {
        Ok(true) => {}
        Ok(false) => return (StatusCode::CONFLICT, "this upload URL was used already").into_response(),
        Err(e) => {
            tracing::error!(%key, error = %e, "storing an upload failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let checked = chat_media_fn::check_and_tell(&gw.store, local.as_ref(), &gw.send.poster, &key);
    if let Err(e) = chat_lambda::aws_log::function("media", checked).await {
        tracing::error!(%key, error = %chat_core::cause_chain(&e), "checking an upload failed");
    }
    StatusCode::OK.into_response()
}

/// `GET /blobs/{key}`: a download through a URL `attachment` handed out.
async fn blob_get<S: Store + Clone + 'static>(
    State(gw): State<Arc<Gateway<S>>>,
    Path(key): Path<String>,
    Query(q): Query<blobs::Signed>,
) -> Response {
    let Some(local) = gw.blobs.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    if let Err(why) = local.verify_get(&key, &q) {
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    match local.read(&key).await {
        Ok(Some(bytes)) => {
            let content_type = match chat_core::media::sniff(&bytes) {
                chat_core::media::Sniffed::Jpeg => "image/jpeg",
                chat_core::media::Sniffed::Png => "image/png",
                chat_core::media::Sniffed::Gif => "image/gif",
                chat_core::media::Sniffed::Webp => "image/webp",
                chat_core::media::Sniffed::Other => "application/octet-stream",
            };
            let mut response = ([("content-type", content_type.to_owned())], bytes).into_response();
            if let Some(name) = q.name.as_deref()
                && let Ok(v) = chat_s3::content_disposition(name).parse()
            {
                response.headers_mut().insert("content-disposition", v);
            }
            response
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(%key, error = %e, "reading an upload failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_endpoints_accept_only_hosts_no_dns_rebinding_can_forge() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        for ok in ["localhost:8080", "LOCALHOST", "127.0.0.1:8080", "[::1]:8080", "10.0.0.5:8080"] {
            assert!(host_is_safe(ok, &addr), "{ok}");
        }
        for bad in ["evil.example", "evil.example:8080", "localhost.evil.example", ""] {
            assert!(!host_is_safe(bad, &addr), "{bad}");
        }
    }
}
