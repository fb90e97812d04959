//! `chat-presence`: who is online.
//!
//! - [`handle_route`]: the `presence` action: current status of up to 100 users, and a
//!   subscription of this connection to their changes until it closes. Only contacts
//!   (users the caller shares a conversation with) are shown and watched; anyone else is
//!   reported offline and never seen.
//! - [`settle`]: the debounced decision, for a batch of users whose connections changed:
//!   wait until the window after the latest change has passed, count each user's live
//!   connections, and announce what differs from the announced state (compare-and-set, so
//!   concurrent deciders announce once) to that user's subscribers only.
//! - [`handle_stream`]: [`settle`] fed by the DynamoDB stream of the connections table (AWS).
//!   The devserver feeds [`settle`] from its own connect/disconnect feed.
//!
//! The rules themselves are `chat_core::presence`.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::dynamodb::Event as DynamoDbEvent;
use chat_core::clock::{Clock, SystemClock};
use chat_core::config::{ConfigError, Vars};
use chat_core::ids::{Conversation, UserId};
use chat_core::poster::Poster;
use chat_core::presence::{DEFAULT_DEBOUNCE_MS, PresenceState, decide, settles_at};
use chat_core::protocol::{Action, ErrorCode, PresenceView, ServerFrame};
use chat_core::ratelimit::{Limits, Route};
use chat_core::schema::connections::TTL_SECS;
use chat_core::schema::env;
use chat_core::store::{
    BlockStore, BudgetStore, ConnectionStore, ConversationStore, GroupStore, PresenceStore, StoreError, Subscription,
};
use chat_lambda::config::RouteConfig;
use chat_lambda::refusal::spend_budget;
use chat_lambda::trigger::{RouteOr, dispatch};
use chat_lambda::{Caller, Refusal, deliver};
use lambda_runtime::LambdaEvent;

/// The presence function's settings, read once per cold start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Tables, `@connections` endpoint, per-user limits.
    pub route: RouteConfig,
    /// The debounce window, ms (`CHAT_PRESENCE_DEBOUNCE_MS`, default 3000).
    pub window_ms: u64,
}

impl Config {
    /// Reads the settings through `vars`; names the variable that is missing or wrong.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            route: RouteConfig::from_vars(vars)?,
            window_ms: vars.parse_or(env::PRESENCE_DEBOUNCE_MS, DEFAULT_DEBOUNCE_MS, "a number of milliseconds")?,
        })
    }
}

/// What the presence function needs.
#[derive(Debug)]
pub struct Deps<S, P, C = SystemClock> {
    /// Connections and presence.
    pub store: S,
    /// `@connections`.
    pub poster: P,
    /// Wall-clock time.
    pub clock: C,
    /// The debounce window, ms.
    pub window_ms: u64,
    /// Per-user limits (`presence` requests).
    pub limits: Limits,
}

/// What the presence route reads: presence itself, and the conversations and groups that
/// decide who the caller may see.
pub trait RouteStore:
    PresenceStore + BudgetStore + ConnectionStore + ConversationStore + GroupStore + BlockStore
{
}
impl<T: PresenceStore + BudgetStore + ConnectionStore + ConversationStore + GroupStore + BlockStore> RouteStore for T {}

/// The `presence` route.
pub async fn handle_route<S: RouteStore, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let Some((caller, parsed)) = chat_lambda::accept(&event.payload, &deps.poster, deps.clock.now_ms()).await? else {
        return Ok(chat_lambda::ok());
    };
    let frame = match parsed {
        Err(e) => ServerFrame::from_error(e),
        Ok(req) => {
            let result = match req.action {
                Action::Presence { users } => {
                    let now = deps.clock.now_ms();
                    match spend_budget(&deps.store, &deps.limits, Route::Presence, &caller.user, now).await {
                        Ok(()) => query(deps, &caller, &users).await.map_err(Refusal::from),
                        Err(refusal) => Err(refusal),
                    }
                }
                _ => Err(Refusal::client(ErrorCode::BadRequest, "the presence route serves only the presence action")),
            };
            match result {
                Ok(users) => ServerFrame::Presence { id: req.id, users },
                Err(refusal) => refusal.into_frame(&caller, req.id, None),
            }
        }
    };
    deliver::reply(&deps.poster, &caller, &frame).await;
    Ok(chat_lambda::ok())
}

/// How many group member lists are read at once to find contacts.
const GROUP_READS: usize = 16;

/// Which of `users` the caller may see: itself, users with a 1:1 conversation holding at
/// least one message (its summary exists), and members of a group it is in.
async fn contacts<S: ConversationStore + GroupStore + BlockStore>(
    store: &S,
    me: &UserId,
    users: &[UserId],
) -> Result<HashSet<UserId>, StoreError> {
    let dms: Vec<Conversation> = users.iter().map(|u| Conversation::direct(me, u)).collect();
    let (summaries, groups, blockers) =
        tokio::join!(store.summaries(me, &dms), store.groups_of(me), store.blockers(me, users));
    // A user who blocks the caller looks never seen to it, and is not subscribed to.
    let blockers: HashSet<UserId> = blockers?.into_iter().collect();
    let mut seen: HashSet<UserId> = users
        .iter()
        .zip(summaries?)
        .filter(|(u, s)| *u == me || s.is_some())
        .map(|(u, _)| u.clone())
        .filter(|u| !blockers.contains(u))
        .collect();
    let wanted: HashSet<&UserId> = users.iter().filter(|u| !seen.contains(*u) && !blockers.contains(*u)).collect();
    if wanted.is_empty() {
        return Ok(seen);
    }
    for wave in groups?.chunks(GROUP_READS) {
        let read = futures_util::future::try_join_all(wave.iter().map(|g| store.group(g))).await?;
        for group in read.into_iter().flatten().filter(|g| g.is_member(me)) {
            seen.extend(group.members.into_iter().filter(|m| wanted.contains(m)));
        }
        if wanted.iter().all(|u| seen.contains(*u)) {
            break;
        }
    }
    Ok(seen)
}

