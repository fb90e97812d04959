//! Receipts on DynamoDB: the LSI `byMsgId` finds an inbox's entry for a message id in one
//! strongly consistent Query; the sender's entry keeps the latest status per recipient,
//! moved forward only by a conditional update.

use chat_core::ids::{Conversation, MsgId, UserId};
use chat_core::message::{ReceiptUpdate, SYSTEM_SENDER};
use chat_core::protocol::ReceiptStatus;
use chat_core::schema::messages as m;
use chat_core::store::{ReceiptStore, StoreError};

use crate::items::{self, Item, get_n, get_s, s};

use crate::store::DynamoStore;
use crate::unavailable;

impl DynamoStore {
    /// `user`'s inbox item for `msg_id` (keys, sender and conversation, from the index).
    pub(crate) async fn entry_key(&self, user: &UserId, msg_id: &MsgId) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.messages)
            .index_name(m::BY_MSG_ID_INDEX)
            .key_condition_expression("#pk = :pk AND #id = :id")
            .expression_attribute_names("#pk", m::PK)
            .expression_attribute_names("#id", m::MSG_ID)
            .expression_attribute_values(":pk", s(user.as_str()))
            .expression_attribute_values(":id", s(msg_id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.items().first().cloned())
    }
}

impl ReceiptStore for DynamoStore {
    async fn received(&self, by: &UserId, msg_id: &MsgId) -> Result<Option<ReceiptUpdate>, StoreError> {
        let Some(received) = self.entry_key(by, msg_id).await? else { return Ok(None) };
        let from = get_s(&received, m::FROM, "inbox entry")?;
        if from == SYSTEM_SENDER || from == by.as_str() {
            return Ok(None);
        }
        let sender = UserId::parse(from).map_err(|e| StoreError::Corrupt(format!("inbox entry: {e}")))?;
        let conversation = Conversation::parse(get_s(&received, m::CONVERSATION, "inbox entry")?)
            .map_err(|e| StoreError::Corrupt(format!("inbox entry: {e}")))?;
        Ok(Some(ReceiptUpdate { sender, msg_id: msg_id.clone(), conversation }))
    }

    async fn record_receipt(
        &self,
        by: &UserId,
        target: &ReceiptUpdate,
        status: ReceiptStatus,
    ) -> Result<bool, StoreError> {
        let Some(sent) = self.entry_key(&target.sender, &target.msg_id).await? else { return Ok(false) };
        let seq = get_n(&sent, m::SK, "inbox entry")?;
        // Forward only: `delivered` needs no status yet; `read` needs none or `delivered`.
        let condition = match status {
            ReceiptStatus::Delivered => "attribute_exists(#r) AND attribute_not_exists(#r.#by)",
            ReceiptStatus::Read => "attribute_exists(#r) AND (attribute_not_exists(#r.#by) OR #r.#by = :delivered)",
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.messages)
            .key(m::PK, s(target.sender.as_str()))
            .key(m::SK, items::n(seq))
            .update_expression("SET #r.#by = :status")
            .condition_expression(condition)
            .expression_attribute_names("#r", m::RECEIPTS)
            .expression_attribute_names("#by", by.as_str())
            .expression_attribute_values(":status", s(items::status_name(status)));
        if status == ReceiptStatus::Read {
            update = update.expression_attribute_values(":delivered", s(items::status_name(ReceiptStatus::Delivered)));
        }
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}
