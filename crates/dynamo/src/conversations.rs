//! Conversation summaries on DynamoDB: one item per (user, conversation) in the
//! conversations table, written in the same transaction as the inbox entry it summarizes
//! (so the list is exact the moment the ack arrives), and listed most recent first through
//! the keys-only LSI `byActivity`.
//!
//! `activity` only changes when a conversation becomes the user's most recent one (the
//! append reads each inbox's latest entry anyway, and so knows whether it already is): a
//! busy conversation does not rewrite its index entry on every message, which keeps the
//! index's write cost at zero for the common back-and-forth.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Select, TransactWriteItem, Update};
use chat_core::ids::{Conversation, MsgId, UserId};
use chat_core::message::{ConversationSummary, InboxEntry, ReadOutcome, SYSTEM_SENDER, SummaryPage, UpdateKind};
use chat_core::schema::{conversations as cv, messages as m};
use chat_core::store::{ConversationStore, StoreError};

use crate::items::{self, Item, get_n, n, s};
use crate::store::DynamoStore;
use crate::txn::{MAX_ROUNDS, backoff, build};
use crate::unavailable;

/// The summary write for `user` after message `entry` took its seq: the new last
/// message, one more unread when it is someone else's, and `activity` moved to this seq
/// unless the conversation already was the user's most recent (`on_top`).
pub(crate) fn message_summary_write(
    table: &str,
    user: &UserId,
    entry: &InboxEntry,
    name: Option<&str>,
    on_top: bool,
) -> Result<TransactWriteItem, StoreError> {
    let last = chat_core::message::LastMessage::of(entry);
    let mut set = vec![
        "#seq = :seq",
        "#mid = :mid",
        "#from = :from",
        "#prev = :prev",
        "#ts = :ts",
        "#read = if_not_exists(#read, :zero)",
    ];
    let mut update = Update::builder()
        .table_name(table)
        .key(cv::PK, s(user.as_str()))
        .key(cv::SK, s(entry.conversation.to_string()))
        .expression_attribute_names("#seq", cv::LAST_SEQ)
        .expression_attribute_names("#mid", cv::LAST_MSG_ID)
        .expression_attribute_names("#from", cv::LAST_FROM)
        .expression_attribute_names("#prev", cv::LAST_PREVIEW)
        .expression_attribute_names("#ts", cv::LAST_TS)
        .expression_attribute_names("#read", cv::READ_UP_TO)
        .expression_attribute_names("#unread", cv::UNREAD)
        .expression_attribute_names("#edited", cv::LAST_EDITED_AT)
        .expression_attribute_names("#deleted", cv::LAST_DELETED)
        .expression_attribute_values(":seq", n(entry.seq))
        .expression_attribute_values(":mid", s(last.msg_id.as_str()))
        .expression_attribute_values(":from", s(last.from))
        .expression_attribute_values(":prev", s(last.preview))
        .expression_attribute_values(":ts", n(last.ts))
        .expression_attribute_values(":zero", n(0));
    // On top already: the index entry stays, except for a summary that has none yet (a
    // conversation quiet since before summaries existed, whose latest entry is this
    // inbox's latest): without `activity` it would be missing from the list. Setting an
    // attribute to the value it has is no index write.
    set.push(if on_top { "#act = if_not_exists(#act, :seq)" } else { "#act = :seq" });
    update = update.expression_attribute_names("#act", cv::ACTIVITY);
    if let Some(name) = name {
        set.push("#name = :name");
        update = update.expression_attribute_names("#name", cv::NAME).expression_attribute_values(":name", s(name));
    }
    let unread = if entry.mentions_unread(user) {
        // A mention of the owner: counted, and the first one kept to jump to.
        set.push("#first = if_not_exists(#first, :seq)");
        update = update
            .expression_attribute_names("#mentions", cv::MENTIONS)
            .expression_attribute_names("#first", cv::FIRST_MENTION)
            .expression_attribute_values(":one", n(1));
        " ADD #unread :one, #mentions :one"
    } else if entry.counts_as_unread_for(user) {
        update = update.expression_attribute_values(":one", n(1));
        " ADD #unread :one"
    } else {
        set.push("#unread = if_not_exists(#unread, :zero)");
        ""
    };
    let expression = format!("SET {} REMOVE #edited, #deleted{unread}", set.join(", "));
    Ok(TransactWriteItem::builder().update(build(update.update_expression(expression).build())?).build())
}

