//! `chat-send`: the message routes (`send`, `sync`, `history`, `receipt`, `typing`,
//! `group.*`, `ping`, `whoami`) and `$default`, which answers frames no route matched.
//!
//! Layout:
//! - [`handle`] (here): caller from the event, frame parsing, dispatch on the action, the
//!   one reply. Each action is a method of [`Request`] (one request being served).
//! - `deliver`: who gets a stored message ([`Recipient`]: user, seq, live connections),
//!   posting it to them, and the push hand-off for those offline. Every action that tells
//!   other users something goes through it.
//! - `send`: store a message for every participant, ack, then deliver.
//! - `groups`: `group.create`, `group.add`, `group.remove`, `group.leave`.
//! - `receipts`: `receipt`.
//! - `read`: `sync` and `history`.
//! - `typing`: `typing`.
//! - `blocks`: `block`, `unblock`, `blocks` (the append applies blocks to 1:1 messages).
//! - `mutes`: `mute`, `unmute` (the push function reads them).
//! - `reports`: `report` (the moderation queue; the automatic hide).
//! - `config`: the function's settings, read once per cold start; `aws`: the deployed
//!   dependencies built from them (shared with the server API's function).
//! - `hook`: asking the app's pre-send hook before a send or edit is stored.
//! - [`account`], [`export`]: account deletion and export: a job answered at once, run in
//!   the background (`run_deletion`, `run_export`).
//! - [`server`]: the same actions for the server API (`chat-server-api`): a send with a
//!   trusted `from`, a moderator's delete, group administration.
//!
//! Every reply goes out through `@connections` ([`Poster`]); the integration response is
//! always a bare 200. A refused action becomes one `error` frame ([`Refusal`]); an
//! infrastructure failure becomes one `internal` error frame plus an error log line.

pub mod account;
#[cfg(feature = "deployed")]
mod aws;
mod blocks;
mod config;
mod conversations;
mod deliver;
pub mod export;
mod groups;
mod hook;
mod media;
mod mutes;
mod read;
mod receipts;
mod reports;
mod rich;
mod send;
pub mod server;
mod typing;

#[cfg(feature = "deployed")]
pub use aws::{AwsDeps, aws_deps};
pub use config::Config;
pub use deliver::Recipient;
pub use media::Media;
pub use send::ack_frame;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use chat_core::clock::{Clock, SystemClock};
use chat_core::hook::Hook;
use chat_core::ids::{ConnectionId, UserId};
use chat_core::message::{Origin, UpdateKind};
use chat_core::poster::Poster;
use chat_core::protocol::{Action, ErrorCode, ServerFrame};
use chat_core::push::{NoPush, PushQueue};
use chat_core::ratelimit::{Limits, Route};
use chat_core::store::Store;
use chat_lambda::{Caller, Refusal, deliver as post};
use lambda_runtime::LambdaEvent;

/// What the handler needs; built once per cold start.
#[derive(Debug)]
pub struct Deps<S, P, C = SystemClock, Q = NoPush> {
    /// Connections and inboxes.
    pub store: S,
    /// `@connections`.
    pub poster: P,
    /// Wall-clock time.
    pub clock: C,
    /// Where push requests for offline recipients go.
    pub push: Q,
    /// Per-user limits (kept in the store, so they hold across connections and instances).
    pub limits: Limits,
    /// Object storage for attachments; `None`: no attachments.
    pub media: Option<Media>,
    /// The app's pre-send hook; `None`: no hook, and no call.
    pub hook: Option<Hook>,
    /// Moderation settings.
    pub moderation: Moderation,
}

/// Moderation settings (`CHAT_AUTO_HIDE_REPORTS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moderation {
    /// Distinct reporters after which a message is deleted for everyone; `None`: off.
    pub auto_hide: Option<u32>,
}

impl Moderation {
    /// From the environment: `CHAT_AUTO_HIDE_REPORTS` (0 or unset: off).
    pub fn from_vars(vars: &chat_core::config::Vars<'_>) -> Result<Self, chat_core::config::ConfigError> {
        let n: u32 = vars.parse_or(chat_core::schema::env::AUTO_HIDE_REPORTS, 0, "a number of reporters, 0 for off")?;
        Ok(Self { auto_hide: (n > 0).then_some(n) })
    }
}

