//! Uploads on DynamoDB: one item `upload#<id>` in the state table, with a TTL of a day
//! while it is not attached. Attaching is an `Update` inside the append's own transaction,
//! conditional on owner, conversation, readiness and not being used by another message,
//! so an upload is attached once even when sends race.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chat_core::ids::{Conversation, MsgId, UserId};
use chat_core::media::{Attachment, Checked, Upload, UploadId, UploadState};
use chat_core::message::NewMessage;
use chat_core::schema::state as st;
use chat_core::store::{StoreError, UploadStore};

use crate::items::{Item, get_n, get_s, n, s};
use crate::store::DynamoStore;
use crate::txn::build;
use crate::unavailable;

const OWNER: &str = "owner";
const CONVERSATION: &str = "conversation";
const CONTENT_TYPE: &str = "contentType";
const SIZE: &str = "size";
const NAME: &str = "name";
const CREATED_AT: &str = "createdAt";
const STATUS: &str = "status";
const THUMBNAIL: &str = "thumbnail";
const WIDTH: &str = "width";
const HEIGHT: &str = "height";
const USED_BY: &str = "usedBy";

fn key(id: &UploadId) -> String {
    format!("upload#{}", id.as_str())
}

fn state_name(s: UploadState) -> &'static str {
    match s {
        UploadState::Pending => "pending",
        UploadState::Ready => "ready",
        UploadState::Rejected => "rejected",
    }
}

fn upload_item(u: &Upload) -> Item {
    let mut item = Item::from([
        (st::PK.to_owned(), s(key(&u.id))),
        (OWNER.to_owned(), s(u.owner.as_str())),
        (CONVERSATION.to_owned(), s(u.conversation.to_string())),
        (CONTENT_TYPE.to_owned(), s(&u.content_type)),
        (SIZE.to_owned(), n(u.size)),
        (NAME.to_owned(), s(&u.name)),
        (CREATED_AT.to_owned(), n(u.created_at)),
        (STATUS.to_owned(), s(state_name(u.state))),
        (THUMBNAIL.to_owned(), AttributeValue::Bool(u.thumbnail)),
        (st::TTL.to_owned(), n((u.created_at + chat_core::media::UNATTACHED_TTL_MS).div_ceil(1000))),
    ]);
    if let Some(w) = u.width {
        item.insert(WIDTH.to_owned(), n(u64::from(w)));
    }
    if let Some(h) = u.height {
        item.insert(HEIGHT.to_owned(), n(u64::from(h)));
    }
    item
}

fn upload_from(item: &Item) -> Result<Upload, StoreError> {
    let what = "upload";
    let bad = |e: chat_core::ids::IdError| StoreError::Corrupt(format!("{what}: {e}"));
    let id = get_s(item, st::PK, what)?.strip_prefix("upload#").unwrap_or_default();
    let num = |a: &str| item.get(a).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u32>().ok());
    Ok(Upload {
        id: UploadId::parse(id).map_err(bad)?,
        owner: UserId::parse(get_s(item, OWNER, what)?).map_err(bad)?,
        conversation: Conversation::parse(get_s(item, CONVERSATION, what)?).map_err(bad)?,
        content_type: get_s(item, CONTENT_TYPE, what)?.to_owned(),
        size: get_n(item, SIZE, what)?,
        name: get_s(item, NAME, what)?.to_owned(),
        created_at: get_n(item, CREATED_AT, what)?,
        state: match get_s(item, STATUS, what)? {
            "pending" => UploadState::Pending,
            "ready" => UploadState::Ready,
            _ => UploadState::Rejected,
        },
        thumbnail: item.get(THUMBNAIL).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
        width: num(WIDTH),
        height: num(HEIGHT),
        used_by: item.get(USED_BY).and_then(|v| v.as_s().ok()).map(|m| MsgId::from_stored(m.clone())),
    })
}

/// The attachments of an entry, as its `attachments` attribute.
pub(crate) fn attachments_value(list: &[Attachment]) -> AttributeValue {
    AttributeValue::L(
        list.iter()
            .map(|a| {
                let mut m = Item::from([
                    ("attachmentId".to_owned(), s(&a.attachment_id)),
                    ("name".to_owned(), s(&a.name)),
                    ("contentType".to_owned(), s(&a.content_type)),
                    ("size".to_owned(), n(a.size)),
                    ("thumbnail".to_owned(), AttributeValue::Bool(a.thumbnail)),
                ]);
                if let Some(w) = a.width {
                    m.insert("width".to_owned(), n(u64::from(w)));
                }
                if let Some(h) = a.height {
                    m.insert("height".to_owned(), n(u64::from(h)));
                }
                AttributeValue::M(m)
            })
            .collect(),
    )
}