/// The summary write for `user` after an edit or delete took its seq: the last seq moves;
/// the preview follows when the message changed is the last one (`last_is_target`).
pub(crate) fn amend_summary_write(
    table: &str,
    user: &UserId,
    entry: &InboxEntry,
    last_is_target: bool,
    on_top: bool,
) -> Result<TransactWriteItem, StoreError> {
    let mut set = vec!["#seq = :seq"];
    let mut update = Update::builder()
        .table_name(table)
        .key(cv::PK, s(user.as_str()))
        .key(cv::SK, s(entry.conversation.to_string()))
        .expression_attribute_names("#seq", cv::LAST_SEQ)
        .expression_attribute_values(":seq", n(entry.seq));
    if !on_top {
        set.push("#act = :seq");
        update = update.expression_attribute_names("#act", cv::ACTIVITY);
    }
    if last_is_target {
        match entry.kind {
            Some(UpdateKind::Edit) => {
                set.extend(["#prev = :prev", "#edited = :ts"]);
                update = update
                    .expression_attribute_names("#prev", cv::LAST_PREVIEW)
                    .expression_attribute_names("#edited", cv::LAST_EDITED_AT)
                    .expression_attribute_values(
                        ":prev",
                        s(chat_core::push::preview(&entry.body, chat_core::message::PREVIEW_CHARS)),
                    )
                    .expression_attribute_values(":ts", n(entry.ts));
            }
            Some(UpdateKind::Delete) => {
                set.extend(["#prev = :empty", "#deleted = :true"]);
                update = update
                    .expression_attribute_names("#prev", cv::LAST_PREVIEW)
                    .expression_attribute_names("#deleted", cv::LAST_DELETED)
                    .expression_attribute_values(":empty", s(""))
                    .expression_attribute_values(":true", AttributeValue::Bool(true));
            }
            Some(UpdateKind::Reaction) | None => {}
        }
    }
    let expression = format!("SET {}", set.join(", "));
    Ok(TransactWriteItem::builder().update(build(update.update_expression(expression).build())?).build())
}

/// The change of the message itself in `user`'s inbox (at `seq`) by an edit or delete,
/// unless it was deleted meanwhile.
pub(crate) fn original_write(
    table: &str,
    user: &UserId,
    seq: u64,
    kind: UpdateKind,
    body: &str,
    ts: u64,
) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .key(m::PK, s(user.as_str()))
        .key(m::SK, n(seq))
        .condition_expression("attribute_exists(#body) AND attribute_not_exists(#deleted)")
        .expression_attribute_names("#body", m::BODY)
        .expression_attribute_names("#deleted", m::DELETED);
    let update = match kind {
        UpdateKind::Edit => update
            .update_expression("SET #body = :body, #edited = :ts")
            .expression_attribute_names("#edited", m::EDITED_AT)
            .expression_attribute_values(":body", s(body))
            .expression_attribute_values(":ts", n(ts)),
        UpdateKind::Delete => update
            .update_expression("SET #body = :empty, #deleted = :true REMOVE #att")
            .expression_attribute_names("#att", m::ATTACHMENTS)
            .expression_attribute_values(":empty", s(""))
            .expression_attribute_values(":true", AttributeValue::Bool(true)),
        UpdateKind::Reaction => {
            return Err(StoreError::Corrupt("a reaction is written by rich::reaction_write".into()));
        }
    };
    Ok(TransactWriteItem::builder().update(build(update.build())?).build())
}

