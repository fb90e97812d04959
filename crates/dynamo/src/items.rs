//! DynamoDB items to and from domain types. Parsing happens here, at the boundary:
//! an item that does not parse is `StoreError::Corrupt`, never a panic.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chat_core::ids::{ConnectionId, Conversation, DeviceId, MsgId, UserId};
use chat_core::message::{ConversationSummary, InboxEntry, LastMessage, StoredAck, UpdateKind};
use chat_core::protocol::ReceiptStatus;
use chat_core::ratelimit::Bucket;
use chat_core::schema::{connections as c, conversations as cv, messages as m, state as st};
use chat_core::store::{Connection, StoreError};

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A string attribute.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute from a float (send tokens).
pub fn f(v: f64) -> AttributeValue {
    AttributeValue::N(format!("{v}"))
}

/// The owner's send-limit bucket carried on an inbox entry, if it has one.
pub fn bucket_from(item: &Item) -> Option<Bucket> {
    let tokens = item.get(m::TOKENS)?.as_n().ok()?.parse().ok()?;
    let at_ms = item.get(m::TOKENS_AT)?.as_n().ok()?.parse().ok()?;
    Some(Bucket { tokens, at_ms })
}

/// Puts `bucket` on an inbox entry's item.
pub fn with_bucket(item: &mut Item, bucket: Option<Bucket>) {
    if let Some(b) = bucket {
        item.insert(m::TOKENS.to_owned(), f(b.tokens));
        item.insert(m::TOKENS_AT.to_owned(), n(b.at_ms));
    }
}

/// A number attribute.
pub fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn corrupt(what: &str, attr: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: attribute {attr} missing or malformed"))
}

pub(crate) fn get_s<'a>(item: &'a Item, attr: &str, what: &str) -> Result<&'a str, StoreError> {
    item.get(attr).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or_else(|| corrupt(what, attr))
}

pub(crate) fn get_n(item: &Item, attr: &str, what: &str) -> Result<u64, StoreError> {
    item.get(attr).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(what, attr))
}

/// The item of a connection.
pub fn connection_item(conn: &Connection) -> Item {
    let mut item = Item::from([
        (c::PK.to_owned(), s(conn.user.as_str())),
        (c::SK.to_owned(), s(conn.connection_id.as_str())),
        (c::CONNECTED_AT.to_owned(), n(conn.connected_at)),
        (c::TTL.to_owned(), n(conn.expires_at)),
    ]);
    if let Some(d) = &conn.device {
        item.insert(c::DEVICE.to_owned(), s(d.as_str()));
    }
    item
}

/// A connection from its item.
pub fn connection_from(item: &Item) -> Result<Connection, StoreError> {
    let what = "connection";
    let bad = |e: chat_core::ids::IdError| StoreError::Corrupt(format!("{what}: {e}"));
    Ok(Connection {
        user: UserId::parse(get_s(item, c::PK, what)?).map_err(bad)?,
        connection_id: ConnectionId::parse(get_s(item, c::SK, what)?).map_err(bad)?,
        device: match item.get(c::DEVICE).and_then(|v| v.as_s().ok()) {
            Some(d) => Some(DeviceId::parse(d).map_err(bad)?),
            None => None,
        },
        connected_at: get_n(item, c::CONNECTED_AT, what)?,
        expires_at: get_n(item, c::TTL, what)?,
    })
}

/// The inbox item of `entry` for `user`.
pub fn entry_item(user: &UserId, entry: &InboxEntry) -> Item {
    let conversation = entry.conversation.to_string();
    let mut item = Item::from([
        (m::PK.to_owned(), s(user.as_str())),
        (m::SK.to_owned(), n(entry.seq)),
        (m::CONV_SEQ.to_owned(), s(m::conv_seq(&conversation, entry.seq))),
        (m::CONVERSATION.to_owned(), s(conversation)),
        (m::FROM.to_owned(), s(entry.from.as_str())),
        (m::BODY.to_owned(), s(entry.body.as_str())),
        (m::TS.to_owned(), n(entry.ts)),
    ]);
    if let Some(cmid) = &entry.client_msg_id {
        item.insert(m::CLIENT_MSG_ID.to_owned(), s(cmid.as_str()));
    }
    match entry.kind {
        None => item.insert(m::MSG_ID.to_owned(), s(entry.msg_id.as_str())),
        Some(kind) => {
            item.insert(m::KIND.to_owned(), s(kind.name()));
            item.insert(m::TARGET.to_owned(), s(entry.msg_id.as_str()))
        }
    };
    if let Some(at) = entry.edited_at {
        item.insert(m::EDITED_AT.to_owned(), n(at));
    }
    if entry.deleted {
        item.insert(m::DELETED.to_owned(), AttributeValue::Bool(true));
    }
    if let Some(by) = &entry.by {
        item.insert(m::BY.to_owned(), s(by.as_str()));
    }
    if !entry.attachments.is_empty() {
        item.insert(m::ATTACHMENTS.to_owned(), crate::uploads::attachments_value(&entry.attachments));
    }
    crate::rich::put_rich(&mut item, entry);
    if user.as_str() == entry.from && entry.kind.is_none() {
        // The sender's own entry collects receipts; the map must exist for `SET receipts.#u`.
        let receipts = entry.receipts.iter().map(|(u, st)| (u.to_string(), s(status_name(*st)))).collect();
        item.insert(m::RECEIPTS.to_owned(), AttributeValue::M(receipts));
    }
    item
}

