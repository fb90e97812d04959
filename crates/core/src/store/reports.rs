//! Reports and the moderation queue: one case per reported message, holding a copy of the
//! message as its first reporter saw it (a later edit or delete cannot hide the evidence)
//! and how many distinct users reported it.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::ids::{Conversation, MsgId, UserId};

/// Why a message was reported (the protocol's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Unwanted commercial or repetitive content.
    Spam,
    /// Harassment or bullying.
    Harassment,
    /// Hate speech.
    Hate,
    /// Sexual content.
    Sexual,
    /// Violence or threats.
    Violence,
    /// Self-harm.
    SelfHarm,
    /// Something illegal.
    Illegal,
    /// Anything else (the note says what).
    Other,
}

impl Reason {
    /// Every reason.
    pub const ALL: &'static [Reason] = &[
        Self::Spam,
        Self::Harassment,
        Self::Hate,
        Self::Sexual,
        Self::Violence,
        Self::SelfHarm,
        Self::Illegal,
        Self::Other,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Harassment => "harassment",
            Self::Hate => "hate",
            Self::Sexual => "sexual",
            Self::Violence => "violence",
            Self::SelfHarm => "self_harm",
            Self::Illegal => "illegal",
            Self::Other => "other",
        }
    }

    /// The reason named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// The message reported, as the reporter held it when reporting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The message.
    pub msg_id: MsgId,
    /// Its conversation.
    pub conversation: Conversation,
    /// Its sender.
    pub from: String,
    /// Its text then.
    pub body: String,
    /// Its attachments' ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// When it was sent (ms).
    pub ts: u64,
}

/// One user's report of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Who reported.
    pub reporter: UserId,
    /// Why.
    pub reason: Reason,
    /// In the reporter's words (up to 1,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When (ms).
    pub at: u64,
    /// The message as the reporter held it.
    pub evidence: Evidence,
}

/// What a moderator did with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing to act on.
    Dismiss,
    /// The message was deleted for everyone.
    DeleteMessage,
    /// Its sender was banned.
    BanUser,
}

/// How a case was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// What was done.
    pub action: Action,
    /// Who resolved it (`moderator`, or `auto` for the automatic hide).
    pub by: String,
    /// When (ms).
    pub at: u64,
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a moderator.
    Open,
    /// Closed.
    Resolved,
}

impl Status {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

/// One reported message in the moderation queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// The case id: the message's id.
    pub id: String,
    /// Open or resolved.
    pub status: Status,
    /// The message as its first reporter saw it.
    pub copy: Evidence,
    /// How many distinct users reported it.
    pub reporters: u32,
    /// Reports per reason.
    pub reasons: std::collections::BTreeMap<Reason, u32>,
    /// When it was first reported (ms).
    pub opened_at: u64,
    /// How it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

/// What filing a report came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// A new report: the case as it now is.
    New(Box<Case>),
    /// This reporter reported this message already: nothing changed.
    Again,
}

/// What resolving came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Closed now.
    Done(Box<Case>),
    /// It was closed already: nothing changed.
    Already(Box<Case>),
    /// No such case.
    NotFound,
}

/// A page of cases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CasePage {
    /// Oldest first.
    pub cases: Vec<Case>,
    /// Where the next page starts (opaque).
    pub next: Option<String>,
}

/// The moderation queue.
pub trait ReportStore: Send + Sync {
    /// Files `report` once per (reporter, message), atomically with its case (opened, or
    /// reopened when resolved, with one more distinct reporter).
    fn file_report(&self, report: &Report) -> impl Future<Output = Result<Filed, StoreError>> + Send;
    /// Cases in `status`, oldest first, `limit` at most, after the cursor `after`.
    fn cases(
        &self,
        status: Status,
        limit: u32,
        after: Option<&str>,
    ) -> impl Future<Output = Result<CasePage, StoreError>> + Send;
    /// One case.
    fn case(&self, id: &str) -> impl Future<Output = Result<Option<Case>, StoreError>> + Send;
    /// Closes an open case with `resolution` (check and write in one step).
    fn resolve(&self, id: &str, resolution: &Resolution) -> impl Future<Output = Result<Resolved, StoreError>> + Send;
}

/// The case a first report opens.
pub fn new_case(report: &Report) -> Case {
    Case {
        id: report.evidence.msg_id.to_string(),
        status: Status::Open,
        copy: report.evidence.clone(),
        reporters: 1,
        reasons: [(report.reason, 1)].into(),
        opened_at: report.at,
        resolution: None,
    }
}