/// Unread messages after a read marker.
#[derive(Debug, Default)]
struct Unread {
    count: u64,
    mentions: u64,
    first_mention: Option<u64>,
}

impl DynamoStore {
    pub(crate) fn summary_key(user: &UserId, conversation: &Conversation) -> Item {
        Item::from([(cv::PK.to_owned(), s(user.as_str())), (cv::SK.to_owned(), s(conversation.to_string()))])
    }

    async fn summary(&self, user: &UserId, conversation: &Conversation) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.conversations)
            .set_key(Some(Self::summary_key(user, conversation)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item().cloned())
    }

    /// Messages from others in `conversation` after `after` in `user`'s inbox, and (when
    /// `mentions`: the summary counts some) which of them mention `user`: one Query on
    /// `byConversation` (paged when the range is large), counting only unless mentions
    /// are asked for (the read units are the same either way).
    async fn count_unread(
        &self,
        user: &UserId,
        conversation: &Conversation,
        after: u64,
        mentions: bool,
    ) -> Result<Unread, StoreError> {
        let mut total = Unread::default();
        let mut start: Option<Item> = None;
        let from_others = "#from <> :me AND #from <> :system";
        loop {
            let mut query = self
                .conversation_messages(user, conversation, after.saturating_add(1), u64::MAX, from_others)
                .expression_attribute_names("#from", m::FROM)
                .expression_attribute_values(":me", s(user.as_str()))
                .expression_attribute_values(":system", s(SYSTEM_SENDER))
                .set_exclusive_start_key(start.take());
            query = if mentions {
                query
                    .projection_expression("#seq, #mentions")
                    .expression_attribute_names("#seq", m::SK)
                    .expression_attribute_names("#mentions", m::MENTIONS)
            } else {
                query.select(Select::Count)
            };
            let out = query.send().await.map_err(unavailable)?;
            total.count += u64::try_from(out.count()).unwrap_or(0);
            for item in out.items() {
                if crate::rich::mentions_from(item).contains(user) {
                    total.mentions += 1;
                    total.first_mention = total.first_mention.or(Some(get_n(item, m::SK, "inbox entry")?));
                }
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(total),
            }
        }
    }
}

