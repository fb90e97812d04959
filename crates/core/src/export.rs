//! What an account export's file holds, and how its lines are written (pure; the run
//! that reads the store and writes the file is `chat_send::export`).
//!
//! The file is NDJSON: one JSON object a line, each with a `type` (docs/protocol.md,
//! "Export"):
//!
//! 1. `export`: the header (format version, user, job, when).
//! 2. `conversation`: each conversation summary, most recent first (as `conversations`).
//! 3. `mute`: each conversation muted now, and until when.
//! 4. `group`: each group the user is in, with its members.
//! 5. `block`: each user it blocks.
//! 6. `device`: each push device's platform (never its token or endpoint).
//! 7. `message` / `update`: every inbox entry in seq order, exactly as `sync` shows it
//!    (messages in their latest state: edits, deletes and reactions applied).
//! 8. `attachment`: each attachment of a message the user sent, with a download link.
//! 9. `end`: the count of each kind of line, and whether the inbox was cut short.
//!
//! The inbox is bounded: past [`MAX_EXPORT_BYTES`] no more entries are written and the
//! `end` line says `truncated` (the rest is small and bounded by its own limits).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::group::Group;
use crate::ids::{Conversation, MsgId, UserId};
use crate::media::Attachment;
use crate::message::{ConversationSummary, InboxEntry};
use crate::protocol::{EntryView, Platform};
use crate::store::ExportJob;

/// The file format's version, in the header.
pub const FORMAT_VERSION: u32 = 1;

/// The most bytes the file grows to with inbox entries (64 MiB: some 200,000 messages of
/// a few hundred bytes). The file is built in memory and written with one request, so
/// this also bounds the memory a run takes.
pub const MAX_EXPORT_BYTES: usize = 64 * 1024 * 1024;

/// The content type of the file.
pub const CONTENT_TYPE: &str = "application/x-ndjson";

/// A download link of one of the user's attachments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentLink {
    /// The message it is attached to.
    pub msg_id: MsgId,
    /// Its conversation.
    pub conversation: Conversation,
    /// The attachment as it rides on the message.
    #[serde(flatten)]
    pub attachment: Attachment,
    /// A GET of its bytes.
    pub url: String,
    /// When the link stops working (ms).
    pub expires_at: u64,
}

/// The attachments of `entry` that `user` sent and still has: those of a live message of
/// its own (an update entry, a deleted message or someone else's message has none).
pub fn own_attachments<'a>(user: &UserId, entry: &'a InboxEntry) -> &'a [Attachment] {
    if entry.from == user.as_str() && entry.kind.is_none() && !entry.deleted { &entry.attachments } else { &[] }
}

/// An export file being written: lines appended in the order the module doc lists.
#[derive(Debug)]
pub struct ExportFile {
    buf: Vec<u8>,
    counts: BTreeMap<String, u64>,
    truncated: bool,
    limit: usize,
}

/// A finished file: its bytes, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The NDJSON.
    pub bytes: Vec<u8>,
    /// Lines of each kind (header and end line not counted).
    pub counts: BTreeMap<String, u64>,
    /// Whether inbox entries were left out at the size bound.
    pub truncated: bool,
}

impl ExportFile {
    /// A file for `job`, written at `now_ms`, its inbox bounded by [`MAX_EXPORT_BYTES`].
    pub fn new(job: &ExportJob, now_ms: u64) -> Self {
        Self::with_limit(job, now_ms, MAX_EXPORT_BYTES)
    }

    /// As [`ExportFile::new`], with another bound (tests).
    pub fn with_limit(job: &ExportJob, now_ms: u64, limit: usize) -> Self {
        let mut file = Self { buf: Vec::new(), counts: BTreeMap::new(), truncated: false, limit };
        let header = json!({
            "type": "export",
            "version": FORMAT_VERSION,
            "user": job.user,
            "jobId": job.job_id,
            "requestedAt": job.requested_at,
            "writtenAt": now_ms,
        });
        file.write(&header);
        file
    }