/// The attachments an entry's `attachments` attribute holds.
pub(crate) fn attachments_from(v: Option<&AttributeValue>) -> Result<Vec<Attachment>, StoreError> {
    let Some(list) = v.and_then(|v| v.as_l().ok()) else { return Ok(Vec::new()) };
    list.iter()
        .map(|v| {
            let m = v.as_m().map_err(|_| StoreError::Corrupt("attachment: not a map".into()))?;
            let num = |a: &str| m.get(a).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u32>().ok());
            Ok(Attachment {
                attachment_id: get_s(m, "attachmentId", "attachment")?.to_owned(),
                name: get_s(m, "name", "attachment")?.to_owned(),
                content_type: get_s(m, "contentType", "attachment")?.to_owned(),
                size: get_n(m, "size", "attachment")?,
                thumbnail: m.get("thumbnail").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
                width: num("width"),
                height: num("height"),
            })
        })
        .collect()
}

/// The writes that attach `msg`'s uploads to it: each conditional on the upload being
/// the sender's, for this conversation, ready, and used by no other message (a repeat by
/// the same message is allowed, for a resumed large fan-out).
pub(crate) fn claim_writes(table: &str, msg: &NewMessage) -> Result<Vec<TransactWriteItem>, StoreError> {
    if msg.amends.is_some() {
        return Ok(Vec::new());
    }
    msg.attachments
        .iter()
        .map(|a| {
            let id = UploadId::parse(&a.attachment_id).map_err(|e| StoreError::Corrupt(format!("attachment: {e}")))?;
            let update = Update::builder()
                .table_name(table)
                .key(st::PK, s(key(&id)))
                .update_expression("SET #used = :msg REMOVE #ttl")
                .condition_expression(
                    "#owner = :me AND #conv = :conv AND #status = :ready AND (attribute_not_exists(#used) OR #used = :msg)",
                )
                .expression_attribute_names("#used", USED_BY)
                .expression_attribute_names("#ttl", st::TTL)
                .expression_attribute_names("#owner", OWNER)
                .expression_attribute_names("#conv", CONVERSATION)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_values(":msg", s(msg.msg_id.as_str()))
                .expression_attribute_values(":me", s(msg.from.as_str()))
                .expression_attribute_values(":conv", s(msg.conversation.to_string()))
                .expression_attribute_values(":ready", s("ready"));
            Ok(TransactWriteItem::builder().update(build(update.build())?).build())
        })
        .collect()
}

impl UploadStore for DynamoStore {
    async fn put_upload(&self, u: &Upload) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.state)
            .set_item(Some(upload_item(u)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", st::PK)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn uploads(&self, ids: &[UploadId]) -> Result<Vec<Option<Upload>>, StoreError> {
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(100) {
            let keys = chunk.iter().map(|id| Item::from([(st::PK.to_owned(), s(key(id)))])).collect();
            for item in self.batch_get(&self.tables.state, keys).await? {
                let u = upload_from(&item)?;
                found.insert(u.id.clone(), u);
            }
        }
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    async fn finish_upload(&self, id: &UploadId, c: Checked) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(key(id)))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#thumb", THUMBNAIL)
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":state", s(state_name(c.state)))
            .expression_attribute_values(":thumb", AttributeValue::Bool(c.thumbnail));
        let mut set = vec!["#status = :state", "#thumb = :thumb"];
        if let (Some(w), Some(h)) = (c.width, c.height) {
            set.extend(["#w = :w", "#h = :h"]);
            update = update
                .expression_attribute_names("#w", WIDTH)
                .expression_attribute_names("#h", HEIGHT)
                .expression_attribute_values(":w", n(u64::from(w)))
                .expression_attribute_values(":h", n(u64::from(h)));
        }
        match update.update_expression(format!("SET {}", set.join(", "))).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_and_attachments_survive_the_round_trip() {
        let u = Upload {
            id: UploadId::generate(9),
            owner: UserId::parse("alice").expect("valid"),
            conversation: Conversation::parse("dm:alice:bob").expect("valid"),
            content_type: "image/png".into(),
            size: 12,
            name: "a.png".into(),
            created_at: 9,
            state: UploadState::Ready,
            thumbnail: true,
            width: Some(3),
            height: Some(4),
            used_by: None,
        };
        assert_eq!(upload_from(&upload_item(&u)).expect("parse"), u);
        let list = vec![u.attachment()];
        assert_eq!(attachments_from(Some(&attachments_value(&list))).expect("parse"), list);
        assert!(attachments_from(None).expect("none").is_empty());
    }
}