impl ConversationStore for DynamoStore {
    async fn conversations(&self, user: &UserId, before: Option<u64>, limit: u32) -> Result<SummaryPage, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.conversations)
            .index_name(cv::BY_ACTIVITY_INDEX)
            .expression_attribute_names("#pk", cv::PK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .scan_index_forward(false)
            .limit(limit as i32 + 1)
            .consistent_read(true);
        query = match before {
            None => query.key_condition_expression("#pk = :pk"),
            Some(b) => query
                .key_condition_expression("#pk = :pk AND #act < :before")
                .expression_attribute_names("#act", cv::ACTIVITY)
                .expression_attribute_values(":before", n(b)),
        };
        let out = query.send().await.map_err(unavailable)?;
        let mut keys: Vec<(Item, u64)> = out
            .items()
            .iter()
            .map(|k| {
                let activity = get_n(k, cv::ACTIVITY, "conversation index entry")?;
                let key = k.iter().filter(|(a, _)| *a == cv::PK || *a == cv::SK).map(|(a, v)| (a.clone(), v.clone()));
                Ok((key.collect(), activity))
            })
            .collect::<Result<_, StoreError>>()?;
        let more = keys.len() > limit as usize;
        keys.truncate(limit as usize);
        let next = if more { keys.last().map(|(_, a)| *a) } else { None };
        let order: Vec<String> =
            keys.iter().filter_map(|(k, _)| k.get(cv::SK).and_then(|v| v.as_s().ok()).cloned()).collect();
        let mut by_conv: HashMap<String, ConversationSummary> = HashMap::new();
        if !keys.is_empty() {
            for item in self.batch_get(&self.tables.conversations, keys.into_iter().map(|(k, _)| k).collect()).await? {
                let summary = items::summary_from(&item)?;
                by_conv.insert(summary.conversation.to_string(), summary);
            }
        }
        let items = order.iter().filter_map(|c| by_conv.remove(c)).map(|s| self.retention.trim(s)).collect();
        Ok(SummaryPage { items, next })
    }

    async fn summaries(
        &self,
        user: &UserId,
        conversations: &[Conversation],
    ) -> Result<Vec<Option<ConversationSummary>>, StoreError> {
        let mut by_conv: HashMap<String, ConversationSummary> = HashMap::new();
        for chunk in conversations.chunks(100) {
            let keys = chunk.iter().map(|c| Self::summary_key(user, c)).collect();
            for item in self.batch_get(&self.tables.conversations, keys).await? {
                let summary = items::summary_from(&item)?;
                by_conv.insert(summary.conversation.to_string(), summary);
            }
        }
        Ok(conversations.iter().map(|c| by_conv.get(&c.to_string()).map(|s| self.retention.trim(s.clone()))).collect())
    }

    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<ReadOutcome, StoreError> {
        for round in 0..MAX_ROUNDS {
            let Some(item) = self.summary(user, conversation).await? else { return Ok(ReadOutcome::NotFound) };
            let mut summary = items::summary_from(&item)?;
            let up_to = up_to.min(summary.last_seq);
            if up_to <= summary.read_up_to {
                return Ok(ReadOutcome::Unchanged(summary));
            }
            let unread = self.count_unread(user, conversation, up_to, summary.mentions > 0).await?;
            // Mentions are recounted only where there were some (a summary without any
            // keeps its size, and so its write units).
            let (expression, mentions_too) = match (summary.mentions > 0, unread.first_mention) {
                (false, _) => ("SET #read = :up, #unread = :unread", false),
                (true, Some(_)) => ("SET #read = :up, #unread = :unread, #mentions = :mentions, #first = :first", true),
                (true, None) => ("SET #read = :up, #unread = :unread, #mentions = :mentions REMOVE #first", true),
            };
            let mut update = self
                .client
                .update_item()
                .table_name(&self.tables.conversations)
                .set_key(Some(Self::summary_key(user, conversation)));
            if mentions_too {
                update = update
                    .expression_attribute_names("#mentions", cv::MENTIONS)
                    .expression_attribute_names("#first", cv::FIRST_MENTION)
                    .expression_attribute_values(":mentions", n(unread.mentions));
                if let Some(first) = unread.first_mention {
                    update = update.expression_attribute_values(":first", n(first));
                }
            }
            // Conditional on the summary read: an append in between changes `lastSeq`
            // (and maybe the count), so the recount is redone.
            let result = update
                .update_expression(expression)
                .condition_expression("#seq = :seq AND #read = :was")
                .expression_attribute_names("#read", cv::READ_UP_TO)
                .expression_attribute_names("#unread", cv::UNREAD)
                .expression_attribute_names("#seq", cv::LAST_SEQ)
                .expression_attribute_values(":up", n(up_to))
                .expression_attribute_values(":unread", n(unread.count))
                .expression_attribute_values(":seq", n(summary.last_seq))
                .expression_attribute_values(":was", n(summary.read_up_to))
                .send()
                .await;
            match result {
                Ok(_) => {
                    summary.read_up_to = up_to;
                    summary.unread = unread.count;
                    if mentions_too {
                        summary.mentions = unread.mentions;
                        summary.first_mention = unread.first_mention;
                    }
                    return Ok(ReadOutcome::Moved(summary));
                }
                Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                    tokio::time::sleep(backoff(round)).await;
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Contention)
    }

    async fn message(&self, user: &UserId, msg_id: &MsgId) -> Result<Option<InboxEntry>, StoreError> {
        let Some(key) = self.entry_key(user, msg_id).await? else { return Ok(None) };
        let seq = get_n(&key, m::SK, "inbox entry")?;
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.messages)
            .key(m::PK, s(user.as_str()))
            .key(m::SK, n(seq))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item().filter(|i| !self.expired_item(i)).map(items::entry_from).transpose()
    }
}