/// The stored name of a receipt status.
pub fn status_name(status: ReceiptStatus) -> &'static str {
    match status {
        ReceiptStatus::Delivered => "delivered",
        ReceiptStatus::Read => "read",
    }
}

fn status_from(v: &AttributeValue) -> Option<ReceiptStatus> {
    match v.as_s().ok()?.as_str() {
        "delivered" => Some(ReceiptStatus::Delivered),
        "read" => Some(ReceiptStatus::Read),
        _ => None,
    }
}

/// An inbox entry from its item.
pub fn entry_from(item: &Item) -> Result<InboxEntry, StoreError> {
    let what = "inbox entry";
    let conversation = Conversation::parse(get_s(item, m::CONVERSATION, what)?)
        .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    let receipts = match item.get(m::RECEIPTS).and_then(|v| v.as_m().ok()) {
        Some(map) => map.iter().filter_map(|(k, v)| Some((UserId::parse(k).ok()?, status_from(v)?))).collect(),
        None => Default::default(),
    };
    let kind = match item.get(m::KIND).and_then(|v| v.as_s().ok()) {
        None => None,
        Some(k) => Some(UpdateKind::from_name(k).ok_or_else(|| corrupt(what, m::KIND))?),
    };
    let id_attr = if kind.is_some() { m::TARGET } else { m::MSG_ID };
    Ok(InboxEntry {
        seq: get_n(item, m::SK, what)?,
        msg_id: MsgId::from_stored(get_s(item, id_attr, what)?.to_owned()),
        conversation,
        from: get_s(item, m::FROM, what)?.to_owned(),
        body: get_s(item, m::BODY, what)?.to_owned(),
        ts: get_n(item, m::TS, what)?,
        client_msg_id: item.get(m::CLIENT_MSG_ID).and_then(|v| v.as_s().ok()).cloned(),
        receipts,
        kind,
        edited_at: item.get(m::EDITED_AT).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()),
        deleted: item.get(m::DELETED).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
        attachments: crate::uploads::attachments_from(item.get(m::ATTACHMENTS))?,
        by: item.get(m::BY).and_then(|v| v.as_s().ok()).cloned(),
        reply_to: crate::rich::reply_to_from(item),
        mentions: crate::rich::mentions_from(item),
        reactions: crate::rich::reactions_from(item),
        reactions_seq: item.get(m::REACTIONS_SEQ).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()),
        removed: item.get(m::REMOVED).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
    })
}

/// A conversation summary from its item.
pub fn summary_from(item: &Item) -> Result<ConversationSummary, StoreError> {
    let what = "conversation summary";
    let num = |attr: &str| item.get(attr).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u64>().ok());
    Ok(ConversationSummary {
        conversation: Conversation::parse(get_s(item, cv::SK, what)?)
            .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?,
        name: item.get(cv::NAME).and_then(|v| v.as_s().ok()).cloned(),
        last: LastMessage {
            msg_id: MsgId::from_stored(get_s(item, cv::LAST_MSG_ID, what)?.to_owned()),
            from: get_s(item, cv::LAST_FROM, what)?.to_owned(),
            preview: get_s(item, cv::LAST_PREVIEW, what)?.to_owned(),
            ts: get_n(item, cv::LAST_TS, what)?,
            edited_at: num(cv::LAST_EDITED_AT),
            deleted: item.get(cv::LAST_DELETED).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
            expired: false,
        },
        last_seq: get_n(item, cv::LAST_SEQ, what)?,
        unread: num(cv::UNREAD).unwrap_or(0),
        read_up_to: num(cv::READ_UP_TO).unwrap_or(0),
        muted_until: item.get(cv::MUTED_UNTIL).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()),
        mentions: num(cv::MENTIONS).unwrap_or(0),
        first_mention: num(cv::FIRST_MENTION),
    })
}

/// The idempotency item remembering `ack` (and every participant's seq) under `key`,
/// expiring at `ttl_s`.
pub fn ack_item(key: &str, ack: &StoredAck, seqs: &[(UserId, u64)], ttl_s: u64) -> Item {
    let seqs = seqs.iter().map(|(u, q)| (u.to_string(), n(*q))).collect();
    Item::from([
        (st::SEQS.to_owned(), AttributeValue::M(seqs)),
        (st::PK.to_owned(), s(key)),
        (st::MSG_ID.to_owned(), s(ack.msg_id.as_str())),
        (st::SEQ.to_owned(), n(ack.seq)),
        (st::CONVERSATION.to_owned(), s(ack.conversation.to_string())),
        (st::TS.to_owned(), n(ack.ts)),
        (st::TTL.to_owned(), n(ttl_s)),
        (st::DIGEST.to_owned(), s(&ack.digest)),
    ])
}

