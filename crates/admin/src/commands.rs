//! The server-API subcommands (docs/server-api.md): each one is parsed by clap and turned
//! into one [`Call`] by [`ApiCommand::into_call`] (pure: the time is an argument), which
//! [`crate::api::Client`] sends. [`ApiCommand::check`] refuses what clap cannot express. Ids are checked by the server, not here: its answer says
//! what is wrong with them.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use http::Method;
use serde_json::{Value, json};

use crate::api::Call;

/// Where the server API is and how to sign for it: every server-API subcommand takes these.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server API")]
pub struct ApiOptions {
    /// The server API's URL: the stack output ServerApiUrl
    /// (`https://<id>.lambda-url.<region>.on.aws/`), or `http://127.0.0.1:8080/` for the
    /// devserver.
    #[arg(long, env = "CHAT_SERVER_API_URL", value_name = "URL")]
    pub api_url: String,
    /// The region to sign for (default: the function URL's, else the AWS SDK's).
    #[arg(long)]
    pub region: Option<String>,
    /// Send requests unsigned (they always are to a loopback host, the devserver).
    #[arg(long)]
    pub unsigned: bool,
}

/// One user or one group: where a message goes.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// A user: the 1:1 conversation of `--from` and this user.
    #[arg(long, value_name = "USER")]
    to: Option<String>,
    /// A group id (`--from` must be a member, unless `system`).
    #[arg(long, value_name = "GROUP_ID")]
    group: Option<String>,
}

