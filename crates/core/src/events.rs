//! Events for the app's backend (docs/server-api.md, "Events"): a pure function from a
//! stored change to the event published for it. In AWS the `events` function turns the
//! DynamoDB streams into [`Change`]s (through `chat-dynamo`) and publishes to EventBridge;
//! the devserver feeds the same function from what its store wrote. Either way one change
//! is one event, never one per inbox copy.

use serde_json::{Value, json};

use crate::group::Group;
use crate::ids::UserId;
use crate::message::{InboxEntry, UpdateKind};
use crate::protocol::EntryView;
use crate::store::Ban;

/// A stored change that the app's backend hears of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A message, edit or delete was stored for every participant. `entry` is one holder's
    /// entry of it ([`canonical_holder`]'s), `seqs` every participant's seq.
    Message {
        /// The entry (a message, or an update entry).
        entry: InboxEntry,
        /// Each participant and the seq the change took in its inbox.
        seqs: Vec<(UserId, u64)>,
    },
    /// A group was created.
    GroupCreated(Group),
    /// Members joined or left (`group` as it is after the change).
    MembersChanged {
        /// The group after the change.
        group: Group,
        /// Who joined.
        added: Vec<UserId>,
        /// Who left or was removed.
        removed: Vec<UserId>,
    },
    /// A group got a new name.
    GroupRenamed(Group),
    /// A group was deleted (as it was, without members).
    GroupDeleted(Group),
    /// A user was banned.
    Banned {
        /// Who.
        user: UserId,
        /// The ban.
        ban: Ban,
    },
    /// A ban was lifted.
    Unbanned {
        /// Who.
        user: UserId,
    },
    /// A user reported a message (its first report of it), with the copy of the message.
    ReportCreated(crate::store::reports::Report),
    /// A case of the moderation queue was closed.
    ReportResolved(crate::store::reports::Case),
    /// An account deletion finished: what it removed.
    AccountDeleted(crate::store::DeletionJob),
    /// An account export's file was written.
    AccountExported(crate::store::ExportJob),
}

/// One event: EventBridge's `detail-type` and `detail`, and the id a consumer
/// de-duplicates by (also in `detail.id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique per change, the same however often it is published.
    pub id: String,
    /// `message.created`, `group.members_changed`, ...
    pub detail_type: &'static str,
    /// The detail, `id` included.
    pub detail: Value,
}

/// Every event name, for documentation and rules.
pub const EVENT_TYPES: &[&str] = &[
    "message.created",
    "message.edited",
    "message.deleted",
    "message.reacted",
    "group.created",
    "group.members_changed",
    "group.renamed",
    "group.deleted",
    "user.banned",
    "user.unbanned",
    "report.created",
    "report.resolved",
    "account.deleted",
    "account.exported",
];

/// Whose copy of a message stands for it: the sender's, or (a message from `system`, who
/// has no inbox) the participant whose id sorts first. The events function reads that
/// copy; the devserver builds the same one.
pub fn canonical_holder<'a>(from: &str, seqs: &'a [(UserId, u64)]) -> Option<&'a (UserId, u64)> {
    seqs.iter().find(|(u, _)| u.as_str() == from).or_else(|| seqs.iter().min_by(|a, b| a.0.cmp(&b.0)))
}

