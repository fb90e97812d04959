//! Stream records to the changes events are built from (`chat_core::events`): the events
//! function's DynamoDB side. One change is one record, never one per inbox copy:
//!
//! - state table, `idem#<from>#<clientMsgId>`: every stored message, edit or delete writes
//!   exactly one idempotency record (a chunked fan-out's record counts once it is complete),
//!   holding the message id, the conversation and every participant's seq; the change's
//!   own entry is then read from one holder's inbox (one `GetItem`).
//! - state table, `acct#<user>#deletion` / `acct#<user>#export`: a job turning done
//!   (`account.deleted`, `account.exported`).
//! - state table, `acct#<user>`: a ban written (`user.banned`) or deleted (`user.unbanned`;
//!   TTL's own removal of an expired ban is no event).
//! - groups table, the metadata item: inserted (created), written with `lastChange`
//!   (members changed, renamed), removed (deleted). The item keeps the member list, so
//!   its image is the group as that change left it: no read needed.
//!
//! A message's event carries its entry as it stands when the record is handled (normally
//! within a second): an edit or delete made before then already shows in it, and has its
//! own event after it.

use chat_core::events::{Change, canonical_holder};
use chat_core::group::Group;
use chat_core::ids::{GroupId, UserId};
use chat_core::schema::{groups as g, messages as m, state as st};
use chat_core::store::StoreError;

use crate::items::{self, Item, get_s, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// What a stream record says happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `INSERT`.
    Insert,
    /// `MODIFY`.
    Modify,
    /// `REMOVE` by a request.
    Remove,
    /// `REMOVE` by TTL.
    Expire,
}

/// One stream record, in the SDK's item types.
#[derive(Debug, Clone)]
pub struct Record {
    /// What happened.
    pub kind: Kind,
    /// The item's keys.
    pub keys: Item,
    /// The item after (`None` for a removal).
    pub new: Option<Item>,
    /// The item before (`None` for an insert).
    pub old: Option<Item>,
    /// The record's sequence number: unique and stable across retries.
    pub sequence: String,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("stream record: {what}"))
}

/// The change a record stands for, if any.
pub async fn change_of(store: &DynamoStore, record: &Record) -> Result<Option<Change>, StoreError> {
    if let Some(pk) = record.keys.get(st::PK).and_then(|v| v.as_s().ok()) {
        if let Some(rest) = pk.strip_prefix(st::IDEMPOTENCY_PREFIX) {
            return message(store, record, rest).await;
        }
        if let Some(user) = pk.strip_prefix(st::ACCOUNT_PREFIX).and_then(|r| r.strip_suffix("#deletion")) {
            return deletion(record, user);
        }
        if pk.strip_prefix(st::ACCOUNT_PREFIX).and_then(|r| r.strip_suffix("#export")).is_some() {
            return export(record);
        }
        if let Some(user) = pk.strip_prefix(st::ACCOUNT_PREFIX) {
            return account(record, user);
        }
        return Ok(None);
    }
    if record.keys.contains_key(chat_core::schema::reports::PK) {
        return report(record);
    }
    if record.keys.get(g::SK).and_then(|v| v.as_s().ok()).map(String::as_str) == Some(g::META) {
        return group(record);
    }
    Ok(None)
}

