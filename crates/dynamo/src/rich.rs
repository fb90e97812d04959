//! Replies, mentions and reactions on DynamoDB.
//!
//! - A reply's quote (`replyTo`, a map) and the mentions (`mentions`, a list) are written
//!   with the message's entries: no item and no request of their own, and nothing at all
//!   on a message without them.
//! - A reaction is an update entry at the next seq of every holder's inbox (as an edit is)
//!   plus one `UpdateItem` of the message in each holder's inbox: `ADD r:<emoji> ±1`, and
//!   on the reactor's own copy the emoji added to (or deleted from) the string set
//!   `myReactions`, conditioned on its being absent (present), so a repeat or a race can
//!   never count a user twice. No summary is written: a reaction neither moves the
//!   conversation list nor changes unread counts. Counts are top-level attributes so that
//!   `ADD` works on a message with no reactions yet, without a map to create first.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chat_core::ids::{MsgId, UserId};
use chat_core::message::InboxEntry;
use chat_core::rich::{MAX_REACTIONS_PER_USER, Reactions, ReplyTo, Tally};
use chat_core::schema::messages as m;
use chat_core::store::StoreError;

use crate::items::{Item, n, s};
use crate::txn::build;

/// Adds a new entry's quote, mentions and (on a reaction's update entry) `removed`.
pub(crate) fn put_rich(item: &mut Item, entry: &InboxEntry) {
    if let Some(q) = &entry.reply_to {
        let mut quote = Item::from([(String::from("msgId"), s(q.msg_id.as_str())), (String::from("from"), s(&q.from))]);
        if !q.preview.is_empty() {
            quote.insert("preview".into(), s(&q.preview));
        }
        item.insert(m::REPLY_TO.to_owned(), AttributeValue::M(quote));
    }
    if !entry.mentions.is_empty() {
        let users = entry.mentions.iter().map(|u| s(u.as_str())).collect();
        item.insert(m::MENTIONS.to_owned(), AttributeValue::L(users));
    }
    if entry.removed {
        item.insert(m::REMOVED.to_owned(), AttributeValue::Bool(true));
    }
}

/// A stored quote.
pub(crate) fn reply_to_from(item: &Item) -> Option<ReplyTo> {
    let q = item.get(m::REPLY_TO)?.as_m().ok()?;
    let text = |k: &str| q.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(ReplyTo {
        msg_id: MsgId::from_stored(text("msgId")?),
        from: text("from")?,
        preview: text("preview").unwrap_or_default(),
        deleted: false,
    })
}

/// Stored mentions.
pub(crate) fn mentions_from(item: &Item) -> Vec<UserId> {
    let Some(Ok(list)) = item.get(m::MENTIONS).map(AttributeValue::as_l) else { return Vec::new() };
    list.iter().filter_map(|v| v.as_s().ok()).filter_map(|u| UserId::parse(u).ok()).collect()
}

/// A message's reactions as its holder sees them (none once it is deleted).
pub(crate) fn reactions_from(item: &Item) -> Reactions {
    if item.get(m::DELETED).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false) {
        return Reactions::new();
    }
    let mine: Vec<&String> = match item.get(m::MY_REACTIONS).map(AttributeValue::as_ss) {
        Some(Ok(set)) => set.iter().collect(),
        _ => Vec::new(),
    };
    item.iter()
        .filter_map(|(name, v)| {
            let emoji = name.strip_prefix(m::REACTION_PREFIX)?;
            let count: u64 = v.as_n().ok()?.parse().ok()?;
            let tally = Tally { count, mine: mine.iter().any(|e| e.as_str() == emoji) };
            (count > 0).then(|| (emoji.to_owned(), tally))
        })
        .collect()
}

/// The change a reaction makes to the message in `user`'s inbox (at `seq`; the change's own
/// entry is at `change_seq`, which the message keeps as `reactionsSeq`): its count moves by
/// one; on the reactor's own copy (`by_holder`) the emoji joins or leaves
/// `myReactions`, conditioned so a user counts once per emoji and has at most 20.
pub(crate) fn reaction_write(
    table: &str,
    user: &UserId,
    (seq, change_seq): (u64, u64),
    emoji: &str,
    removed: bool,
    by_holder: bool,
) -> Result<TransactWriteItem, StoreError> {
    let mut condition = String::from("attribute_exists(#body) AND attribute_not_exists(#deleted)");
    let mut expression = String::from("ADD #count :delta");
    let mut update = Update::builder()
        .table_name(table)
        .key(m::PK, s(user.as_str()))
        .key(m::SK, n(seq))
        .expression_attribute_names("#body", m::BODY)
        .expression_attribute_names("#deleted", m::DELETED)
        .expression_attribute_names("#count", format!("{}{emoji}", m::REACTION_PREFIX))
        .expression_attribute_values(":delta", AttributeValue::N(if removed { "-1" } else { "1" }.into()))
        .expression_attribute_names("#rev", m::REACTIONS_SEQ)
        .expression_attribute_values(":rev", n(change_seq));
    if by_holder {
        update = update
            .expression_attribute_names("#mine", m::MY_REACTIONS)
            .expression_attribute_values(":emoji", s(emoji))
            .expression_attribute_values(":set", AttributeValue::Ss(vec![emoji.to_owned()]));
        if removed {
            condition.push_str(" AND contains(#mine, :emoji)");
            expression.push_str(" DELETE #mine :set");
        } else {
            condition
                .push_str(" AND NOT contains(#mine, :emoji) AND (attribute_not_exists(#mine) OR size(#mine) < :max)");
            expression.push_str(", #mine :set");
            update = update.expression_attribute_values(":max", n(MAX_REACTIONS_PER_USER as u64));
        }
    }
    expression.push_str(" SET #rev = :rev");
    let update = update.condition_expression(condition).update_expression(expression);
    Ok(TransactWriteItem::builder().update(build(update.build())?).build())
}
