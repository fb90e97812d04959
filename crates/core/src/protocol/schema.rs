//! The JSON Schema of every frame, client and server (`docs/protocol.schema.json`, from
//! which the TypeScript client's types are generated). Server frames come from the very
//! types the server serializes; client frames from the structs below, one per action of
//! the action table (a test keeps the two lists equal), with the fields docs/protocol.md
//! gives them.

use schemars::JsonSchema;
use serde_json::{Value, json};

use super::{Platform, ServerFrame};
use crate::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
use crate::message::ReceiptStatus;

/// An upload to attach.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AttachmentRef {
    /// From the `upload` reply.
    upload_id: String,
}

/// Which file of an attachment.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Variant {
    /// The file as sent.
    Original,
    /// A JPEG at most 320 pixels on its longest side (images only).
    Thumbnail,
}

/// Exactly one of `to` (a user: a 1:1 conversation) and `group`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TargetField {
    /// A user.
    To {
        /// The user.
        to: UserId,
    },
    /// A group you are a member of.
    Group {
        /// The group.
        group: GroupId,
    },
}

macro_rules! client_frames {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal { $($body:tt)* }
    )*) => {
        /// Every frame a client sends: one JSON object whose `action` names it. Any frame
        /// may carry an `id` (at most 64 characters), echoed on its direct reply.
        #[derive(JsonSchema)]
        #[serde(tag = "action")]
        #[allow(dead_code)]
        pub enum ClientFrame {
            $(
                $(#[$doc])*
                #[serde(rename = $name)]
                $variant($variant),
            )*
        }

        $(
            $(#[$doc])*
            #[derive(JsonSchema)]
            #[serde(rename_all = "camelCase")]
            #[allow(dead_code)]
            pub struct $variant {
                /// Echoed on every direct reply (at most 64 characters).
                id: Option<String>,
                $($body)*
            }
        )*

        /// The `action` of every client frame, in the schema's order.
        pub const CLIENT_ACTIONS: &[&str] = &[$($name),*];
    };
}

client_frames! {
    /// Stores a message for every participant; answered with `ack`.
    Send = "send" {
        #[serde(flatten)]
        target: TargetField,
        /// Your own id for the message (1-64 characters): resend with it, never a new one.
        client_msg_id: ClientMsgId,
        /// Up to 16 KiB of UTF-8; at least 1 byte unless there are attachments.
        body: Option<String>,
        /// 1-10 finished uploads of yours for this conversation.
        attachments: Option<Vec<AttachmentRef>>,
        /// The message this one answers: one of this conversation in your inbox.
        reply_to: Option<MsgId>,
        /// Users of the conversation the message mentions (at most 50).
        mentions: Option<Vec<UserId>>,
    }
    /// Inbox entries after a seq; answered with `sync`.
    Sync = "sync" {
        /// Entries with a greater seq (default 0).
        after: Option<u64>,
        /// 1-100 (default 100).
        limit: Option<u32>,
    }
    /// One conversation, newest first; answered with `history`.
    History = "history" {
        /// The conversation.
        conversation: Conversation,
        /// Entries with a smaller seq (the previous page's `next`).
        before: Option<u64>,
        /// Instead of `before`: the messages right after this seq (a page's `prev`).
        after: Option<u64>,
        /// Instead of `before`: the messages around this seq, the message itself included.
        around: Option<u64>,
        /// 1-100 (default 50).
        limit: Option<u32>,
    }
    /// Marks received messages delivered or read; answered with `ok`.
    Receipt = "receipt" {
        /// 1-100 message ids.
        msg_ids: Vec<MsgId>,
        /// The new status.
        status: ReceiptStatus,
    }
    /// A typing indicator; no reply.
    Typing = "typing" {
        #[serde(flatten)]
        target: TargetField,
    }
    /// Your contacts' presence, and a subscription to its changes; answered with `presence`.
    Presence = "presence" {
        /// 1-100 user ids.
        users: Vec<UserId>,
    }
    /// Creates a group with you as its creator; answered with `group`.
    GroupCreate = "group.create" {
        /// 1-128 characters.
        name: String,
        /// The other members (at most 99).
        members: Option<Vec<UserId>>,
        /// Makes the creation idempotent for 24 hours.
        client_msg_id: Option<ClientMsgId>,
    }
    /// Adds members (creator only); answered with `group`.
    GroupAdd = "group.add" {
        /// The group.
        group: GroupId,
        /// Users to add.
        members: Vec<UserId>,
    }
    /// Removes members (creator only); answered with `group`.
    GroupRemove = "group.remove" {
        /// The group.
        group: GroupId,
        /// Users to remove.
        members: Vec<UserId>,
    }
    /// Leaves a group; answered with `ok`.
    GroupLeave = "group.leave" {
        /// The group.
        group: GroupId,
    }
    /// Stops hearing from a user (its messages, typing, receipts and presence stop
    /// reaching you; it cannot tell); answered with `ok`.
    Block = "block" {
        /// The user.
        user: UserId,
    }
    /// Hears from a blocked user again (new messages only); answered with `ok`.
    Unblock = "unblock" {
        /// The user.
        user: UserId,
    }
    /// The users you block; answered with `blocks`.
    Blocks = "blocks" {}
    /// Deletes your account and its data (docs/reliability.md lists what goes); answered
    /// at once with `deleting` and its `jobId`, then every connection is closed and the
    /// user id cannot connect again.
    AccountDelete = "account.delete" {
        /// Your own user id, typed to confirm.
        confirm: UserId,
    }
    /// Writes a copy of your data (the inbox in seq order, conversations, groups, blocks,
    /// mutes, device platforms, your attachments with links) to one NDJSON file in the
    /// background; answered at once with `exporting` and its `jobId`, then every live
    /// connection gets `exported` with a link that works for 24 hours. One export an hour.
    AccountExport = "account.export" {}
    /// No push for one of your conversations (mentions still push); answered with `ok`.
    Mute = "mute" {
        /// The conversation.
        conversation: Conversation,
        /// Until when (ms since the epoch); absent: until `unmute`.
        until: Option<u64>,
    }
    /// Pushes for the conversation again; answered with `ok`.
    Unmute = "unmute" {
        /// The conversation.
        conversation: Conversation,
    }
    /// Reports a message in your inbox to the app's moderators (a copy of it as you see it
    /// now is kept); reporting it again changes nothing; answered with `ok`.
    Report = "report" {
        /// The message (someone else's, in your inbox).
        msg_id: MsgId,
        /// `spam`, `harassment`, `hate`, `sexual`, `violence`, `self_harm`, `illegal` or `other`.
        reason: String,
        /// Up to 1,000 characters.
        note: Option<String>,
    }
    /// Keeps an idle connection open; answered with `pong`.
    Ping = "ping" {}
    /// Who the server takes this connection for; answered with `whoami`.
    Whoami = "whoami" {}
    /// Your conversations, most recent first; answered with `conversations`.
    Conversations = "conversations" {
        /// The previous page's `next`.
        before: Option<u64>,
        /// 1-100 (default 50).
        limit: Option<u32>,
    }
    /// Moves your read marker; answered with `ok`.
    Read = "read" {
        /// The conversation.
        conversation: Conversation,
        /// A seq in your inbox.
        up_to: u64,
    }
    /// Replaces the body of a message you sent; answered with `ack`.
    Edit = "edit" {
        /// The message.
        msg_id: MsgId,
        /// The new text (1 byte to 16 KiB).
        body: String,
        /// This edit's own id (idempotent resends).
        client_msg_id: ClientMsgId,
    }
    /// Adds (or with `remove`, takes back) an emoji on a message in your inbox; answered
    /// with `ack`.
    React = "react" {
        /// The message.
        msg_id: MsgId,
        /// One emoji (one grapheme cluster, at most 32 bytes).
        emoji: String,
        /// Take it back.
        remove: Option<bool>,
        /// This change's own id (idempotent resends).
        client_msg_id: ClientMsgId,
    }
    /// Takes back a message you sent; answered with `ack`.
    Delete = "delete" {
        /// The message.
        msg_id: MsgId,
        /// This delete's own id (idempotent resends).
        client_msg_id: ClientMsgId,
    }
    /// A URL to upload a file to (straight to object storage); answered with `upload`.
    Upload = "upload" {
        /// Where it will be sent (you must be in it).
        conversation: Conversation,
        /// On the allow-list (images, audio, video/mp4, application/pdf by default).
        content_type: String,
        /// The exact size in bytes (25 MiB at most by default).
        size: u64,
        /// The file name shown to the others.
        name: Option<String>,
    }
    /// A short-lived URL to download an attachment; answered with `attachment`.
    Attachment = "attachment" {
        /// A message in your inbox.
        msg_id: MsgId,
        /// One of its attachments.
        attachment_id: String,
        /// `original` (default) or `thumbnail`.
        variant: Option<Variant>,
    }
    /// Registers this device for push notifications; answered with `ok`.
    PushRegister = "push.register" {
        /// The push service.
        platform: Platform,
        /// The device token (at most 1,024 bytes).
        token: String,
    }
    /// Forgets a device token; answered with `ok`.
    PushUnregister = "push.unregister" {
        /// The device token.
        token: String,
    }
}

/// The schema document: `client` and `server` frames, with every type they use under
/// `definitions` (JSON Schema draft 07, which every generator reads).
pub fn document() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let client = generator.subschema_for::<ClientFrame>();
    let server = generator.subschema_for::<ServerFrame>();
    let definitions = generator.take_definitions(true);
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "ChatProtocol",
        "description": "Every frame of the serverless-chat WebSocket protocol, version 1 (docs/protocol.md). Generated from the Rust types by `CHAT_WRITE_SCHEMA=1 cargo test -p chat-devserver protocol_schema`; do not edit.",
        "type": "object",
        "properties": {"client": client, "server": server},
        "definitions": definitions,
    })
}

