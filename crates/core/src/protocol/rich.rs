//! The rich-message parts of client frames: `send`'s `replyTo` and `mentions`, and the
//! `react` action.

use serde::Deserialize;
use serde_json::Value;

use super::request::{FrameError, client_msg_id, fields, id_error};
use super::{Action, ErrorCode};
use crate::ids::{MsgId, UserId};
use crate::rich::{MAX_EMOJI_BYTES, MAX_MENTIONS, is_emoji};

/// What a `send` may add to a message: the message it answers and users it mentions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendExtras {
    /// `replyTo`: a message of the same conversation in the sender's inbox.
    pub reply_to: Option<MsgId>,
    /// `mentions`: participants of the conversation, at most 50, without repeats.
    pub mentions: Vec<UserId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtraFields {
    reply_to: Option<String>,
    mentions: Option<Vec<String>>,
}

impl SendExtras {
    /// `replyTo` and `mentions` of a `send` frame (both optional).
    pub(super) fn parse(v: &Value) -> Result<Self, FrameError> {
        let f: ExtraFields = serde_json::from_value(serde_json::json!({
            "replyTo": v.get("replyTo").cloned().unwrap_or(Value::Null),
            "mentions": v.get("mentions").cloned().unwrap_or(Value::Null),
        }))
        .map_err(|e| FrameError::bad(format!("send: {e}")))?;
        let reply_to = match f.reply_to {
            None => None,
            Some(id) => {
                Some(MsgId::parse(&id).map_err(|_| FrameError::bad(format!("replyTo: {id:?} is not a msgId")))?)
            }
        };
        let raw = f.mentions.unwrap_or_default();
        if raw.len() > MAX_MENTIONS {
            return Err(FrameError::bad(format!(
                "mentions has {} users; a message mentions at most {MAX_MENTIONS}",
                raw.len()
            )));
        }
        let mut mentions: Vec<UserId> = Vec::with_capacity(raw.len());
        for s in &raw {
            let u = UserId::parse(s).map_err(|e| id_error("mentions", e))?;
            if !mentions.contains(&u) {
                mentions.push(u);
            }
        }
        Ok(Self { reply_to, mentions })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReactFields {
    msg_id: Option<String>,
    emoji: Option<String>,
    remove: Option<bool>,
    client_msg_id: Option<String>,
}

/// A `react` frame.
pub(super) fn parse_react(v: Value) -> Result<Action, FrameError> {
    let f: ReactFields = fields("react", v)?;
    let msg_id = f.msg_id.ok_or_else(|| FrameError::bad("msgId is required"))?;
    let msg_id = MsgId::parse(&msg_id).map_err(|_| FrameError::bad(format!("msgId: {msg_id:?} is not a msgId")))?;
    let emoji = f.emoji.ok_or_else(|| FrameError::bad("emoji is required"))?;
    if emoji.len() > MAX_EMOJI_BYTES {
        return Err(FrameError::new(ErrorCode::TooLarge, format!("emoji is at most {MAX_EMOJI_BYTES} bytes")));
    }
    if !is_emoji(&emoji) {
        return Err(FrameError::bad("emoji must be one emoji"));
    }
    let client_msg_id = client_msg_id(f.client_msg_id.as_deref())?;
    Ok(Action::React { msg_id, emoji, removed: f.remove.unwrap_or(false), client_msg_id })
}

#[cfg(test)]
mod tests {
    use crate::protocol::{Action, ErrorCode, parse_frame};

    const MSG: &str = "01HZX5J6Q7R8S9T0V1W2X3Y4Z5";

    #[test]
    fn a_send_carries_its_reply_and_mentions() {
        let r = parse_frame(&format!(
            r#"{{"action":"send","group":"g1","clientMsgId":"c1","body":"hi @bob","replyTo":"{MSG}","mentions":["bob","bob","carol"]}}"#
        ))
        .expect("valid");
        let Action::Send { extras, .. } = r.action else { panic!("a send") };
        assert_eq!(extras.reply_to.map(|m| m.to_string()), Some(MSG.to_owned()));
        let names: Vec<&str> = extras.mentions.iter().map(|u| u.as_str()).collect();
        assert_eq!(names, ["bob", "carol"]);
    }

    #[test]
    fn bad_replies_mentions_and_reactions_are_refused() {
        let too_many: Vec<String> = (0..51).map(|i| format!("\"u{i}\"")).collect();
        for (frame, code) in [
            (
                r#"{"action":"send","to":"bob","clientMsgId":"c","body":"x","replyTo":"nope"}"#.to_owned(),
                ErrorCode::BadRequest,
            ),
            (
                r#"{"action":"send","to":"bob","clientMsgId":"c","body":"x","replyTo":7}"#.to_owned(),
                ErrorCode::BadRequest,
            ),
            (
                r#"{"action":"send","to":"bob","clientMsgId":"c","body":"x","mentions":"bob"}"#.to_owned(),
                ErrorCode::BadRequest,
            ),
            (
                r#"{"action":"send","to":"bob","clientMsgId":"c","body":"x","mentions":["a b"]}"#.to_owned(),
                ErrorCode::BadRequest,
            ),
            (
                format!(
                    r#"{{"action":"send","to":"bob","clientMsgId":"c","body":"x","mentions":[{}]}}"#,
                    too_many.join(",")
                ),
                ErrorCode::BadRequest,
            ),
            (format!(r#"{{"action":"react","msgId":"{MSG}","clientMsgId":"c"}}"#), ErrorCode::BadRequest),
            (format!(r#"{{"action":"react","msgId":"{MSG}","emoji":"ok","clientMsgId":"c"}}"#), ErrorCode::BadRequest),
            (
                format!(r#"{{"action":"react","msgId":"{MSG}","emoji":"👍👍","clientMsgId":"c"}}"#),
                ErrorCode::BadRequest,
            ),
            (format!(r#"{{"action":"react","msgId":"{MSG}","emoji":"👍"}}"#), ErrorCode::BadRequest),
            (r#"{"action":"react","msgId":"x","emoji":"👍","clientMsgId":"c"}"#.to_owned(), ErrorCode::BadRequest),
            (
                format!(r#"{{"action":"react","msgId":"{MSG}","emoji":"{}","clientMsgId":"c"}}"#, "👍".repeat(9)),
                ErrorCode::TooLarge,
            ),
            (r#"{"action":"history","conversation":"dm:a:b","before":5,"around":3}"#.to_owned(), ErrorCode::BadRequest),
        ] {
            let e = parse_frame(&frame).expect_err(&frame);
            assert_eq!(e.code, code, "{frame}");
        }
    }

    #[test]
    fn a_reaction_and_its_removal_parse() {
        let r = parse_frame(&format!(r#"{{"action":"react","msgId":"{MSG}","emoji":"👍🏽","clientMsgId":"r1"}}"#))
            .expect("valid");
        assert!(matches!(r.action, Action::React { removed: false, ref emoji, .. } if emoji == "👍🏽"));
        let r = parse_frame(&format!(
            r#"{{"action":"react","msgId":"{MSG}","emoji":"👍","remove":true,"clientMsgId":"r2"}}"#
        ))
        .expect("valid");
        assert!(matches!(r.action, Action::React { removed: true, .. }));
        let r = parse_frame(r#"{"action":"history","conversation":"dm:a:b","around":42,"limit":10}"#).expect("valid");
        assert!(matches!(r.action, Action::History { around: Some(42), before: None, after: None, limit: 10, .. }));
    }
}