/// The event of `change`. `unique` tells apart changes that carry no id of their own
/// (group changes, lifted bans): the stream record's sequence number in AWS, the event's
/// number on the devserver.
pub fn event_of(change: &Change, unique: &str) -> Event {
    let (id, detail_type, mut detail) = match change {
        Change::Message { entry, seqs } => message_event(entry, seqs),
        Change::GroupCreated(g) => {
            (format!("group.created:{}", g.id.as_str()), "group.created", json!({"group": group_json(g)}))
        }
        Change::MembersChanged { group, added, removed } => (
            format!("group.members_changed:{}:{unique}", group.id.as_str()),
            "group.members_changed",
            json!({"group": group_json(group), "added": added, "removed": removed}),
        ),
        Change::GroupRenamed(g) => {
            (format!("group.renamed:{}:{unique}", g.id.as_str()), "group.renamed", json!({"group": group_json(g)}))
        }
        Change::GroupDeleted(g) => (
            format!("group.deleted:{}", g.id.as_str()),
            "group.deleted",
            json!({"group": {"groupId": g.id, "name": g.name, "creator": g.creator}}),
        ),
        Change::Banned { user, ban } => {
            let mut d = json!({"user": user, "at": ban.at});
            if let Some(until) = ban.until {
                d["until"] = json!(until);
            }
            if let Some(reason) = &ban.reason {
                d["reason"] = json!(reason);
            }
            (format!("user.banned:{}:{}", user.as_str(), ban.at), "user.banned", d)
        }
        Change::Unbanned { user } => {
            (format!("user.unbanned:{}:{unique}", user.as_str()), "user.unbanned", json!({"user": user}))
        }
        Change::ReportCreated(report) => (
            format!("report.created:{}:{}", report.evidence.msg_id.as_str(), report.reporter.as_str()),
            "report.created",
            json!({"report": report, "caseId": report.evidence.msg_id}),
        ),
        Change::ReportResolved(case) => {
            (format!("report.resolved:{}:{unique}", case.id), "report.resolved", json!({"case": case}))
        }
        Change::AccountDeleted(job) => (
            format!("account.deleted:{}", job.job_id),
            "account.deleted",
            json!({
                "user": job.user,
                "jobId": job.job_id,
                "erase": job.erase,
                "requestedAt": job.requested_at,
                "finishedAt": job.finished_at,
                "removed": job.removed,
            }),
        ),
        // The file's key and when its link expires, never the link: a presigned URL is a
        // bearer credential to the user's whole history, and events fan out to every rule
        // of the bus. The app's backend gets a fresh link from `GET /v1/users/{id}/export`.
        Change::AccountExported(job) => (
            format!("account.exported:{}", job.job_id),
            "account.exported",
            json!({
                "user": job.user,
                "jobId": job.job_id,
                "requestedAt": job.requested_at,
                "finishedAt": job.finished_at,
                "key": job.key,
                "expiresAt": job.expires_at,
                "bytes": job.bytes,
                "counts": job.counts,
                "truncated": job.truncated,
            }),
        ),
    };
    detail["id"] = json!(id);
    Event { id, detail_type, detail }
}

fn group_json(g: &Group) -> Value {
    json!({"groupId": g.id, "name": g.name, "creator": g.creator, "members": g.members})
}