impl<S, P> Deps<S, P> {
    /// `store` and `poster` with the system clock, no push and no limits; set the other
    /// fields for more.
    pub fn basic(store: S, poster: P) -> Self {
        Self {
            store,
            poster,
            clock: SystemClock,
            push: NoPush,
            limits: Limits::none(),
            media: None,
            hook: None,
            moderation: Moderation::default(),
        }
    }
}

/// One request being served: the dependencies, who acts, and the frame id every direct
/// reply echoes. Each action is a method on it, so the bounds are written once per module.
/// A user acts through one of its sockets; the app's backend acts through the server API
/// (`server`), as a user or as `system`, with no socket: the same actions, the same code.
pub(crate) struct Request<'a, S, P, C, Q> {
    deps: &'a Deps<S, P, C, Q>,
    /// Who acts (the sender of what is stored).
    user: &'a UserId,
    /// The socket it acts on; `None` for the server API.
    socket: Option<&'a Caller>,
    /// How what it stores came to be.
    origin: Origin,
    id: Option<String>,
}

impl<S, P, C, Q> Request<'_, S, P, C, Q> {
    /// The connection the request came on, if it came on one: it gets the direct reply,
    /// and is skipped when the change is delivered to the actor's devices.
    pub(crate) fn socket_id(&self) -> Option<&ConnectionId> {
        self.socket.map(|c| &c.connection_id)
    }
}

/// Runs one WebSocket route event.
pub async fn handle<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let Some((caller, parsed)) = chat_lambda::accept(&event.payload, &deps.poster, deps.clock.now_ms()).await? else {
        return Ok(chat_lambda::ok());
    };
    let reply = match parsed {
        Err(e) => {
            tracing::info!(user = %caller.user, code = ?e.code, "frame refused");
            Some(ServerFrame::from_error(e))
        }
        Ok(request) => {
            let client_msg_id = match &request.action {
                Action::Send { client_msg_id, .. }
                | Action::Edit { client_msg_id, .. }
                | Action::Delete { client_msg_id, .. }
                | Action::React { client_msg_id, .. } => Some(client_msg_id.to_string()),
                Action::GroupCreate { client_msg_id, .. } => client_msg_id.as_ref().map(ToString::to_string),
                _ => None,
            };
            let req = Request { deps, user: &caller.user, socket: Some(&caller), origin: Origin::User, id: request.id };
            // Boxed: every action's future is in `serve`'s, too large for a caller's stack.
            match Box::pin(req.serve(request.action)).await {
                Ok(reply) => reply,
                Err(refusal) => Some(refusal.into_frame(&caller, req.id, client_msg_id)),
            }
        }
    };
    if let Some(frame) = reply {
        post::reply(&deps.poster, &caller, &frame).await;
    }
    Ok(chat_lambda::ok())
}

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// Serves one action; `None` when the action posted its own reply (a send's `ack`) or
    /// has none (`typing`).
    async fn serve(&self, action: Action) -> Result<Option<ServerFrame>, Refusal> {
        let id = self.id.clone();
        if let Some(route) = budget_of(&action) {
            match self.spend(route).await {
                // Typing is ephemeral: past its budget it is dropped without a word.
                Err(Refusal::RateLimited { .. }) if route == Route::Typing => return Ok(None),
                other => other?,
            }
            // Group changes are stored like sends: a banned user's still-open socket
            // changes nothing (sends, edits and deletes check in the append's own reads).
            if route == Route::Group {
                self.refuse_banned().await?;
            }
        }
        match action {
            Action::Send { target, client_msg_id, body, attachments, extras } => {
                self.send(target, client_msg_id, body, attachments, extras).await.map(|_| None)
            }
            Action::React { msg_id, emoji, removed, client_msg_id } => {
                self.react(msg_id, emoji, removed, client_msg_id).await.map(|()| None)
            }
            Action::Upload { conversation, content_type, size, name } => {
                self.upload(conversation, content_type, size, name).await.map(Some)
            }
            Action::Attachment { msg_id, attachment_id, thumbnail } => {
                self.attachment(msg_id, attachment_id, thumbnail).await.map(Some)
            }
            Action::Sync { after, limit } => self.sync(after, limit).await.map(Some),
            Action::History { conversation, before, after, around, limit } => {
                let window = match (after, around) {
                    (Some(after), _) => rich::Window::After(after),
                    (None, Some(seq)) => rich::Window::Around(seq),
                    (None, None) => rich::Window::Before(before),
                };
                self.history(conversation, window, limit).await.map(Some)
            }
            Action::Typing { target } => self.typing(target).await.map(|()| None),
            Action::Receipt { msg_ids, status } => self.receipt(msg_ids, status).await.map(Some),
            Action::GroupCreate { name, members, client_msg_id } => {
                self.group_create(name, members, client_msg_id).await.map(|g| Some(self.group_frame(&g)))
            }
            Action::GroupAdd { group, members } => self.group_add(group, members).await.map(Some),
            Action::GroupRemove { group, members } => self.group_remove(group, members).await.map(Some),
            Action::GroupLeave { group } => self.group_leave(group).await.map(Some),
            Action::Ping => Ok(Some(ServerFrame::Pong { id })),
            Action::Whoami => Ok(Some(ServerFrame::Whoami {
                id,
                user: self.user.clone(),
                device: self.socket.and_then(|c| c.device.clone()),
            })),
            Action::Block { user } => self.block(user).await.map(Some),
            Action::Unblock { user } => self.unblock(user).await.map(Some),
            Action::Blocks => self.blocks().await.map(Some),
            Action::AccountDeleteConfirm { confirm } => self.account_delete(&confirm).await.map(Some),
            Action::AccountExport => self.account_export().await.map(Some),
            Action::Mute { conversation, until } => self.mute(conversation, true, until).await.map(Some),
            Action::Unmute { conversation } => self.mute(conversation, false, None).await.map(Some),
            Action::Report { msg_id, reason, note } => self.report(msg_id, reason, note).await.map(Some),
            Action::Conversations { limit, before } => self.conversations(before, limit).await.map(Some),
            Action::Read { conversation, up_to } => self.read(conversation, up_to).await.map(Some),
            Action::Edit { msg_id, body, client_msg_id } => {
                self.amend(UpdateKind::Edit, msg_id, body, client_msg_id).await.map(|()| None)
            }
            Action::Delete { msg_id, client_msg_id } => {
                self.amend(UpdateKind::Delete, msg_id, String::new(), client_msg_id).await.map(|()| None)
            }
            other @ (Action::Presence { .. } | Action::PushRegister { .. } | Action::PushUnregister { .. }) => {
                Err(Refusal::client(
                    ErrorCode::UnknownAction,
                    format!("{} is served by its own route, not this one", other.name()),
                ))
            }
        }
    }
}

