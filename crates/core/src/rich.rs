//! Rich messages: replies (a quote of the message answered), reactions (an emoji per user,
//! counted on every holder's copy of the message) and mentions (users of the conversation
//! named by a message). Pure rules; the stores keep them on inbox entries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::ids::MsgId;

/// Most users one message may mention.
pub const MAX_MENTIONS: usize = 50;
/// Longest emoji of a reaction, in bytes of UTF-8.
pub const MAX_EMOJI_BYTES: usize = 32;
/// Most distinct emoji one user may put on one message.
pub const MAX_REACTIONS_PER_USER: usize = 20;
/// Longest quote of the original kept with a reply, in characters (the conversation
/// list's preview).
pub const QUOTE_CHARS: usize = crate::message::PREVIEW_CHARS;

/// The message a reply answers, as it was when the reply was sent.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyTo {
    /// The original message.
    pub msg_id: MsgId,
    /// Its sender.
    pub from: String,
    /// At most 100 characters of it (left out once the original is deleted).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub preview: String,
    /// Set (in `history`) when the original has been deleted since.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub deleted: bool,
}

impl ReplyTo {
    /// The quote of `original` (a message entry) kept with a reply to it.
    pub fn of(original: &crate::message::InboxEntry) -> Self {
        Self {
            msg_id: original.msg_id.clone(),
            from: original.from.clone(),
            preview: crate::push::preview(&crate::media::push_text(&original.body, &original.attachments), QUOTE_CHARS),
            deleted: false,
        }
    }

    /// The quote once its original is gone: who and which, not what.
    pub fn mark_deleted(&mut self) {
        self.preview.clear();
        self.deleted = true;
    }
}

/// One emoji on a message, as the reader sees it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    /// How many users put it there.
    pub count: u64,
    /// Whether the reader is one of them.
    pub mine: bool,
}

/// A message's reactions, by emoji.
pub type Reactions = BTreeMap<String, Tally>;

/// Applies one user's reaction change to one holder's copy of a message: the count moves
/// by one, and `mine` follows when the holder is the one reacting. The caller has checked
/// that the change changes something ([`change_of`]).
pub fn apply(reactions: &mut Reactions, emoji: &str, removed: bool, by_holder: bool) {
    let tally = reactions.entry(emoji.to_owned()).or_default();
    if removed {
        tally.count = tally.count.saturating_sub(1);
        if by_holder {
            tally.mine = false;
        }
    } else {
        tally.count += 1;
        if by_holder {
            tally.mine = true;
        }
    }
    if tally.count == 0 && !tally.mine {
        reactions.remove(emoji);
    }
}

/// What a reaction request comes to, judged on the reactor's own copy of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It changes the message: store it.
    Apply,
    /// Already there (or not there to remove): nothing to store.
    Unchanged,
    /// A new emoji past [`MAX_REACTIONS_PER_USER`] on this message.
    TooMany,
}

/// Whether `emoji` added (or removed) by the owner of `mine` (its copy's reactions)
/// changes anything.
pub fn change_of(mine: &Reactions, emoji: &str, removed: bool) -> Change {
    let has = mine.get(emoji).is_some_and(|t| t.mine);
    let count = mine.values().filter(|t| t.mine).count();
    match (removed, has) {
        (true, true) => Change::Apply,
        (false, false) if count < MAX_REACTIONS_PER_USER => Change::Apply,
        (false, false) => Change::TooMany,
        (true, false) | (false, true) => Change::Unchanged,
    }
}

/// Whether `s` is one emoji: a single grapheme cluster of at most [`MAX_EMOJI_BYTES`]
/// bytes that is a pictograph (with its modifiers and joiners), a flag or a keycap.
pub fn is_emoji(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_EMOJI_BYTES || s.graphemes(true).count() != 1 {
        return false;
    }
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    let keycap = matches!(first, '0'..='9' | '#' | '*') && s.contains('\u{20E3}');
    keycap || s.chars().any(pictographic)
}

/// Code points that are emoji presentation bases: the pictographic blocks, regional
/// indicators (flags), and the older symbols commonly shown as emoji.
fn pictographic(c: char) -> bool {
    matches!(u32::from(c),
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x21AA | 0x231A..=0x23FF
        | 0x24C2 | 0x25AA..=0x25FE | 0x2600..=0x27BF | 0x2934 | 0x2935 | 0x2B05..=0x2B55
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x1F000..=0x1FAFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emoji_is_accepted_and_anything_else_refused() {
        for ok in ["👍", "❤️", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "©️", "☕"] {
            assert!(is_emoji(ok), "{ok:?} should be an emoji");
        }
        for bad in ["", "a", "ab", "👍👍", " 👍", "👍 ", "😀x", "\u{200D}", "\n", "1"] {
            assert!(!is_emoji(bad), "{bad:?} should not be an emoji");
        }
        // One grapheme but longer than 32 bytes: a long ZWJ chain.
        let long = "👨‍👩‍👧‍👦\u{200D}👨‍👩‍👧‍👦";
        assert!(!is_emoji(long));
    }

    #[test]
    fn reactions_count_once_per_user_and_removal_restores() {
        let mut mine = Reactions::new();
        let mut theirs = Reactions::new();
        assert_eq!(change_of(&mine, "👍", false), Change::Apply);
        apply(&mut mine, "👍", false, true);
        apply(&mut theirs, "👍", false, false);
        assert_eq!(mine["👍"], Tally { count: 1, mine: true });
        assert_eq!(theirs["👍"], Tally { count: 1, mine: false });
        assert_eq!(change_of(&mine, "👍", false), Change::Unchanged);
        assert_eq!(change_of(&mine, "🎉", true), Change::Unchanged);
        assert_eq!(change_of(&mine, "👍", true), Change::Apply);
        apply(&mut mine, "👍", true, true);
        apply(&mut theirs, "👍", true, false);
        assert!(mine.is_empty() && theirs.is_empty());
    }

    #[test]
    fn a_user_puts_at_most_twenty_emoji_on_a_message() {
        let mut mine = Reactions::new();
        let emoji: Vec<String> =
            (0..21).map(|i| char::from_u32(0x1F600 + i).map(String::from).unwrap_or_default()).collect();
        for e in &emoji[..20] {
            assert_eq!(change_of(&mine, e, false), Change::Apply);
            apply(&mut mine, e, false, true);
        }
        assert_eq!(change_of(&mine, &emoji[20], false), Change::TooMany);
        // Others' emoji on the message do not count against the user.
        let mut other = Reactions::new();
        for e in &emoji {
            apply(&mut other, e, false, false);
        }
        assert_eq!(change_of(&other, "👍", false), Change::Apply);
        assert_eq!(change_of(&mine, &emoji[0], true), Change::Apply);
    }

    #[test]
    fn a_quote_keeps_a_preview_until_its_original_is_gone() {
        let mut q = ReplyTo { msg_id: MsgId::generate(1), from: "alice".into(), preview: "hi".into(), deleted: false };
        let wire = serde_json::to_value(&q).expect("json");
        assert_eq!(wire["preview"], "hi");
        assert!(wire.get("deleted").is_none());
        q.mark_deleted();
        let wire = serde_json::to_value(&q).expect("json");
        assert!(wire.get("preview").is_none());
        assert_eq!(wire["deleted"], true);
    }
}