/// The server-API subcommands. Each prints the answer as JSON; an error answer is printed
/// as `chat-admin: <code>: <message>` and exits 1.
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Sends a message as a user or as `system` (POST /v1/messages).
    Send {
        /// The sender: a user id, or `system` (the app itself).
        #[arg(long, value_name = "USER")]
        from: String,
        #[command(flatten)]
        target: Target,
        /// The text.
        #[arg(long)]
        body: String,
        /// The idempotency key: the same key sends once (default: a fresh ULID).
        #[arg(long, value_name = "ID")]
        client_msg_id: Option<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Deletes a message from every holder's history, as a moderator
    /// (DELETE /v1/messages/{msgId}).
    DeleteMessage {
        /// The message id (the ack's msgId).
        msg_id: String,
        /// Its conversation: `dm:<a>:<b>` or `group:<id>`.
        #[arg(long, value_name = "CONVERSATION")]
        conversation: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Creates a group (POST /v1/groups).
    GroupCreate {
        /// The creator, its first member.
        #[arg(long, value_name = "USER")]
        creator: String,
        /// The group's name.
        #[arg(long)]
        name: String,
        /// A member besides the creator (repeat for more).
        #[arg(long = "member", value_name = "USER")]
        members: Vec<String>,
        /// The idempotency key: the same creator and key create one group.
        #[arg(long, value_name = "ID")]
        client_msg_id: Option<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Shows a group: name, creator, members (GET /v1/groups/{groupId}).
    GroupShow {
        /// The group id.
        group_id: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Adds and removes members in one change (POST /v1/groups/{groupId}/members).
    GroupMembers {
        /// The group id.
        group_id: String,
        /// A user to add (repeat for more).
        #[arg(long, value_name = "USER", required_unless_present = "remove")]
        add: Vec<String>,
        /// A member to remove (repeat for more).
        #[arg(long, value_name = "USER")]
        remove: Vec<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Renames a group (PATCH /v1/groups/{groupId}).
    GroupRename {
        /// The group id.
        group_id: String,
        /// The new name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Deletes a group: every member gets a last notice (DELETE /v1/groups/{groupId}).
    GroupDelete {
        /// The group id.
        group_id: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Shows a user: online, connections, groups, ban (GET /v1/users/{userId}).
    UserShow {
        /// The user id.
        user: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Bans a user (PUT /v1/users/{userId}/ban).
    ///
    /// Its live connections close at once; it cannot connect, and nothing it sends is
    /// stored. Without --until-ms or --for, until lifted (unban).
    Ban {
        /// The user id.
        user: String,
        /// Until this time, in ms since the epoch.
        #[arg(long, value_name = "MS")]
        until_ms: Option<u64>,
        /// For this long from now: a number and a unit, s, m, h or d (`30m`, `12h`, `7d`).
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration, conflicts_with = "until_ms")]
        for_: Option<Duration>,
        /// Why (shown to operators, at most 1,000 characters).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Lifts a user's ban (DELETE /v1/users/{userId}/ban).
    Unban {
        /// The user id.
        user: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Deletes a user's account and its data in the background; prints the job
    /// (DELETE /v1/users/{userId}). Follow it with `deletion`.
    DeleteUser {
        /// The user id.
        user: String,
        /// Also delete every message it sent from everyone's inboxes.
        #[arg(long)]
        erase: bool,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Shows a user's latest deletion job: its step and what it removed
    /// (GET /v1/users/{userId}/deletion).
    Deletion {
        /// The user id.
        user: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Lets a deleted user id connect again, as a new account
    /// (DELETE /v1/users/{userId}/tombstone).
    LiftTombstone {
        /// The user id.
        user: String,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Lists the moderation queue: one case per reported message, oldest first, with the
    /// copy of the message and how many users reported it (GET /v1/reports).
    ///
    /// Prints `{"reports": [...], "next": ...}`; a `next` that is not null is the
    /// --cursor of the next page.
    Reports {
        /// Which cases.
        #[arg(long, value_enum, default_value_t = ReportStatus::Open)]
        status: ReportStatus,
        /// At most this many cases, 1 to 100 (default: the server's, 50).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: Option<u32>,
        /// Where the page starts: the previous page's `next`.
        #[arg(long, value_name = "CURSOR")]
        cursor: Option<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Resolves a case of the moderation queue, doing what --action says
    /// (POST /v1/reports/{id}/resolve).
    ///
    /// A case resolved already answers as it stands and nothing is done again.
    ResolveReport {
        /// The case id (the reported message's id: a case's `id` in `reports`).
        id: String,
        /// What to do: nothing (dismiss), delete the message for every holder as a
        /// moderator (delete-message), or ban its sender (ban-user).
        #[arg(long, value_enum)]
        action: ReportAction,
        /// With ban-user: until this time, in ms since the epoch.
        #[arg(long, value_name = "MS")]
        until_ms: Option<u64>,
        /// With ban-user: for this long from now, a number and a unit, s, m, h or d (`7d`).
        /// Without --until-ms or --for, the ban holds until lifted (unban).
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration, conflicts_with = "until_ms")]
        for_: Option<Duration>,
        #[command(flatten)]
        api: ApiOptions,
    },
}

/// Which cases `reports` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportStatus {
    /// Waiting for a moderator.
    Open,
    /// Closed, with their resolution.
    Resolved,
}

/// What `resolve-report` does with a case: the API's `action`, in snake_case there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportAction {
    /// Nothing to act on: the case is closed.
    Dismiss,
    /// Deletes the message for every holder, as `delete-message` does.
    DeleteMessage,
    /// Bans the message's sender, as `ban` does (reason: `report <id>`).
    BanUser,
}

impl ReportStatus {
    /// The API's name.
    fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

impl ReportAction {
    /// The API's name.
    fn name(self) -> &'static str {
        match self {
            Self::Dismiss => "dismiss",
            Self::DeleteMessage => "delete_message",
            Self::BanUser => "ban_user",
        }
    }
}

impl ApiCommand {
    /// What clap cannot say of the arguments by itself: a ban's length is only for
    /// `resolve-report --action ban-user` (the server would ignore it, and the operator
    /// would think the case was acted on otherwise than it was). The error is the
    /// subcommand's name and what is wrong.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        match self {
            Self::ResolveReport { action, until_ms, for_, .. }
                if *action != ReportAction::BanUser && (until_ms.is_some() || for_.is_some()) =>
            {
                Err(("resolve-report", "--until-ms and --for are only for --action ban-user"))
            }
            _ => Ok(()),
        }
    }

    /// The request this command makes, and where to send it; `now_ms` is the time `--for`
    /// counts from.
    pub fn into_call(self, now_ms: u64) -> (ApiOptions, Call) {
        let call = |method: Method, path: String, body: Option<Value>| Call { method, path, body };
        match self {
            Self::Send { from, target, body, client_msg_id, api } => {
                let client_msg_id = client_msg_id.unwrap_or_else(|| ulid::Ulid::new().to_string());
                let mut fields = json!({"from": from, "body": body, "clientMsgId": client_msg_id});
                match (target.to, target.group) {
                    (Some(to), _) => fields["to"] = json!(to),
                    (None, Some(group)) => fields["group"] = json!(group),
                    // clap's group requires one; the server names what is missing.
                    (None, None) => {}
                }
                (api, call(Method::POST, "/v1/messages".into(), Some(fields)))
            }
            Self::DeleteMessage { msg_id, conversation, api } => {
                let path = format!("/v1/messages/{}?conversation={}", encode(&msg_id), encode(&conversation));
                (api, call(Method::DELETE, path, None))
            }
            Self::GroupCreate { creator, name, members, client_msg_id, api } => {
                let mut fields = json!({"creator": creator, "name": name, "members": members});
                if let Some(key) = client_msg_id {
                    fields["clientMsgId"] = json!(key);
                }
                (api, call(Method::POST, "/v1/groups".into(), Some(fields)))
            }
            Self::GroupShow { group_id, api } => (api, call(Method::GET, group_path(&group_id), None)),
            Self::GroupMembers { group_id, add, remove, api } => {
                let path = format!("{}/members", group_path(&group_id));
                (api, call(Method::POST, path, Some(json!({"add": add, "remove": remove}))))
            }
            Self::GroupRename { group_id, name, api } => {
                (api, call(Method::PATCH, group_path(&group_id), Some(json!({"name": name}))))
            }
            Self::GroupDelete { group_id, api } => (api, call(Method::DELETE, group_path(&group_id), None)),
            Self::UserShow { user, api } => (api, call(Method::GET, format!("/v1/users/{}", encode(&user)), None)),
            Self::Ban { user, until_ms, for_, reason, api } => {
                let mut fields = json!({});
                if let Some(until) = until_ms.or(for_.map(|d| ends(now_ms, d))) {
                    fields["until"] = json!(until);
                }
                if let Some(reason) = reason {
                    fields["reason"] = json!(reason);
                }
                (api, call(Method::PUT, ban_path(&user), Some(fields)))
            }
            Self::Unban { user, api } => (api, call(Method::DELETE, ban_path(&user), None)),
            Self::DeleteUser { user, erase, api } => {
                (api, call(Method::DELETE, format!("/v1/users/{}", encode(&user)), Some(json!({"erase": erase}))))
            }
            Self::Deletion { user, api } => {
                (api, call(Method::GET, format!("/v1/users/{}/deletion", encode(&user)), None))
            }
            Self::LiftTombstone { user, api } => {
                (api, call(Method::DELETE, format!("/v1/users/{}/tombstone", encode(&user)), None))
            }
            Self::Reports { status, limit, cursor, api } => {
                let mut path = format!("/v1/reports?status={}", status.name());
                if let Some(limit) = limit {
                    path.push_str(&format!("&limit={limit}"));
                }
                if let Some(cursor) = cursor {
                    path.push_str(&format!("&cursor={}", encode(&cursor)));
                }
                (api, call(Method::GET, path, None))
            }
            Self::ResolveReport { id, action, until_ms, for_, api } => {
                let mut fields = json!({"action": action.name()});
                if let Some(until) = until_ms.or(for_.map(|d| ends(now_ms, d))) {
                    fields["until"] = json!(until);
                }
                (api, call(Method::POST, format!("/v1/reports/{}/resolve", encode(&id)), Some(fields)))
            }
        }
    }
}

/// When something lasting `d` from `now_ms` ends, in ms since the epoch.
fn ends(now_ms: u64, d: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn group_path(group_id: &str) -> String {
    format!("/v1/groups/{}", encode(group_id))
}

fn ban_path(user: &str) -> String {
    format!("/v1/users/{}/ban", encode(user))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so an id is one path
/// segment or one query value whatever it holds (user ids may have `|`, `@` and `+`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `30s`, `30m`, `12h`, `7d`: a whole number and one unit.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or("give a unit: s, m, h or d (e.g. 7d)")?;
    let (number, unit) = s.split_at(unit_at);
    let n: u64 = number.parse().map_err(|_| format!("{s:?} does not start with a whole number"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit {unit:?}: use s, m, h or d (e.g. 7d)")),
    };
    match n.checked_mul(secs) {
        Some(0) => Err("a ban lasts longer than 0".into()),
        Some(secs) => Ok(Duration::from_secs(secs)),
        None => Err(format!("{s:?} is too long")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: ApiCommand,
    }

    fn call(args: &[&str]) -> Call {
        let args = ["chat-admin"].iter().chain(args).chain(&["--api-url", "http://127.0.0.1:8080/"]);
        let cli = Cli::try_parse_from(args).expect("valid arguments");
        cli.command.into_call(1_000_000).1
    }

    #[test]
    fn send_to_a_user_posts_a_message_with_a_fresh_ulid_as_its_key() {
        let c = call(&["send", "--from", "system", "--to", "alice", "--body", "hi"]);
        assert_eq!((c.method, c.path.as_str()), (Method::POST, "/v1/messages"));
        let body = c.body.expect("a body");
        assert_eq!(
            (body["from"].as_str(), body["to"].as_str(), body["body"].as_str()),
            (Some("system"), Some("alice"), Some("hi"))
        );
        assert!(body["clientMsgId"].as_str().is_some_and(|k| ulid::Ulid::from_string(k).is_ok()));
        assert!(body.get("group").is_none());
    }

    #[test]
    fn send_to_a_group_keeps_the_given_key() {
        let c = call(&["send", "--from", "bob", "--group", "g1", "--body", "hi", "--client-msg-id", "k1"]);
        let body = c.body.expect("a body");
        assert_eq!((body["group"].as_str(), body["clientMsgId"].as_str()), (Some("g1"), Some("k1")));
    }

    #[test]
    fn send_needs_exactly_one_of_to_and_group() {
        let parse =
            |args: &[&str]| Cli::try_parse_from(["chat-admin", "send", "--api-url", "http://x/"].iter().chain(args));
        assert!(parse(&["--from", "a", "--body", "b"]).is_err());
        assert!(parse(&["--from", "a", "--to", "b", "--group", "g", "--body", "b"]).is_err());
    }

    #[test]
    fn ids_are_percent_encoded_in_paths_and_queries() {
        let c = call(&["delete-message", "01J", "--conversation", "dm:a+b:c"]);
        assert_eq!((c.method, c.path.as_str()), (Method::DELETE, "/v1/messages/01J?conversation=dm%3Aa%2Bb%3Ac"));
        assert_eq!(call(&["user-show", "auth0|x@y"]).path, "/v1/users/auth0%7Cx%40y");
    }

    #[test]
    fn group_subcommands_map_to_their_endpoints() {
        let c = call(&["group-create", "--creator", "a", "--name", "Team", "--member", "b", "--member", "c"]);
        assert_eq!((c.method, c.path.as_str()), (Method::POST, "/v1/groups"));
        assert_eq!(c.body, Some(json!({"creator": "a", "name": "Team", "members": ["b", "c"]})));
        let c = call(&["group-members", "g1", "--add", "d", "--remove", "b"]);
        assert_eq!((c.method, c.path.as_str()), (Method::POST, "/v1/groups/g1/members"));
        assert_eq!(c.body, Some(json!({"add": ["d"], "remove": ["b"]})));
        let c = call(&["group-rename", "g1", "--name", "New"]);
        assert_eq!((c.method, c.path.as_str(), c.body), (Method::PATCH, "/v1/groups/g1", Some(json!({"name": "New"}))));
        let c = call(&["group-show", "g1"]);
        assert_eq!((c.method, c.path.as_str(), c.body), (Method::GET, "/v1/groups/g1", None));
        let c = call(&["group-delete", "g1"]);
        assert_eq!((c.method, c.path.as_str()), (Method::DELETE, "/v1/groups/g1"));
    }

    #[test]
    fn ban_for_a_duration_counts_from_now_and_until_is_given_as_is() {
        let c = call(&["ban", "mallory", "--for", "12h", "--reason", "spam"]);
        assert_eq!((c.method, c.path.as_str()), (Method::PUT, "/v1/users/mallory/ban"));
        assert_eq!(c.body, Some(json!({"until": 1_000_000 + 12 * 3_600_000, "reason": "spam"})));
        assert_eq!(call(&["ban", "mallory", "--until-ms", "5"]).body, Some(json!({"until": 5})));
        assert_eq!(call(&["ban", "mallory"]).body, Some(json!({})));
        let c = call(&["unban", "mallory"]);
        assert_eq!((c.method, c.path.as_str(), c.body), (Method::DELETE, "/v1/users/mallory/ban", None));
    }

    #[test]
    fn delete_user_asks_for_erase_only_when_told_and_the_job_and_tombstone_have_their_paths() {
        let c = call(&["delete-user", "mallory"]);
        assert_eq!(
            (c.method, c.path.as_str(), c.body),
            (Method::DELETE, "/v1/users/mallory", Some(json!({"erase": false})))
        );
        assert_eq!(call(&["delete-user", "mallory", "--erase"]).body, Some(json!({"erase": true})));
        assert_eq!(call(&["deletion", "mallory"]).path, "/v1/users/mallory/deletion");
        let c = call(&["lift-tombstone", "mallory"]);
        assert_eq!((c.method, c.path.as_str()), (Method::DELETE, "/v1/users/mallory/tombstone"));
    }

    #[test]
    fn reports_lists_open_cases_unless_told_and_passes_the_cursor_encoded() {
        assert_eq!(
            call(&["reports"]),
            Call { method: Method::GET, path: "/v1/reports?status=open".into(), body: None }
        );
        let c = call(&["reports", "--status", "resolved", "--limit", "100", "--cursor", "01J+x=/y"]);
        assert_eq!(c.path, "/v1/reports?status=resolved&limit=100&cursor=01J%2Bx%3D%2Fy");
        let parse =
            |args: &[&str]| Cli::try_parse_from(["chat-admin", "reports", "--api-url", "http://x/"].iter().chain(args));
        for bad in [&["--limit", "0"][..], &["--limit", "101"], &["--status", "closed"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resolve_report_sends_the_apis_snake_case_action_and_a_ban_length() {
        let c = call(&["resolve-report", "01JMSG", "--action", "dismiss"]);
        assert_eq!((c.method, c.path.as_str()), (Method::POST, "/v1/reports/01JMSG/resolve"));
        assert_eq!(c.body, Some(json!({"action": "dismiss"})));
        assert_eq!(
            call(&["resolve-report", "r", "--action", "delete-message"]).body,
            Some(json!({"action": "delete_message"}))
        );
        assert_eq!(call(&["resolve-report", "r", "--action", "ban-user"]).body, Some(json!({"action": "ban_user"})));
        let c = call(&["resolve-report", "r", "--action", "ban-user", "--for", "7d"]);
        assert_eq!(c.body, Some(json!({"action": "ban_user", "until": 1_000_000 + 7 * 86_400_000})));
        let c = call(&["resolve-report", "r", "--action", "ban-user", "--until-ms", "5"]);
        assert_eq!(c.body, Some(json!({"action": "ban_user", "until": 5})));
    }

    #[test]
    fn a_ban_length_is_refused_unless_the_action_bans() {
        let parse = |args: &[&str]| {
            let args = ["chat-admin", "resolve-report", "r", "--api-url", "http://x/"].iter().chain(args);
            Cli::try_parse_from(args).map(|cli| cli.command.check())
        };
        assert_eq!(parse(&["--action", "ban-user", "--for", "1d"]).ok(), Some(Ok(())));
        for action in ["dismiss", "delete-message"] {
            assert!(parse(&["--action", action, "--for", "1d"]).is_ok_and(|checked| checked.is_err()), "{action}");
            assert!(parse(&["--action", action, "--until-ms", "5"]).is_ok_and(|checked| checked.is_err()), "{action}");
        }
        assert!(parse(&["--action", "delete_message"]).is_err(), "the flag's spelling is kebab-case");
        assert!(parse(&["--action", "ban-user", "--for", "1d", "--until-ms", "5"]).is_err());
        assert!(parse(&[]).is_err(), "--action is required");
    }

    #[test]
    fn durations_are_a_whole_number_and_one_unit() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["7", "d", "1.5h", "7w", "0m", "-1d", "99999999999999999999d", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