    fn write(&mut self, line: &Value) {
        // A `Value` always serializes; an empty line would be the only failure.
        if serde_json::to_writer(&mut self.buf, line).is_ok() {
            self.buf.push(b'\n');
        }
    }

    /// Appends one line of `kind`: `fields` (an object) with `type` set.
    fn line(&mut self, kind: &str, fields: impl Serialize) {
        let mut v = serde_json::to_value(fields).unwrap_or(Value::Null);
        match v.as_object_mut() {
            Some(o) => {
                o.insert("type".to_owned(), json!(kind));
            }
            None => v = json!({"type": kind, "value": v}),
        }
        self.write(&v);
        *self.counts.entry(kind.to_owned()).or_default() += 1;
    }

    /// A conversation summary, and its mute when it is muted at `now_ms`.
    pub fn conversation(&mut self, s: &ConversationSummary, now_ms: u64) {
        self.line("conversation", s);
        if s.muted(now_ms) {
            self.line("mute", json!({"conversation": s.conversation, "until": s.muted_until}));
        }
    }

    /// A group with its members.
    pub fn group(&mut self, g: &Group) {
        self.line("group", json!({"groupId": g.id, "name": g.name, "creator": g.creator, "members": g.members}));
    }

    /// A user the exporter blocks.
    pub fn block(&mut self, user: &UserId) {
        self.line("block", json!({ "user": user }));
    }

    /// A push device: its platform only.
    pub fn device(&mut self, platform: Platform) {
        self.line("device", json!({ "platform": platform }));
    }

    /// An inbox entry, as `sync` shows it. Returns `false` (and writes nothing) once the
    /// file has reached its bound: the run stops reading the inbox.
    pub fn entry(&mut self, e: &InboxEntry) -> bool {
        if self.buf.len() >= self.limit {
            self.truncated = true;
            return false;
        }
        // `EntryView` is tagged with `type` already: `message` or `update`.
        let view = serde_json::to_value(EntryView::from(e.clone())).unwrap_or(Value::Null);
        let kind = if e.kind.is_none() { "message" } else { "update" };
        self.write(&view);
        *self.counts.entry(kind.to_owned()).or_default() += 1;
        true
    }

    /// A link to one of the user's attachments.
    pub fn attachment(&mut self, link: &AttachmentLink) {
        self.line("attachment", link);
    }

