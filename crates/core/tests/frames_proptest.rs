//! Property tests of frame parsing: whatever a client sends, parsing never panics, every
//! refusal carries a code and a reason, and what is accepted respects every limit.

use chat_core::protocol::{Action, ErrorCode, MAX_BODY_BYTES, MAX_LIST, ServerFrame, Target, parse_frame};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Arbitrary JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const ACTIONS: &[&str] = &[
    "send",
    "sync",
    "history",
    "receipt",
    "typing",
    "presence",
    "group.create",
    "group.add",
    "group.remove",
    "group.leave",
    "push.register",
    "push.unregister",
    "ping",
    "nope",
    "",
];
const FIELDS: &[&str] = &[
    "to",
    "group",
    "clientMsgId",
    "body",
    "after",
    "limit",
    "conversation",
    "before",
    "msgIds",
    "status",
    "users",
    "name",
    "members",
    "platform",
    "token",
    "id",
];

/// Frames shaped like real ones: a known action and known field names with arbitrary values.
fn frame_like() -> impl Strategy<Value = Value> {
    (prop::sample::select(ACTIONS), prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..6)).prop_map(
        |(action, fields)| {
            let mut obj = serde_json::Map::new();
            obj.insert("action".into(), json!(action));
            for (k, v) in fields {
                obj.insert(k.into(), v);
            }
            Value::Object(obj)
        },
    )
}

fn check(text: &str) {
    match parse_frame(text) {
        Ok(req) => {
            if let Some(id) = &req.id {
                assert!(id.chars().count() <= 64);
            }
            match req.action {
                Action::Send { body, target, .. } => {
                    assert!(!body.is_empty() && body.len() <= MAX_BODY_BYTES);
                    match target {
                        Target::User(u) => assert!(!u.as_str().is_empty()),
                        Target::Group(g) => assert!(!g.as_str().is_empty()),
                    }
                }
                Action::Sync { limit, .. } | Action::History { limit, .. } => assert!((1..=100).contains(&limit)),
                Action::Receipt { msg_ids, .. } => assert!(!msg_ids.is_empty() && msg_ids.len() <= MAX_LIST),
                Action::Presence { users } => assert!(!users.is_empty() && users.len() <= MAX_LIST),
                _ => {}
            }
        }
        Err(e) => {
            assert!(!e.message.is_empty(), "every refusal says why");
            // The error frame always serializes to one JSON object with the code.
            let frame: Value = serde_json::from_str(&ServerFrame::from_error(e.clone()).to_json()).expect("json");
            assert_eq!(frame["type"], "error");
            assert!(frame["code"].is_string());
            if e.code == ErrorCode::UnknownAction {
                let action =
                    serde_json::from_str::<Value>(text).ok().and_then(|v| v["action"].as_str().map(str::to_owned));
                assert!(
                    !ACTIONS[..13].contains(&action.unwrap_or_default().as_str()),
                    "a known action is never unknown"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_parsed_or_refused_without_panicking(text in ".{0,300}") {
        check(&text);
    }

    #[test]
    fn any_json_value_is_parsed_or_refused_without_panicking(v in json_value()) {
        check(&v.to_string());
    }

    #[test]
    fn frame_shaped_input_respects_every_limit(v in frame_like()) {
        check(&v.to_string());
    }

    #[test]
    fn a_valid_send_is_accepted_with_its_fields(
        to in "[A-Za-z0-9._-]{1,64}",
        cmid in "[^\\x00-\\x1f\\x7f-\\x9f]{1,64}",
        body in ".{1,200}",
        id in proptest::option::of("[a-z0-9]{1,64}"),
    ) {
        let mut frame = json!({"action":"send","to":to,"clientMsgId":cmid,"body":body});
        if let Some(id) = &id { frame["id"] = json!(id); }
        let req = parse_frame(&frame.to_string()).expect("a valid send");
        prop_assert_eq!(req.id, id);
        match req.action {
            Action::Send { target: Target::User(u), client_msg_id, body: b, .. } => {
                prop_assert_eq!(u.as_str(), to.as_str());
                prop_assert_eq!(client_msg_id.as_str(), cmid.as_str());
                prop_assert_eq!(b, body);
            }
            other => prop_assert!(false, "parsed as {other:?}"),
        }
    }

    #[test]
    fn bodies_over_16_kib_are_always_too_large(extra in 1usize..2000, ch in prop::sample::select(vec!['a', 'é', '😀'])) {
        let n = MAX_BODY_BYTES / ch.len_utf8() + extra;
        let frame = json!({"action":"send","to":"bob","clientMsgId":"c","body":ch.to_string().repeat(n)});
        let e = parse_frame(&frame.to_string()).expect_err("too large");
        prop_assert_eq!(e.code, ErrorCode::TooLarge);
        prop_assert_eq!(e.client_msg_id.as_deref(), Some("c"));
    }
}
