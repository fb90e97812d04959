//! Conversation summaries for inboxes written before summaries existed (a stack deployed
//! before them and upgraded): one pass over the messages table writes, for every (user,
//! conversation) that has no summary, the summary its entries give. `chat-admin
//! backfill-summaries` runs it (docs/deploy.md, "Upgrading").
//!
//! - Old conversations count as read (`readUpTo` = the last seq, `unread` 0): there was no
//!   read state before, and lighting every badge at once would be worse than none.
//! - A summary that exists is never touched (the put is conditional on its absence), so the
//!   pass is safe to repeat and to run while the stack takes traffic: a conversation that
//!   moved after the upgrade already has its exact summary.
//! - `activity` is the last seq, so the list orders old conversations by their last entry.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chat_core::ids::{Conversation, UserId};
use chat_core::message::{InboxEntry, LastMessage};
use chat_core::schema::{conversations as cv, messages as m};
use chat_core::store::{GroupStore, StoreError};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::items::{self, Item, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// What a backfill pass found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// Inbox entries read.
    pub entries: u64,
    /// (user, conversation) pairs with at least one message.
    pub conversations: u64,
    /// Summaries written.
    pub written: u64,
    /// Pairs that had a summary already (left alone).
    pub existing: u64,
}

/// What one (user, conversation) pair's entries say: only the summary line of the latest
/// message is kept (not its body), so a large table's pass stays small in memory.
#[derive(Debug, Clone)]
struct Pair {
    /// The latest entry's seq (a message or an update).
    last_seq: u64,
    /// The latest message's seq and line (as it is now: edits and deletes change it in
    /// place).
    last: Option<(u64, LastMessage)>,
}

impl Pair {
    fn add(&mut self, entry: &InboxEntry) {
        self.last_seq = self.last_seq.max(entry.seq);
        if entry.is_message() && self.last.as_ref().is_none_or(|(seq, _)| *seq < entry.seq) {
            self.last = Some((entry.seq, LastMessage::of(entry)));
        }
    }

    fn merge(&mut self, other: Pair) {
        self.last_seq = self.last_seq.max(other.last_seq);
        if let Some((seq, line)) = other.last
            && self.last.as_ref().is_none_or(|(mine, _)| *mine < seq)
        {
            self.last = Some((seq, line));
        }
    }
}

type Pairs = HashMap<(UserId, Conversation), Pair>;

/// Most segments of the parallel scan.
pub const MAX_SEGMENTS: u32 = 64;
/// Conditional puts in flight at once.
const PUT_CONCURRENCY: usize = 16;

impl DynamoStore {
    /// Writes the missing conversation summaries (see the module docs), scanning the
    /// messages table in `segments` parallel segments (1 to [`MAX_SEGMENTS`]).
    pub async fn backfill_summaries(&self, segments: u32) -> Result<BackfillReport, StoreError> {
        let segments = segments.clamp(1, MAX_SEGMENTS);
        let scanned = futures_util::future::try_join_all((0..segments).map(|i| self.scan_segment(i, segments))).await?;
        let mut report = BackfillReport::default();
        let mut pairs = Pairs::new();
        for (entries, part) in scanned {
            report.entries += entries;
            for (key, pair) in part {
                match pairs.get_mut(&key) {
                    Some(p) => p.merge(pair),
                    None => {
                        pairs.insert(key, pair);
                    }
                }
            }
        }
        // Only an update and no message (the message expired): nothing to show.
        let pairs: Vec<_> = pairs
            .into_iter()
            .filter_map(|((user, conversation), pair)| Some((user, conversation, pair.last?.1, pair.last_seq)))
            .collect();
        report.conversations = pairs.len() as u64;
        let names = self.group_names(pairs.iter().map(|(_, conversation, _, _)| conversation)).await?;
        let written: Vec<bool> = stream::iter(pairs)
            .map(|(user, conversation, line, last_seq)| {
                let name = names.get(&conversation.to_string()).cloned();
                async move { self.put_missing_summary(&user, &conversation, line, last_seq, name.as_deref()).await }
            })
            .buffer_unordered(PUT_CONCURRENCY)
            .try_collect()
            .await?;
        report.written = written.iter().filter(|w| **w).count() as u64;
        report.existing = report.conversations - report.written;
        Ok(report)
    }

