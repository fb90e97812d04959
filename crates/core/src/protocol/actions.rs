//! The one table of actions: each action's wire name and the function that serves it.
//! Everything else is derived from it: the parser's dispatch ([`ActionKind::from_name`]),
//! the API's routes ([`routes`], which the CDK stack reads through `schema.json`), the
//! devserver's route selection and function choice ([`route_key`]), and the fuzz targets.

use serde_json::Value;

/// The Lambda function (one per crate under `functions/`) that serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `functions/send`: messages, groups, receipts, typing, ping, `$default`.
    Send,
    /// `functions/presence`: the `presence` route.
    Presence,
    /// `functions/push`: device registration.
    Push,
}

impl Function {
    /// The function's name, as the CDK stack and `schema.json` know it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Presence => "presence",
            Self::Push => "push",
        }
    }
}

/// Declares [`ActionKind`] from one line per action: variant, wire name, serving function.
macro_rules! action_table {
    ($($(#[$doc:meta])* $kind:ident = $name:literal => $function:ident,)*) => {
        /// An action without its fields: what the client named in `action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ActionKind {
            $($(#[$doc])* $kind,)*
        }

        impl ActionKind {
            /// Every action, in table order.
            pub const ALL: &'static [ActionKind] = &[$(ActionKind::$kind,)*];

            /// The wire name (the frame's `action`, and the API route key).
            pub const fn name(self) -> &'static str {
                match self {
                    $(ActionKind::$kind => $name,)*
                }
            }

            /// The function that serves it.
            pub const fn function(self) -> Function {
                match self {
                    $(ActionKind::$kind => Function::$function,)*
                }
            }
        }
    };
}

action_table! {
    /// `send`: store and deliver a message.
    Send = "send" => Send,
    /// `sync`: inbox entries after a seq.
    Sync = "sync" => Send,
    /// `history`: one conversation, newest first.
    History = "history" => Send,
    /// `receipt`: delivered/read marks.
    Receipt = "receipt" => Send,
    /// `typing`: an ephemeral indicator.
    Typing = "typing" => Send,
    /// `group.create`.
    GroupCreate = "group.create" => Send,
    /// `group.add`.
    GroupAdd = "group.add" => Send,
    /// `group.remove`.
    GroupRemove = "group.remove" => Send,
    /// `group.leave`.
    GroupLeave = "group.leave" => Send,
    /// `ping`: keep-alive.
    Ping = "ping" => Send,
    /// `whoami`: the caller's ids, as the gateway vouches for them.
    Whoami = "whoami" => Send,
    Conversations = "conversations" => Send,
    Read = "read" => Send,
    Edit = "edit" => Send,
    Delete = "delete" => Send,
    Upload = "upload" => Send,
    Attachment = "attachment" => Send,
    /// `block`: stop hearing from a user (it cannot tell).
    Block = "block" => Send,
    /// `unblock`.
    Unblock = "unblock" => Send,
    /// `blocks`: the users you block.
    Blocks = "blocks" => Send,
    /// `mute`: no push for a conversation.
    Mute = "mute" => Send,
    /// `unmute`.
    Unmute = "unmute" => Send,
    /// `report`: a message to the moderation queue.
    Report = "report" => Send,
    /// `react`: an emoji on a message.
    React = "react" => Send,
    /// `account.delete`: delete the caller's account and its data.
    AccountDelete = "account.delete" => Send,
    /// `account.export`: a copy of the caller's data, as one file behind a link.
    AccountExport = "account.export" => Send,
    /// `presence`: status of users, and a subscription.
    Presence = "presence" => Presence,
    /// `push.register`.
    PushRegister = "push.register" => Push,
    /// `push.unregister`.
    PushUnregister = "push.unregister" => Push,
}

impl ActionKind {
    /// The action named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// The routes of the WebSocket API besides `$connect`, `$disconnect` and `$default` (which
/// the send function serves): one per action, with the function serving it.
pub fn routes() -> impl Iterator<Item = (&'static str, Function)> {
    ActionKind::ALL.iter().map(|k| (k.name(), k.function()))
}

/// The route API Gateway selects for a frame (`$request.body.action`): the action, if it is
/// one, else `None` (the `$default` route).
pub fn route_of(body: &str) -> Option<ActionKind> {
    let value: Value = serde_json::from_str(body).ok()?;
    ActionKind::from_name(value.get("action")?.as_str()?)
}

/// The route key of a frame, as API Gateway names it: the action's name or `$default`.
pub fn route_key(body: &str) -> &'static str {
    route_of(body).map_or("$default", ActionKind::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_maps_back_to_its_action() {
        for kind in ActionKind::ALL {
            assert_eq!(ActionKind::from_name(kind.name()), Some(*kind));
        }
        assert_eq!(ActionKind::from_name("fly"), None);
    }

    #[test]
    fn frames_route_by_action_or_fall_back_to_default() {
        assert_eq!(route_key(r#"{"action":"send"}"#), "send");
        assert_eq!(route_key(r#"{"action":"group.create"}"#), "group.create");
        assert_eq!(route_key(r#"{"action":"fly"}"#), "$default");
        assert_eq!(route_key(r#"{"action":1}"#), "$default");
        assert_eq!(route_key("nope"), "$default");
        assert_eq!(route_of(r#"{"action":"presence"}"#).map(ActionKind::function), Some(Function::Presence));
    }
}