async fn query<S: PresenceStore + ConversationStore + GroupStore + BlockStore, P, C: Clock>(
    deps: &Deps<S, P, C>,
    caller: &Caller,
    users: &[UserId],
) -> Result<Vec<PresenceView>, StoreError> {
    let sub = Subscription {
        subscriber: caller.user.clone(),
        connection_id: caller.connection_id.clone(),
        expires_at: caller.connected_at / 1000 + TTL_SECS,
    };
    let visible = contacts(&deps.store, &caller.user, users).await?;
    let shown: Vec<UserId> = users.iter().filter(|u| visible.contains(*u)).cloned().collect();
    if shown.is_empty() {
        return Ok(users.iter().map(|u| PresenceState::view(None, u.clone())).collect());
    }
    let (subscribed, states) = tokio::join!(deps.store.subscribe(&shown, &sub), deps.store.presence(&shown));
    subscribed?;
    let states: BTreeMap<UserId, Option<PresenceState>> = shown.into_iter().zip(states?).collect();
    // Strangers look like users never seen: nothing tells them apart from real ones.
    Ok(users.iter().map(|u| PresenceState::view(states.get(u).cloned().flatten().as_ref(), u.clone())).collect())
}

/// Decides and announces presence for users whose connections changed at the given times
/// (ms). Returns the users whose presence was announced.
pub async fn settle<S: ConnectionStore + PresenceStore, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    changes: &[(UserId, u64)],
) -> Result<Vec<UserId>, StoreError> {
    let mut latest: BTreeMap<&UserId, u64> = BTreeMap::new();
    for (user, at) in changes {
        let e = latest.entry(user).or_default();
        *e = (*e).max(*at);
    }
    let Some(wake) = latest.values().max().map(|at| settles_at(*at, deps.window_ms)) else { return Ok(Vec::new()) };
    let now = deps.clock.now_ms();
    if wake > now {
        tokio::time::sleep(Duration::from_millis(wake - now)).await;
    }
    let mut announced = Vec::new();
    for (user, changed_at) in latest {
        if announce_if_changed(deps, user, changed_at).await? {
            announced.push(user.clone());
        }
    }
    Ok(announced)
}

async fn announce_if_changed<S: ConnectionStore + PresenceStore, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    user: &UserId,
    changed_at: u64,
) -> Result<bool, StoreError> {
    let now_s = deps.clock.now_ms() / 1000;
    let (live, current) =
        tokio::join!(deps.store.connections(user, now_s), deps.store.presence(std::slice::from_ref(user)));
    let current = current?.into_iter().next().flatten();
    let Some(new) = decide(current.as_ref(), live?.len(), changed_at) else { return Ok(false) };
    if !deps.store.set_presence(user, current, new).await? {
        return Ok(false);
    }
    let frame =
        ServerFrame::Presence { id: None, users: vec![PresenceState::view(Some(&new), user.clone())] }.to_json();
    let subscribers = deps.store.subscribers(user, now_s).await?;
    let count = subscribers.len();
    let targets = subscribers.into_iter().map(|sub| (sub, frame.as_str())).collect();
    let gone = deliver::post_all(&deps.poster, targets, |sub| &sub.connection_id).await;
    for sub in gone {
        if let Err(e) = deps.store.unsubscribe(user, &sub.connection_id).await {
            tracing::warn!(error = %chat_lambda::refusal::cause_chain(&e), "could not drop a gone subscription");
        }
    }
    tracing::info!(%user, online = new.online, subscribers = count, "presence announced");
    Ok(true)
}

/// The users and change times in a batch of connections-table stream records.
pub fn changes_from_stream(event: &DynamoDbEvent) -> Vec<(UserId, u64)> {
    event
        .records
        .iter()
        .filter_map(|r| {
            let keys = serde_json::to_value(&r.change.keys).ok()?;
            let user = UserId::parse(keys.get(chat_core::schema::connections::PK)?.get("S")?.as_str()?).ok()?;
            let at = r.change.approximate_creation_date_time.timestamp_millis();
            Some((user, u64::try_from(at).unwrap_or(0)))
        })
        .collect()
}

/// The connections-table stream handler.
pub async fn handle_stream<S: ConnectionStore + PresenceStore, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    event: LambdaEvent<DynamoDbEvent>,
) -> Result<(), lambda_runtime::Error> {
    let changes = changes_from_stream(&event.payload);
    // The runtime logs only an error's top line: hand it the whole chain, and the batch is
    // retried (then sent to the dead-letter queue).
    settle(deps, &changes)
        .await
        .map_err(|e| format!("presence settle failed: {}", chat_lambda::refusal::cause_chain(&e)))?;
    Ok(())
}

/// Either event the Lambda receives: a route, or a batch from the connections stream.
pub type Event = RouteOr<DynamoDbEvent>;

/// The Lambda entry point: dispatches on the event's shape.
pub async fn handle<S: RouteStore, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    event: LambdaEvent<Event>,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    dispatch(event, |e| handle_route(deps, e), |e| handle_stream(deps, e)).await
}

#[cfg(test)]
mod tests;