    /// One segment of the scan: its entry count and its pairs.
    async fn scan_segment(&self, segment: u32, total: u32) -> Result<(u64, Pairs), StoreError> {
        let mut pairs = Pairs::new();
        let mut entries = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.tables.messages)
                .segment(i32::try_from(segment).unwrap_or(0))
                .total_segments(i32::try_from(total).unwrap_or(1))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let user = UserId::parse(items::get_s(item, m::PK, "inbox entry")?)
                    .map_err(|e| StoreError::Corrupt(format!("inbox entry: {e}")))?;
                let entry = items::entry_from(item)?;
                entries += 1;
                pairs
                    .entry((user, entry.conversation.clone()))
                    .or_insert_with(|| Pair { last_seq: 0, last: None })
                    .add(&entry);
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok((entries, pairs)),
            }
        }
    }

    /// The names of the groups among `conversations`, by conversation (groups deleted
    /// since have none).
    async fn group_names<'a>(
        &self,
        conversations: impl Iterator<Item = &'a Conversation>,
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut ids: Vec<_> = conversations
            .filter_map(|c| match c {
                Conversation::Group(g) => Some(g.clone()),
                _ => None,
            })
            .collect();
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        ids.dedup();
        let found: Vec<_> = stream::iter(ids)
            .map(|id| async move { Ok::<_, StoreError>(self.group(&id).await?.map(|g| (id, g.name))) })
            .buffer_unordered(PUT_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().map(|(id, name)| (Conversation::Group(id).to_string(), name)).collect())
    }

    /// Puts `user`'s summary of `conversation` (last message `line`) unless one exists;
    /// whether it did.
    async fn put_missing_summary(
        &self,
        user: &UserId,
        conversation: &Conversation,
        line: LastMessage,
        last_seq: u64,
        name: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut item = Item::from([
            (cv::PK.to_owned(), s(user.as_str())),
            (cv::SK.to_owned(), s(conversation.to_string())),
            (cv::ACTIVITY.to_owned(), n(last_seq)),
            (cv::LAST_SEQ.to_owned(), n(last_seq)),
            (cv::LAST_MSG_ID.to_owned(), s(line.msg_id.as_str())),
            (cv::LAST_FROM.to_owned(), s(line.from)),
            (cv::LAST_PREVIEW.to_owned(), s(line.preview)),
            (cv::LAST_TS.to_owned(), n(line.ts)),
            (cv::UNREAD.to_owned(), n(0)),
            (cv::READ_UP_TO.to_owned(), n(last_seq)),
        ]);
        if let Some(at) = line.edited_at {
            item.insert(cv::LAST_EDITED_AT.to_owned(), n(at));
        }
        if line.deleted {
            item.insert(cv::LAST_DELETED.to_owned(), AttributeValue::Bool(true));
        }
        if let Some(name) = name {
            item.insert(cv::NAME.to_owned(), s(name));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.conversations)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", cv::PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::ids::MsgId;
    use chat_core::message::UpdateKind;

    fn entry(seq: u64, body: &str, kind: Option<UpdateKind>) -> InboxEntry {
        InboxEntry {
            reactions_seq: None,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Default::default(),
            removed: false,
            by: None,
            seq,
            msg_id: MsgId::from_stored(format!("m{seq}")),
            conversation: Conversation::parse("dm:a:b").expect("valid"),
            from: "a".into(),
            body: body.into(),
            ts: seq * 10,
            client_msg_id: None,
            receipts: Default::default(),
            kind,
            edited_at: None,
            deleted: false,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn the_last_message_is_the_latest_message_and_the_last_seq_counts_updates_too() {
        let mut pair = Pair { last_seq: 0, last: None };
        for e in [entry(3, "third", None), entry(1, "first", None), entry(5, "", Some(UpdateKind::Edit))] {
            pair.add(&e);
        }
        assert_eq!(pair.last_seq, 5);
        assert_eq!(pair.last.as_ref().map(|(seq, line)| (*seq, line.preview.as_str())), Some((3, "third")));
    }

    #[test]
    fn merging_two_segments_keeps_the_later_of_each() {
        let mut a = Pair { last_seq: 0, last: None };
        a.add(&entry(2, "two", None));
        let mut b = Pair { last_seq: 0, last: None };
        b.add(&entry(4, "four", None));
        b.add(&entry(6, "", Some(UpdateKind::Delete)));
        let mut c = b.clone();
        c.merge(a.clone());
        a.merge(b);
        for merged in [a, c] {
            assert_eq!(merged.last_seq, 6);
            assert_eq!(merged.last.map(|(seq, line)| (seq, line.preview)), Some((4, "four".to_owned())));
        }
    }

    #[test]
    fn a_pair_with_updates_only_has_no_last_message() {
        let mut pair = Pair { last_seq: 0, last: None };
        pair.add(&entry(7, "", Some(UpdateKind::Edit)));
        assert_eq!(pair.last_seq, 7);
        assert!(pair.last.is_none());
    }
}