/// The same frames as an AsyncAPI 3 document: one WebSocket channel, one `send` operation
/// per client action, one `receive` operation for the server's frames, the schemas of
/// [`document`] as components.
pub fn asyncapi() -> Value {
    let doc = document();
    let retarget = |v: &Value| -> Value {
        let text = v.to_string().replace("#/definitions/", "#/components/schemas/");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    let schemas = retarget(&doc["definitions"]);
    let variants = schemas["ClientFrame"]["oneOf"].as_array().cloned().unwrap_or_default();
    let mut messages = serde_json::Map::new();
    let mut operations = serde_json::Map::new();
    for (variant, action) in variants.iter().zip(CLIENT_ACTIONS) {
        let key = action.replace('.', "_");
        messages.insert(
            key.clone(),
            json!({
                "name": action,
                "title": format!("{action} (client to server)"),
                "summary": variant.get("description").cloned().unwrap_or(Value::Null),
                "payload": variant,
            }),
        );
        operations.insert(
            format!("send_{key}"),
            json!({
                "action": "send",
                "channel": {"$ref": "#/channels/chat"},
                "messages": [{"$ref": format!("#/channels/chat/messages/{key}")}],
            }),
        );
    }
    messages.insert(
        "serverFrame".into(),
        json!({
            "name": "serverFrame",
            "title": "Any frame the server sends, told apart by `type`",
            "payload": {"$ref": "#/components/schemas/ServerFrame"},
        }),
    );
    operations.insert(
        "receive".into(),
        json!({
            "action": "receive",
            "channel": {"$ref": "#/channels/chat"},
            "messages": [{"$ref": "#/channels/chat/messages/serverFrame"}],
        }),
    );
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "serverless-chat WebSocket API",
            "version": "1",
            "description": "The chat protocol (docs/protocol.md) as AsyncAPI: connect with `?token=<JWT>`; every client frame is a JSON object whose `action` routes it. Generated from the Rust types with docs/protocol.schema.json; do not edit.",
        },
        "servers": {
            "aws": {
                "host": "{apiId}.execute-api.{region}.amazonaws.com",
                "pathname": "/{stage}",
                "protocol": "wss",
                "description": "The deployed API (the stack's WebSocketUrl output).",
                "variables": {"apiId": {}, "region": {"default": "us-east-1"}, "stage": {"default": "prod"}},
            },
            "devserver": {"host": "127.0.0.1:8080", "protocol": "ws", "description": "chat-devserver on a laptop."},
        },
        "channels": {
            "chat": {
                "address": "/",
                "description": "One WebSocket per device; frames both ways.",
                "messages": Value::Object(messages.keys().map(|k| (k.clone(), json!({"$ref": format!("#/components/messages/{k}")}))).collect()),
            },
        },
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ActionKind;

    #[test]
    fn every_action_of_the_table_has_a_client_frame_and_no_other() {
        let mut table: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
        let mut schema: Vec<&str> = CLIENT_ACTIONS.to_vec();
        table.sort_unstable();
        schema.sort_unstable();
        assert_eq!(schema, table);
    }

    #[test]
    fn the_asyncapi_document_has_an_operation_per_action_and_resolvable_references() {
        let doc = asyncapi();
        assert_eq!(doc["asyncapi"], "3.0.0");
        let operations = doc["operations"].as_object().expect("operations");
        assert_eq!(operations.len(), CLIENT_ACTIONS.len() + 1);
        let text = doc.to_string();
        assert!(!text.contains("#/definitions/"), "every reference points into components");
        for reference in text.split("\"$ref\":\"").skip(1).filter_map(|r| r.split('"').next()) {
            let mut at = &doc;
            for part in reference.trim_start_matches("#/").split('/') {
                at = &at[part];
            }
            assert!(!at.is_null(), "{reference} resolves");
        }
    }

    #[test]
    fn the_document_names_both_sides_and_their_types() {
        let doc = document();
        assert_eq!(doc["properties"]["client"]["$ref"], "#/definitions/ClientFrame");
        assert_eq!(doc["properties"]["server"]["$ref"], "#/definitions/ServerFrame");
        for name in ["ClientFrame", "ServerFrame", "InboxEntry", "ConversationSummary", "UserId", "ErrorCode"] {
            assert!(doc["definitions"].get(name).is_some(), "{name} is defined");
        }
    }
}
