//! Messages as the store keeps them: one [`InboxEntry`] per participant, each with that
//! participant's own seq.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ClientMsgId, Conversation, MsgId, UserId};

/// How long a `(sender, clientMsgId)` pair is remembered for idempotent resends.
pub const IDEMPOTENCY_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The sender name of server-generated notices in group conversations.
pub const SYSTEM_SENDER: &str = "system";

/// A receipt status; `Read` implies `Delivered`, so statuses are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// The message reached one of the recipient's devices.
    Delivered,
    /// The recipient has seen the message.
    Read,
}

/// One message in one user's inbox: what the stores keep, and, as is, what clients see in
/// `message` frames and `sync`/`history` pages (`protocol::MessageView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    /// Position in this user's inbox (1, 2, 3, ... with no gaps).
    pub seq: u64,
    /// Server id of the message, shared by every participant's entry.
    pub msg_id: MsgId,
    /// The conversation.
    pub conversation: Conversation,
    /// Sender user id, or [`SYSTEM_SENDER`].
    pub from: String,
    /// The text.
    pub body: String,
    /// Server time, ms since the epoch.
    pub ts: u64,
    /// The sender's client id, when a user sent it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_msg_id: Option<String>,
    /// On the sender's own entry: latest receipt status per recipient.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub receipts: BTreeMap<UserId, ReceiptStatus>,
}

/// A message to store for every participant, all at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    /// Server id of the message.
    pub msg_id: MsgId,
    /// The conversation.
    pub conversation: Conversation,
    /// The sender.
    pub from: UserId,
    /// The sender's client id: the idempotency key together with `from`.
    pub client_msg_id: ClientMsgId,
    /// The text.
    pub body: String,
    /// Server time, ms since the epoch.
    pub ts: u64,
    /// Everyone who gets an inbox entry, the sender included, without duplicates.
    pub participants: Vec<UserId>,
    /// The sender's send limit, charged with this message by the store in the same write
    /// (not for resends, which store nothing). `None`: unlimited.
    #[serde(skip)]
    pub limit: Option<crate::ratelimit::RateLimit>,
}

impl NewMessage {
    /// A server notice in a group conversation (membership changes), from [`SYSTEM_SENDER`].
    /// It has no idempotency record: the server never resends one.
    pub fn system(conversation: Conversation, body: String, ts: u64, participants: Vec<UserId>) -> Self {
        let msg_id = MsgId::generate(ts);
        Self {
            // A ULID is 26 alphanumerics, a valid client id; "system" is a valid user id.
            client_msg_id: ClientMsgId::parse(msg_id.as_str()).expect("a ULID is a valid client id"),
            msg_id,
            conversation,
            from: UserId::parse(SYSTEM_SENDER).expect("a valid literal user id"),
            body,
            ts,
            participants,
            limit: None,
        }
    }

    /// Whether this is a server notice rather than a user's message.
    pub fn is_system(&self) -> bool {
        self.from.as_str() == SYSTEM_SENDER
    }

    /// A fingerprint of what this send asks for (conversation and body), kept in the
    /// idempotency record: a `clientMsgId` reused for a different message is told apart
    /// from a resend. FNV-1a, 64 bits: stable across builds and toolchains, unlike std's
    /// hasher; it guards a client against its own mistakes, not against forgery.
    pub fn digest(&self) -> String {
        fingerprint(&[&self.conversation.to_string(), &self.body])
    }

    /// The ack of this message when it took `seq` in the sender's inbox.
    pub fn ack(&self, seq: u64) -> StoredAck {
        StoredAck {
            msg_id: self.msg_id.clone(),
            seq,
            conversation: self.conversation.clone(),
            ts: self.ts,
            digest: self.digest(),
        }
    }

    /// The entry for one participant at `seq`.
    pub fn entry_at(&self, seq: u64) -> InboxEntry {
        InboxEntry {
            seq,
            msg_id: self.msg_id.clone(),
            conversation: self.conversation.clone(),
            from: self.from.to_string(),
            body: self.body.clone(),
            ts: self.ts,
            client_msg_id: (!self.is_system()).then(|| self.client_msg_id.to_string()),
            receipts: BTreeMap::new(),
        }
    }
}

/// A stable fingerprint of a request's parts (FNV-1a, 64 bits, parts separated by a NUL):
/// the same on every build and toolchain, unlike std's hasher. It tells a client's resend
/// from a different request under the same idempotency key; it is no defence against
/// forgery, and needs none (a client only collides with its own requests).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        let separator = (i > 0).then_some(0u8);
        for b in separator.into_iter().chain(part.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// What the sender was told when a message was first stored; a resend gets it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAck {
    /// Server id of the message.
    pub msg_id: MsgId,
    /// Its seq in the sender's inbox.
    pub seq: u64,
    /// The conversation.
    pub conversation: Conversation,
    /// Server time of the first send.
    pub ts: u64,
    /// [`NewMessage::digest`] of the first send; empty in records written before digests
    /// were kept, which then match any resend.
    #[serde(default)]
    pub digest: String,
}

impl StoredAck {
    /// Whether `msg` asks for the same message as the one this ack was for: a resend, not
    /// a `clientMsgId` reused for something else.
    pub fn matches(&self, msg: &NewMessage) -> bool {
        self.digest.is_empty() || self.digest == msg.digest()
    }
}

/// A receipt that changed what the original sender sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptUpdate {
    /// Who sent the message (and gets the `receipt` frame).
    pub sender: UserId,
    /// The message.
    pub msg_id: MsgId,
    /// Its conversation.
    pub conversation: Conversation,
}

/// The result of storing a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored now; `seqs` has each participant's new seq.
    Stored {
        /// The sender's ack.
        ack: StoredAck,
        /// Each participant with the seq its entry got.
        seqs: Vec<(UserId, u64)>,
    },
    /// The same `(from, clientMsgId)` was stored before: nothing new was written.
    Duplicate(StoredAck),
    /// The `(from, clientMsgId)` was used within 24 hours for a different message (another
    /// conversation or body): nothing was written.
    Conflict,
    /// The sender's send limit is used up: nothing was written.
    RateLimited {
        /// When a token will be there, ms from now.
        retry_after_ms: u64,
    },
}