/// The refusal of anything a banned user asks.
pub(crate) fn banned() -> Refusal {
    Refusal::client(ErrorCode::Forbidden, "this account is suspended")
}

/// The per-user budget an action spends (`send` has its token bucket in the append).
fn budget_of(action: &Action) -> Option<Route> {
    match action {
        Action::GroupCreate { .. }
        | Action::GroupAdd { .. }
        | Action::GroupRemove { .. }
        | Action::GroupLeave { .. } => Some(Route::Group),
        // Read markers and blocks are writes like receipts, and share their budget.
        Action::Receipt { .. }
        | Action::Read { .. }
        | Action::Block { .. }
        | Action::Unblock { .. }
        | Action::Mute { .. }
        | Action::Unmute { .. } => Some(Route::Receipt),
        Action::Typing { .. } => Some(Route::Typing),
        Action::Upload { .. } => Some(Route::Upload),
        _ => None,
    }
}

impl<S: Store, P, C: Clock, Q> Request<'_, S, P, C, Q> {
    /// Refuses a banned user (its sockets are being closed; a frame in flight finds this).
    async fn refuse_banned(&self) -> Result<(), Refusal> {
        if self.origin == Origin::User && self.deps.store.ban(self.user, self.deps.clock.now_ms()).await?.is_some() {
            return Err(banned());
        }
        Ok(())
    }

    /// Spends one request of the caller's budget for `route`.
    async fn spend(&self, route: Route) -> Result<(), Refusal> {
        let now = self.deps.clock.now_ms();
        chat_lambda::refusal::spend_budget(&self.deps.store, &self.deps.limits, route, self.user, now).await
    }
}

#[cfg(test)]
mod tests;