fn message_event(entry: &InboxEntry, seqs: &[(UserId, u64)]) -> (String, &'static str, Value) {
    let mut seqs = seqs.to_vec();
    seqs.sort();
    let participants: Vec<&UserId> = seqs.iter().map(|(u, _)| u).collect();
    let seq_map: serde_json::Map<String, Value> = seqs.iter().map(|(u, s)| (u.to_string(), json!(s))).collect();
    // The protocol's JSON of the entry, without what differs per reader.
    let mut view = serde_json::to_value(EntryView::from(entry.clone())).unwrap_or(Value::Null);
    if let Some(o) = view.as_object_mut() {
        for per_reader in ["seq", "type", "receipts", "reactions"] {
            o.remove(per_reader);
        }
    }
    let cmid = entry.client_msg_id.as_deref().unwrap_or("");
    let (detail_type, key) = match entry.kind {
        None => ("message.created", "message"),
        Some(UpdateKind::Edit) => ("message.edited", "update"),
        Some(UpdateKind::Delete) => ("message.deleted", "update"),
        Some(UpdateKind::Reaction) => ("message.reacted", "update"),
    };
    // Anyone may react: the reactor's id keeps two reactors' client ids apart.
    let id = match entry.kind {
        Some(UpdateKind::Reaction) => format!("{detail_type}:{}:{}:{cmid}", entry.msg_id.as_str(), entry.from),
        _ => format!("{detail_type}:{}:{cmid}", entry.msg_id.as_str()),
    };
    let mut detail = json!({"participants": participants, "seqs": seq_map});
    detail[key] = view;
    (id, detail_type, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientMsgId, Conversation, GroupId, MsgId};
    use crate::message::{NewMessage, Origin};

    fn user(s: &str) -> UserId {
        UserId::parse(s).expect("valid")
    }

    fn message(from: &str, amends: Option<UpdateKind>, origin: Origin) -> NewMessage {
        NewMessage {
            reply_to: None,
            mentions: Vec::new(),
            removed: false,
            msg_id: MsgId::from_stored("01ARZ3NDEKTSV4RRFFQ69G5FAV".into()),
            conversation: Conversation::parse("dm:alice:bob").expect("valid"),
            from: user(from),
            client_msg_id: ClientMsgId::parse("c1").expect("valid"),
            body: "hi".into(),
            ts: 42,
            participants: vec![user("alice"), user("bob")],
            limit: None,
            amends,
            name: None,
            attachments: Vec::new(),
            origin,
        }
    }

    #[test]
    fn a_message_is_one_event_with_every_participant_and_no_per_reader_fields() {
        let seqs = vec![(user("alice"), 3), (user("bob"), 9)];
        let entry = message("alice", None, Origin::User).entry_at(3);
        let e = event_of(&Change::Message { entry, seqs }, "x");
        assert_eq!(e.detail_type, "message.created");
        assert_eq!(e.id, "message.created:01ARZ3NDEKTSV4RRFFQ69G5FAV:c1");
        assert_eq!(
            e.detail,
            json!({
                "id": e.id,
                "message": {"msgId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","conversation":"dm:alice:bob","from":"alice","body":"hi","ts":42,"clientMsgId":"c1"},
                "participants": ["alice","bob"],
                "seqs": {"alice":3,"bob":9},
            })
        );
    }

    #[test]
    fn a_moderator_delete_is_a_message_deleted_by_the_moderator() {
        let entry = message("alice", Some(UpdateKind::Delete), Origin::Moderator).entry_at(4);
        let e = event_of(&Change::Message { entry, seqs: vec![(user("alice"), 4)] }, "x");
        assert_eq!(e.detail_type, "message.deleted");
        assert_eq!(e.detail["update"]["by"], "moderator");
        assert_eq!(e.detail["update"]["kind"], "delete");
        let edit = message("alice", Some(UpdateKind::Edit), Origin::User).entry_at(5);
        let e = event_of(&Change::Message { entry: edit, seqs: vec![(user("alice"), 5)] }, "x");
        assert_eq!((e.detail_type, e.detail["update"]["by"].as_str()), ("message.edited", Some("alice")));
    }

    #[test]
    fn the_sender_holds_the_canonical_copy_and_system_the_first_participant() {
        let seqs = vec![(user("carol"), 1), (user("bob"), 2), (user("alice"), 3)];
        assert_eq!(canonical_holder("bob", &seqs).map(|(u, _)| u.as_str()), Some("bob"));
        assert_eq!(canonical_holder("system", &seqs).map(|(u, _)| u.as_str()), Some("alice"));
        assert_eq!(canonical_holder("system", &[]), None);
    }

    #[test]
    fn group_changes_and_bans_have_their_own_names_and_ids() {
        let g = Group {
            id: GroupId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").expect("valid"),
            name: "team".into(),
            creator: user("alice"),
            members: vec![user("alice"), user("bob")],
        };
        let e = event_of(&Change::MembersChanged { group: g.clone(), added: vec![user("bob")], removed: vec![] }, "7");
        assert_eq!(e.id, "group.members_changed:01ARZ3NDEKTSV4RRFFQ69G5FAV:7");
        assert_eq!(e.detail["added"], json!(["bob"]));
        assert_eq!(e.detail["group"]["members"], json!(["alice", "bob"]));
        let e = event_of(&Change::GroupDeleted(g), "8");
        assert_eq!(e.detail["group"].get("members"), None);
        let ban = Ban { at: 5, until: Some(9), reason: Some("spam".into()), deleted: false };
        let e = event_of(&Change::Banned { user: user("bob"), ban }, "9");
        assert_eq!(e.detail, json!({"id":"user.banned:bob:5","user":"bob","at":5,"until":9,"reason":"spam"}));
        assert!(EVENT_TYPES.contains(&e.detail_type));
    }

    #[test]
    fn an_export_event_names_the_file_and_its_expiry_but_never_a_link() {
        let mut job = crate::store::ExportJob::new("exp_1".into(), user("alice"), 1_000);
        job.finish(crate::store::export::export_key("exp_1"), 99, Default::default(), false, 2_000);
        let e = event_of(&Change::AccountExported(job), "1");
        assert_eq!((e.id.as_str(), e.detail_type), ("account.exported:exp_1", "account.exported"));
        assert_eq!(e.detail["key"], "exports/exp_1.ndjson");
        assert_eq!(e.detail["expiresAt"], 2_000 + crate::store::export::EXPORT_LINK_TTL_MS);
        assert!(!e.detail.to_string().contains("http"), "no URL: {}", e.detail);
        assert!(EVENT_TYPES.contains(&e.detail_type));
    }
}