/// The reports table: a report item inserted is a report; a case item whose `queue` went
/// from `open` to `resolved` is a resolution.
fn report(record: &Record) -> Result<Option<Change>, StoreError> {
    use chat_core::schema::reports as r;
    let sk = record.keys.get(r::SK).and_then(|v| v.as_s().ok()).map(String::as_str).unwrap_or_default();
    match (record.kind, &record.new) {
        (Kind::Insert, Some(new)) if sk.starts_with(r::REPORT_PREFIX) => {
            Ok(Some(Change::ReportCreated(crate::reports::report_from(new)?)))
        }
        (Kind::Modify, Some(new)) if sk == r::CASE => {
            let queue = |i: &Item| i.get(r::QUEUE).and_then(|v| v.as_s().ok()).cloned();
            let was_open = record.old.as_ref().and_then(queue).as_deref() == Some("open");
            if was_open && queue(new).as_deref() == Some("resolved") {
                return Ok(Some(Change::ReportResolved(crate::reports::case_from(new)?)));
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Whether an idempotency record's write completes a change: a new complete record, a
/// pending one completed, or an expired key reused for another message.
fn completes(record: &Record) -> bool {
    let Some(new) = &record.new else { return false };
    if items::is_pending(new) {
        return false;
    }
    match (&record.kind, &record.old) {
        (Kind::Insert, _) | (_, None) => true,
        (Kind::Modify, Some(old)) => items::is_pending(old) || old.get(st::MSG_ID) != new.get(st::MSG_ID),
        _ => false,
    }
}

async fn message(store: &DynamoStore, record: &Record, key: &str) -> Result<Option<Change>, StoreError> {
    if !completes(record) {
        return Ok(None);
    }
    let Some(new) = &record.new else { return Ok(None) };
    let from = key.split_once('#').map(|(from, _)| from).ok_or_else(|| corrupt("idempotency key"))?;
    let mut seqs = items::seqs_from(new)?;
    seqs.sort();
    let Some(canonical) = canonical_holder(from, &seqs).cloned() else { return Ok(None) };
    // The canonical copy, else (its holder's account deleted since) any other holder's: the
    // event leaves out what differs between copies (the reader's seq, receipts).
    let others = seqs.iter().filter(|h| **h != canonical).cloned();
    for (holder, seq) in std::iter::once(canonical.clone()).chain(others) {
        let out = store
            .client
            .get_item()
            .table_name(&store.tables.messages)
            .key(m::PK, s(holder.as_str()))
            .key(m::SK, n(seq))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        if let Some(item) = out.item() {
            let mut entry = items::entry_from(item)?;
            entry.seq = canonical.1;
            return Ok(Some(Change::Message { entry, seqs }));
        }
    }
    // Gone from every inbox: nothing left to tell.
    Ok(None)
}

fn account(record: &Record, user: &str) -> Result<Option<Change>, StoreError> {
    let user = UserId::parse(user).map_err(|_| corrupt("account key"))?;
    match record.kind {
        Kind::Insert | Kind::Modify => {
            let Some(new) = &record.new else { return Ok(None) };
            // A tombstone is no ban: its `account.deleted` comes from the deletion job.
            Ok(crate::accounts::ban_from(new)?.filter(|b| !b.deleted).map(|ban| Change::Banned { user, ban }))
        }
        Kind::Remove => {
            let tombstone = match &record.old {
                Some(old) => crate::accounts::ban_from(old)?.is_some_and(|b| b.deleted),
                None => false,
            };
            Ok((!tombstone).then_some(Change::Unbanned { user }))
        }
        Kind::Expire => Ok(None),
    }
}

/// The new image of an account job's write that turned it done (once per job).
fn finished(record: &Record) -> Option<&Item> {
    use crate::account_jobs::DONE;
    let done = |i: Option<&Item>| i.and_then(|i| i.get(DONE)).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false);
    match (record.kind, &record.new) {
        (Kind::Insert | Kind::Modify, Some(new)) if done(Some(new)) && !done(record.old.as_ref()) => Some(new),
        _ => None,
    }
}

/// A deletion job's write: `account.deleted` when it turns done.
fn deletion(record: &Record, _user: &str) -> Result<Option<Change>, StoreError> {
    let Some(new) = finished(record) else { return Ok(None) };
    Ok(Some(Change::AccountDeleted(crate::account_jobs::job_from(new, "deletion job")?)))
}

/// An export job's write: `account.exported` when it turns done (its file is written).
fn export(record: &Record) -> Result<Option<Change>, StoreError> {
    let Some(new) = finished(record) else { return Ok(None) };
    Ok(Some(Change::AccountExported(crate::export::job_from(new)?)))
}

fn users(item: &Item, attr: &str) -> Result<Vec<UserId>, StoreError> {
    match item.get(attr).and_then(|v| v.as_l().ok()) {
        None => Ok(Vec::new()),
        Some(list) => list
            .iter()
            .map(|v| v.as_s().ok().and_then(|u| UserId::parse(u).ok()).ok_or_else(|| corrupt(attr)))
            .collect(),
    }
}

fn meta_group(item: &Item, members: Vec<UserId>) -> Result<Group, StoreError> {
    Ok(Group {
        id: GroupId::parse(get_s(item, g::PK, "group")?).map_err(|_| corrupt("group id"))?,
        name: get_s(item, g::NAME, "group")?.to_owned(),
        creator: UserId::parse(get_s(item, g::CREATOR, "group")?).map_err(|_| corrupt("creator"))?,
        members,
    })
}

fn group(record: &Record) -> Result<Option<Change>, StoreError> {
    match (record.kind, &record.new, &record.old) {
        (Kind::Insert, Some(new), _) => Ok(Some(Change::GroupCreated(meta_group(new, users(new, g::MEMBERS)?)?))),
        (Kind::Modify, Some(new), Some(old)) if new.get(g::VERSION) != old.get(g::VERSION) => {
            // The image is the group as this change left it (members kept on the item).
            let group = meta_group(new, users(new, g::MEMBERS)?)?;
            match new.get(g::LAST_CHANGE).and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some(g::CHANGE_MEMBERS) => Ok(Some(Change::MembersChanged {
                    group,
                    added: users(new, g::ADDED)?,
                    removed: users(new, g::REMOVED)?,
                })),
                Some(g::CHANGE_RENAME) => Ok(Some(Change::GroupRenamed(group))),
                _ => Ok(None),
            }
        }
        (Kind::Remove | Kind::Expire, _, Some(old)) => Ok(Some(Change::GroupDeleted(meta_group(old, Vec::new())?))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idem(msg_id: &str, pending: bool) -> Item {
        let mut item = Item::from([(st::PK.to_owned(), s("idem#alice#c1")), (st::MSG_ID.to_owned(), s(msg_id))]);
        if pending {
            item.insert(st::STATUS.to_owned(), s(items::PENDING));
        }
        item
    }

    fn record(kind: Kind, new: Option<Item>, old: Option<Item>) -> Record {
        Record { kind, keys: Item::new(), new, old, sequence: "1".into() }
    }

    #[test]
    fn an_idempotency_record_is_a_change_once_when_it_completes() {
        assert!(completes(&record(Kind::Insert, Some(idem("A", false)), None)));
        assert!(!completes(&record(Kind::Insert, Some(idem("A", true)), None)), "a pending fan-out is not yet");
        assert!(completes(&record(Kind::Modify, Some(idem("A", false)), Some(idem("A", true)))), "completed now");
        assert!(
            completes(&record(Kind::Modify, Some(idem("B", false)), Some(idem("A", false)))),
            "an expired key reused"
        );
        assert!(!completes(&record(Kind::Modify, Some(idem("A", false)), Some(idem("A", false)))));
        assert!(!completes(&record(Kind::Remove, None, Some(idem("A", false)))), "TTL removal");
    }

    #[test]
    fn a_ban_written_or_deleted_is_a_change_and_its_expiry_is_not() {
        let ban = crate::accounts::ban_item(
            &UserId::parse("bob").expect("valid"),
            &chat_core::store::Ban { at: 1, until: None, reason: None, deleted: false },
        );
        let banned = account(&record(Kind::Insert, Some(ban.clone()), None), "bob").expect("ok");
        assert!(matches!(banned, Some(Change::Banned { .. })));
        let lifted = account(&record(Kind::Remove, None, Some(ban.clone())), "bob").expect("ok");
        assert!(matches!(lifted, Some(Change::Unbanned { .. })));
        assert_eq!(account(&record(Kind::Expire, None, Some(ban)), "bob").expect("ok"), None);
    }

    #[test]
    fn an_export_job_is_a_change_once_when_its_file_is_written() {
        let mut job = chat_core::store::ExportJob::new("exp_1".into(), UserId::parse("bob").expect("valid"), 1);
        let running = crate::export::job_item(&job).expect("item");
        job.finish("exports/exp_1.ndjson".into(), 5, Default::default(), false, 2);
        let done = crate::export::job_item(&job).expect("item");
        assert_eq!(export(&record(Kind::Insert, Some(running.clone()), None)).expect("ok"), None);
        let written = export(&record(Kind::Modify, Some(done.clone()), Some(running))).expect("ok");
        assert_eq!(written, Some(Change::AccountExported(job)));
        assert_eq!(export(&record(Kind::Modify, Some(done.clone()), Some(done))).expect("ok"), None, "once");
    }
}