/// `status` of an idempotency record whose chunked fan-out is still being written.
pub const PENDING: &str = "pending";

/// Whether an idempotency record belongs to a chunked fan-out still being written.
pub fn is_pending(item: &Item) -> bool {
    item.get(st::STATUS).and_then(|v| v.as_s().ok()).map(String::as_str) == Some(PENDING)
}

/// Every participant's seq from an idempotency item.
pub fn seqs_from(item: &Item) -> Result<Vec<(UserId, u64)>, StoreError> {
    let map = item.get(st::SEQS).and_then(|v| v.as_m().ok()).ok_or_else(|| corrupt("idempotency record", st::SEQS))?;
    map.iter()
        .map(|(u, q)| {
            let user = UserId::parse(u).map_err(|e| StoreError::Corrupt(format!("idempotency record: {e}")))?;
            let seq =
                q.as_n().ok().and_then(|q| q.parse().ok()).ok_or_else(|| corrupt("idempotency record", st::SEQS))?;
            Ok((user, seq))
        })
        .collect()
}

/// An ack from its idempotency item.
pub fn ack_from(item: &Item) -> Result<StoredAck, StoreError> {
    let what = "idempotency record";
    Ok(StoredAck {
        msg_id: MsgId::from_stored(get_s(item, st::MSG_ID, what)?.to_owned()),
        seq: get_n(item, st::SEQ, what)?,
        conversation: Conversation::parse(get_s(item, st::CONVERSATION, what)?)
            .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?,
        ts: get_n(item, st::TS, what)?,
        digest: item.get(st::DIGEST).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(s: &str) -> UserId {
        UserId::parse(s).expect("valid")
    }

    #[test]
    fn a_connection_survives_the_round_trip() {
        let conn = Connection {
            user: user("alice"),
            connection_id: ConnectionId::parse("abc=").expect("valid"),
            device: Some(DeviceId::parse("phone").expect("valid")),
            connected_at: 5,
            expires_at: 9,
        };
        assert_eq!(connection_from(&connection_item(&conn)).expect("parse"), conn);
        let mut no_device = conn.clone();
        no_device.device = None;
        assert_eq!(connection_from(&connection_item(&no_device)).expect("parse"), no_device);
    }

    #[test]
    fn an_inbox_entry_survives_the_round_trip_and_is_indexed_by_conversation() {
        let entry = InboxEntry {
            reactions_seq: None,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Default::default(),
            removed: false,
            by: None,
            seq: 12,
            msg_id: MsgId::generate(7),
            conversation: Conversation::parse("dm:alice:bob").expect("valid"),
            from: "alice".into(),
            body: "hi".into(),
            ts: 7,
            client_msg_id: Some("c1".into()),
            receipts: Default::default(),
            kind: None,
            edited_at: Some(9),
            deleted: false,
            attachments: Vec::new(),
        };
        let item = entry_item(&user("bob"), &entry);
        assert_eq!(item.get(m::CONV_SEQ), Some(&s("dm:alice:bob#00000000000000000012")));
        assert_eq!(entry_from(&item).expect("parse"), entry);
        let update = InboxEntry { kind: Some(UpdateKind::Delete), edited_at: None, seq: 13, ..entry };
        let item = entry_item(&user("bob"), &update);
        assert_eq!(item.get(m::MSG_ID), None, "update entries stay out of byMsgId");
        assert_eq!(entry_from(&item).expect("parse"), update);
    }

    #[test]
    fn a_malformed_item_is_corrupt_not_a_panic() {
        let mut item = entry_item(
            &user("bob"),
            &InboxEntry {
                reactions_seq: None,
                reply_to: None,
                mentions: Vec::new(),
                reactions: Default::default(),
                removed: false,
                by: None,
                seq: 1,
                msg_id: MsgId::generate(1),
                conversation: Conversation::parse("group:g").expect("valid"),
                from: "x".into(),
                body: "b".into(),
                ts: 1,
                client_msg_id: None,
                receipts: Default::default(),
                kind: None,
                edited_at: None,
                deleted: false,
                attachments: Vec::new(),
            },
        );
        item.insert(m::SK.to_owned(), s("not a number"));
        assert!(matches!(entry_from(&item), Err(StoreError::Corrupt(_))));
        item.remove(m::SK);
        assert!(matches!(entry_from(&item), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn an_ack_survives_the_round_trip() {
        let ack = StoredAck {
            msg_id: MsgId::generate(3),
            seq: 4,
            conversation: Conversation::parse("group:g").expect("valid"),
            ts: 3,
            digest: "00ff00ff00ff00ff".into(),
        };
        let seqs = vec![(user("a"), 4), (user("b"), 9)];
        let item = ack_item("k", &ack, &seqs, 99);
        assert_eq!(ack_from(&item).expect("parse"), ack);
        let mut back = seqs_from(&item).expect("parse");
        back.sort();
        assert_eq!(back, seqs);
    }
}