    /// Writes the `end` line; the file is complete.
    pub fn finish(mut self) -> Written {
        let end = json!({"type": "end", "counts": self.counts, "truncated": self.truncated});
        self.write(&end);
        Written { bytes: self.buf, counts: self.counts, truncated: self.truncated }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{NewMessage, Origin, UpdateKind};

    fn user(s: &str) -> UserId {
        UserId::parse(s).expect("valid")
    }

    fn entry(seq: u64, from: &str, kind: Option<UpdateKind>) -> InboxEntry {
        let m = NewMessage {
            reply_to: None,
            mentions: Vec::new(),
            removed: false,
            origin: Origin::User,
            msg_id: MsgId::generate(seq),
            conversation: Conversation::direct(&user("alice"), &user("bob")),
            from: user(from),
            client_msg_id: crate::ids::ClientMsgId::parse(&format!("c{seq}")).expect("valid"),
            body: format!("body {seq}"),
            ts: seq,
            participants: vec![user("alice"), user("bob")],
            limit: None,
            amends: kind,
            name: None,
            attachments: Vec::new(),
        };
        m.entry_at(seq)
    }

    fn lines(bytes: &[u8]) -> Vec<Value> {
        let text = std::str::from_utf8(bytes).expect("utf-8");
        assert!(text.ends_with('\n'), "every line ends with a newline");
        text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
    }

    fn job() -> ExportJob {
        ExportJob::new("exp_1".into(), user("alice"), 5)
    }

    #[test]
    fn lines_come_in_order_with_a_header_and_an_end_that_counts_them() {
        let mut f = ExportFile::new(&job(), 9);
        f.block(&user("dave"));
        f.device(Platform::Fcm);
        assert!(f.entry(&entry(1, "bob", None)));
        assert!(f.entry(&entry(2, "bob", Some(UpdateKind::Edit))));
        let w = f.finish();
        let l = lines(&w.bytes);
        let types: Vec<&str> = l.iter().map(|v| v["type"].as_str().unwrap_or("?")).collect();
        assert_eq!(types, ["export", "block", "device", "message", "update", "end"]);
        assert_eq!(l[0]["version"], FORMAT_VERSION);
        assert_eq!(
            (l[0]["user"].as_str(), l[0]["jobId"].as_str(), l[0]["writtenAt"].as_u64()),
            (Some("alice"), Some("exp_1"), Some(9))
        );
        assert_eq!(l[2], json!({"type": "device", "platform": "fcm"}), "a platform, nothing else");
        assert_eq!(
            (l[3]["seq"].as_u64(), l[4]["kind"].as_str(), l[4]["body"].as_str()),
            (Some(1), Some("edit"), Some("body 2"))
        );
        assert_eq!(l[5]["counts"], json!({"block": 1, "device": 1, "message": 1, "update": 1}));
        assert_eq!((l[5]["truncated"].as_bool(), w.truncated), (Some(false), false));
        assert_eq!(w.counts["message"], 1);
    }

    #[test]
    fn the_inbox_stops_at_the_bound_and_the_end_says_so() {
        let mut f = ExportFile::with_limit(&job(), 9, 300);
        let written = (1..=100).take_while(|s| f.entry(&entry(*s, "bob", None))).count();
        assert!((1..100).contains(&written), "{written}");
        let w = f.finish();
        assert!(w.truncated);
        let l = lines(&w.bytes);
        assert_eq!(l.last().map(|e| e["truncated"].clone()), Some(json!(true)));
        let seqs: Vec<u64> = l.iter().filter_map(|v| v["seq"].as_u64()).collect();
        assert_eq!(seqs, (1..=written as u64).collect::<Vec<_>>(), "a prefix of the inbox, in seq order");
    }

    #[test]
    fn a_mute_line_follows_a_muted_conversation_only_while_it_lasts() {
        let e = entry(1, "bob", None);
        let mut s = ConversationSummary::after(None, &user("alice"), &e, None).expect("summary");
        let mut f = ExportFile::new(&job(), 9);
        f.conversation(&s, 1_000);
        s.muted_until = Some(-1);
        f.conversation(&s, 1_000);
        s.muted_until = Some(500);
        f.conversation(&s, 1_000);
        let l = lines(&f.finish().bytes);
        let types: Vec<&str> = l.iter().map(|v| v["type"].as_str().unwrap_or("?")).collect();
        assert_eq!(types, ["export", "conversation", "conversation", "mute", "conversation", "end"]);
        assert_eq!(l[3], json!({"type": "mute", "conversation": "dm:alice:bob", "until": -1}));
    }

    #[test]
    fn only_live_messages_of_ones_own_have_attachments_to_list() {
        let a = Attachment {
            attachment_id: "01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
            name: "a.png".into(),
            content_type: "image/png".into(),
            size: 3,
            thumbnail: false,
            width: None,
            height: None,
        };
        let mut mine = entry(1, "alice", None);
        mine.attachments = vec![a.clone()];
        assert_eq!(own_attachments(&user("alice"), &mine), std::slice::from_ref(&a));
        assert!(own_attachments(&user("bob"), &mine).is_empty(), "someone else's");
        mine.deleted = true;
        assert!(own_attachments(&user("alice"), &mine).is_empty(), "deleted");
        let link = AttachmentLink {
            msg_id: mine.msg_id.clone(),
            conversation: mine.conversation.clone(),
            attachment: a,
            url: "http://x/u/1".into(),
            expires_at: 7,
        };
        let mut f = ExportFile::new(&job(), 9);
        f.attachment(&link);
        let l = lines(&f.finish().bytes);
        assert_eq!(
            (l[1]["attachmentId"].as_str(), l[1]["url"].as_str()),
            (Some("01ARZ3NDEKTSV4RRFFQ69G5FAV"), Some("http://x/u/1"))
        );
    }
}
