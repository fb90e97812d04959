/**
 * Every frame a client sends: one JSON object whose `action` names it. Any frame
 * may carry an `id` (at most 64 characters), echoed on its direct reply.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ClientFrame".
 */
export type ClientFrame = (Send & {
    action: 'send';
}) | (Sync & {
    action: 'sync';
}) | (History & {
    action: 'history';
}) | (Receipt & {
    action: 'receipt';
}) | (Typing & {
    action: 'typing';
}) | (Presence & {
    action: 'presence';
}) | (GroupCreate & {
    action: 'group.create';
}) | (GroupAdd & {
    action: 'group.add';
}) | (GroupRemove & {
    action: 'group.remove';
}) | (GroupLeave & {
    action: 'group.leave';
}) | (Block & {
    action: 'block';
}) | (Unblock & {
    action: 'unblock';
}) | (Blocks & {
    action: 'blocks';
}) | (AccountDelete & {
    action: 'account.delete';
}) | (AccountExport & {
    action: 'account.export';
}) | (Mute & {
    action: 'mute';
}) | (Unmute & {
    action: 'unmute';
}) | (Report & {
    action: 'report';
}) | (Ping & {
    action: 'ping';
}) | (Whoami & {
    action: 'whoami';
}) | (Conversations & {
    action: 'conversations';
}) | (Read & {
    action: 'read';
}) | (Edit & {
    action: 'edit';
}) | (React & {
    action: 'react';
}) | (Delete & {
    action: 'delete';
}) | (Upload & {
    action: 'upload';
}) | (Attachment & {
    action: 'attachment';
}) | (PushRegister & {
    action: 'push.register';
}) | (PushUnregister & {
    action: 'push.unregister';
});
/**
 * Stores a message for every participant; answered with `ack`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Send".
 */
export type Send = Send1 & {
    /**
     * 1-10 finished uploads of yours for this conversation.
     */
    attachments?: AttachmentRef[] | null;
    /**
     * Up to 16 KiB of UTF-8; at least 1 byte unless there are attachments.
     */
    body?: string | null;
    /**
     * Your own id for the message (1-64 characters): resend with it, never a new one.
     */
    clientMsgId: ClientMsgId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * Users of the conversation the message mentions (at most 50).
     */
    mentions?: UserId[] | null;
    /**
     * The message this one answers: one of this conversation in your inbox.
     */
    replyTo?: MsgId | null;
};
export type Send1 = {
    /**
     * The user.
     */
    to: UserId;
} | {
    /**
     * The group.
     */
    group: GroupId;
};
/**
 * A user id, 1-128 characters (docs/protocol.md).
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "UserId".
 */
export type UserId = string;
/**
 * A group id, 1-64 characters (docs/protocol.md).
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "GroupId".
 */
export type GroupId = string;
/**
 * The client's own id of a message it sends (1-64 characters): the idempotency key.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ClientMsgId".
 */
export type ClientMsgId = string;
/**
 * The server's id of a message: a ULID, the same for every participant.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "MsgId".
 */
export type MsgId = string;
/**
 * `dm:<a>:<b>` (the two user ids sorted bytewise) or `group:<groupId>`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Conversation".
 */
export type Conversation = string;
/**
 * A receipt status; `Read` implies `Delivered`, so statuses are ordered.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ReceiptStatus".
 */
export type ReceiptStatus = 'delivered' | 'read';
/**
 * A typing indicator; no reply.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Typing".
 */
export type Typing = Typing1 & {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
};
export type Typing1 = {
    /**
     * The user.
     */
    to: UserId;
} | {
    /**
     * The group.
     */
    group: GroupId;
};
/**
 * Which file of an attachment.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Variant".
 */
export type Variant = 'original' | 'thumbnail';
/**
 * A push platform, naming the SNS platform application to use.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Platform".
 */
export type Platform = 'fcm' | 'apns' | 'apns_sandbox';
/**
 * Every frame the server sends.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ServerFrame".
 */
export type ServerFrame = {
    /**
     * Echo of the client's id.
     */
    clientMsgId: string;
    /**
     * Its conversation.
     */
    conversation: Conversation;
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * The server's id for the message.
     */
    msgId: MsgId;
    /**
     * Its seq in the sender's inbox.
     */
    seq: number;
    /**
     * Server time of the send.
     */
    ts: number;
    type: 'ack';
} | (InboxEntry & {
    type: 'message';
}) | {
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * Entries, ascending by seq: messages and updates.
     */
    messages: EntryView[];
    /**
     * The `after` for the next page, or null.
     */
    next?: number | null;
    /**
     * With `truncated`: the smallest seq still kept (this page's first entry); the
     * entries between `after` and it are gone for good.
     */
    oldest?: number | null;
    /**
     * Set when entries after the request's `after` expired (the retention,
     * `chat:retentionDays`): `oldest` says which seq the inbox keeps first.
     */
    truncated?: boolean;
    type: 'sync';
} | {
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * Messages in their latest state, descending by seq.
     */
    messages: EntryView[];
    /**
     * The `before` for the next (older) page, or null.
     */
    next?: number | null;
    /**
     * After an `around` or `after` request: the `after` for the next newer page, when
     * there are newer messages.
     */
    prev?: number | null;
    type: 'history';
} | (UpdateView & {
    type: 'update';
}) | {
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * The conversations.
     */
    items: ConversationSummary[];
    /**
     * The `before` of the next page, or null.
     */
    next?: number | null;
    type: 'conversations';
} | {
    /**
     * When the URL stops working (ms).
     */
    expiresAt: number;
    /**
     * Headers to send exactly as given (the URL's signature covers them).
     */
    headers: {
        [k: string]: string | undefined;
    };
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * Always `PUT`.
     */
    method: string;
    type: 'upload';
    /**
     * The upload's id: attach it with `send`.
     */
    uploadId: string;
    /**
     * Where to send the bytes.
     */
    url: string;
} | {
    /**
     * When it stops working (ms).
     */
    expiresAt: number;
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    type: 'attachment';
    /**
     * GET it.
     */
    url: string;
} | {
    /**
     * An image's upright height.
     */
    height?: number | null;
    /**
     * `ready` or `rejected`.
     */
    status: UploadState;
    /**
     * Whether a thumbnail was made (an image).
     */
    thumbnail: boolean;
    type: 'uploaded';
    /**
     * The upload.
     */
    uploadId: string;
    /**
     * An image's upright width.
     */
    width?: number | null;
} | {
    /**
     * The conversation.
     */
    conversation: Conversation;
    type: 'read';
    /**
     * The new marker.
     */
    upTo: number;
} | {
    /**
     * The recipient who reported it.
     */
    by: UserId;
    /**
     * Its conversation.
     */
    conversation: Conversation;
    /**
     * The message.
     */
    msgId: MsgId;
    /**
     * The status.
     */
    status: ReceiptStatus;
    /**
     * When, ms since the epoch.
     */
    ts: number;
    type: 'receipt';
} | {
    /**
     * Where.
     */
    conversation: Conversation;
    /**
     * Who.
     */
    from: UserId;
    type: 'typing';
} | {
    /**
     * Echo of the frame id, on replies.
     */
    id?: string | null;
    type: 'presence';
    /**
     * The users.
     */
    users: PresenceView[];
} | {
    /**
     * The group id.
     */
    groupId: GroupId;
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * Members, creator first.
     */
    members: UserId[];
    /**
     * Display name.
     */
    name: string;
    type: 'group';
} | {
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    type: 'ok';
} | {
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    type: 'pong';
} | {
    /**
     * The device named on connect, or null.
     */
    device?: DeviceId | null;
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    type: 'whoami';
    /**
     * The verified user id.
     */
    user: UserId;
} | {
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * The deletion job (the `account.deleted` event names it).
     */
    jobId: string;
    type: 'deleting';
} | {
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * The export job (the `account.exported` event names it).
     */
    jobId: string;
    type: 'exporting';
} | {
    /**
     * When the URL stops working (ms): 24 hours after the file was written.
     */
    expiresAt: number;
    /**
     * The export job.
     */
    jobId: string;
    type: 'exported';
    /**
     * A GET of the file, until `expiresAt`.
     */
    url: string;
} | {
    /**
     * Echo of the frame id (the reply only).
     */
    id?: string | null;
    type: 'blocks';
    /**
     * The blocked users, sorted.
     */
    users: UserId[];
} | {
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * Until when (ms), `-1` until unmuted, `null` when unmuted.
     */
    mutedUntil?: number | null;
    type: 'muted';
} | {
    /**
     * Echo of the send's client id.
     */
    clientMsgId?: string | null;
    /**
     * What kind of failure.
     */
    code: ErrorCode;
    /**
     * Echo of the frame id.
     */
    id?: string | null;
    /**
     * Plain words.
     */
    message: string;
    /**
     * With `rate_limited`: when the request may succeed, ms from now.
     */
    retryAfterMs?: number | null;
    type: 'error';
};
/**
 * What an update entry records.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "UpdateKind".
 */
export type UpdateKind = 'edit' | 'delete' | 'reaction';
/**
 * One inbox entry in a `sync` or `history` page: a message, or (in `sync`) the record
 * of an edit or delete at its own seq. Tagged with `type` like the live frames.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "EntryView".
 */
export type EntryView = (InboxEntry & {
    type: 'message';
}) | (UpdateView & {
    type: 'update';
});
/**
 * Where an upload stands.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "UploadState".
 */
export type UploadState = 'pending' | 'ready' | 'rejected';
/**
 * A device id, 1-64 characters (docs/protocol.md).
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "DeviceId".
 */
export type DeviceId = string;
/**
 * The error codes of `error` frames; the set is fixed by the protocol.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ErrorCode".
 */
export type ErrorCode = 'bad_request' | 'unknown_action' | 'unauthorized' | 'forbidden' | 'not_found' | 'too_large' | 'rate_limited' | 'conflict' | 'internal' | 'rejected' | 'unavailable';
/**
 * Every frame of the serverless-chat WebSocket protocol, version 1 (docs/protocol.md). Generated from the Rust types by `CHAT_WRITE_SCHEMA=1 cargo test -p chat-devserver protocol_schema`; do not edit.
 */
export interface ChatProtocol {
    client?: ClientFrame;
    server?: ServerFrame;
}
/**
 * An upload to attach.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "AttachmentRef".
 */
export interface AttachmentRef {
    /**
     * From the `upload` reply.
     */
    uploadId: string;
}
/**
 * Inbox entries after a seq; answered with `sync`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Sync".
 */
export interface Sync {
    /**
     * Entries with a greater seq (default 0).
     */
    after?: number | null;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * 1-100 (default 100).
     */
    limit?: number | null;
}
/**
 * One conversation, newest first; answered with `history`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "History".
 */
export interface History {
    /**
     * Instead of `before`: the messages right after this seq (a page's `prev`).
     */
    after?: number | null;
    /**
     * Instead of `before`: the messages around this seq, the message itself included.
     */
    around?: number | null;
    /**
     * Entries with a smaller seq (the previous page's `next`).
     */
    before?: number | null;
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * 1-100 (default 50).
     */
    limit?: number | null;
}
/**
 * Marks received messages delivered or read; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Receipt".
 */
export interface Receipt {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * 1-100 message ids.
     */
    msgIds: MsgId[];
    /**
     * The new status.
     */
    status: ReceiptStatus;
}
/**
 * Your contacts' presence, and a subscription to its changes; answered with `presence`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Presence".
 */
export interface Presence {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * 1-100 user ids.
     */
    users: UserId[];
}
/**
 * Creates a group with you as its creator; answered with `group`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "GroupCreate".
 */
export interface GroupCreate {
    /**
     * Makes the creation idempotent for 24 hours.
     */
    clientMsgId?: ClientMsgId | null;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The other members (at most 99).
     */
    members?: UserId[] | null;
    /**
     * 1-128 characters.
     */
    name: string;
}
/**
 * Adds members (creator only); answered with `group`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "GroupAdd".
 */
export interface GroupAdd {
    /**
     * The group.
     */
    group: GroupId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * Users to add.
     */
    members: UserId[];
}
/**
 * Removes members (creator only); answered with `group`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "GroupRemove".
 */
export interface GroupRemove {
    /**
     * The group.
     */
    group: GroupId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * Users to remove.
     */
    members: UserId[];
}
/**
 * Leaves a group; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "GroupLeave".
 */
export interface GroupLeave {
    /**
     * The group.
     */
    group: GroupId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * Stops hearing from a user (its messages, typing, receipts and presence stop
 * reaching you; it cannot tell); answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Block".
 */
export interface Block {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The user.
     */
    user: UserId;
}
/**
 * Hears from a blocked user again (new messages only); answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Unblock".
 */
export interface Unblock {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The user.
     */
    user: UserId;
}
/**
 * The users you block; answered with `blocks`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Blocks".
 */
export interface Blocks {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * Deletes your account and its data (docs/reliability.md lists what goes); answered
 * at once with `deleting` and its `jobId`, then every connection is closed and the
 * user id cannot connect again.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "AccountDelete".
 */
export interface AccountDelete {
    /**
     * Your own user id, typed to confirm.
     */
    confirm: UserId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * Writes a copy of your data (the inbox in seq order, conversations, groups, blocks,
 * mutes, device platforms, your attachments with links) to one NDJSON file in the
 * background; answered at once with `exporting` and its `jobId`, then every live
 * connection gets `exported` with a link that works for 24 hours. One export an hour.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "AccountExport".
 */
export interface AccountExport {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * No push for one of your conversations (mentions still push); answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Mute".
 */
export interface Mute {
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * Until when (ms since the epoch); absent: until `unmute`.
     */
    until?: number | null;
}
/**
 * Pushes for the conversation again; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Unmute".
 */
export interface Unmute {
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * Reports a message in your inbox to the app's moderators (a copy of it as you see it
 * now is kept); reporting it again changes nothing; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Report".
 */
export interface Report {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The message (someone else's, in your inbox).
     */
    msgId: MsgId;
    /**
     * Up to 1,000 characters.
     */
    note?: string | null;
    /**
     * `spam`, `harassment`, `hate`, `sexual`, `violence`, `self_harm`, `illegal` or `other`.
     */
    reason: string;
}
/**
 * Keeps an idle connection open; answered with `pong`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Ping".
 */
export interface Ping {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * Who the server takes this connection for; answered with `whoami`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Whoami".
 */
export interface Whoami {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
}
/**
 * Your conversations, most recent first; answered with `conversations`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Conversations".
 */
export interface Conversations {
    /**
     * The previous page's `next`.
     */
    before?: number | null;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * 1-100 (default 50).
     */
    limit?: number | null;
}
/**
 * Moves your read marker; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Read".
 */
export interface Read {
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * A seq in your inbox.
     */
    upTo: number;
}
/**
 * Replaces the body of a message you sent; answered with `ack`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Edit".
 */
export interface Edit {
    /**
     * The new text (1 byte to 16 KiB).
     */
    body: string;
    /**
     * This edit's own id (idempotent resends).
     */
    clientMsgId: ClientMsgId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The message.
     */
    msgId: MsgId;
}
/**
 * Adds (or with `remove`, takes back) an emoji on a message in your inbox; answered
 * with `ack`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "React".
 */
export interface React {
    /**
     * This change's own id (idempotent resends).
     */
    clientMsgId: ClientMsgId;
    /**
     * One emoji (one grapheme cluster, at most 32 bytes).
     */
    emoji: string;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The message.
     */
    msgId: MsgId;
    /**
     * Take it back.
     */
    remove?: boolean | null;
}
/**
 * Takes back a message you sent; answered with `ack`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Delete".
 */
export interface Delete {
    /**
     * This delete's own id (idempotent resends).
     */
    clientMsgId: ClientMsgId;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The message.
     */
    msgId: MsgId;
}
/**
 * A URL to upload a file to (straight to object storage); answered with `upload`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Upload".
 */
export interface Upload {
    /**
     * On the allow-list (images, audio, video/mp4, application/pdf by default).
     */
    contentType: string;
    /**
     * Where it will be sent (you must be in it).
     */
    conversation: Conversation;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The file name shown to the others.
     */
    name?: string | null;
    /**
     * The exact size in bytes (25 MiB at most by default).
     */
    size: number;
}
/**
 * A short-lived URL to download an attachment; answered with `attachment`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Attachment".
 */
export interface Attachment {
    /**
     * One of its attachments.
     */
    attachmentId: string;
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * A message in your inbox.
     */
    msgId: MsgId;
    /**
     * `original` (default) or `thumbnail`.
     */
    variant?: Variant | null;
}
/**
 * Registers this device for push notifications; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "PushRegister".
 */
export interface PushRegister {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The push service.
     */
    platform: Platform;
    /**
     * The device token (at most 1,024 bytes).
     */
    token: string;
}
/**
 * Forgets a device token; answered with `ok`.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "PushUnregister".
 */
export interface PushUnregister {
    /**
     * Echoed on every direct reply (at most 64 characters).
     */
    id?: string | null;
    /**
     * The device token.
     */
    token: string;
}
/**
 * One message in one user's inbox: what the stores keep, and, as is, what clients see in
 * `message` frames and `sync`/`history` pages (`protocol::MessageView`).
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "InboxEntry".
 */
export interface InboxEntry {
    /**
     * Files sent with the message (gone once it is deleted).
     */
    attachments?: Attachment2[];
    /**
     * The text; left out on the wire when empty (a deleted message, or one of
     * attachments only).
     */
    body?: string;
    /**
     * The sender's client id, when a user sent it.
     */
    clientMsgId?: string | null;
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * On a message that was deleted (its body is then empty).
     */
    deleted?: boolean;
    /**
     * On a message that was edited: when it last was (ms).
     */
    editedAt?: number | null;
    /**
     * Sender user id, or [`SYSTEM_SENDER`].
     */
    from: string;
    /**
     * Set on an *update* entry: this seq records an edit or delete of message `msg_id`
     * by `from` (the wire shows it as an `update`, see `protocol::EntryView`).
     */
    kind?: UpdateKind | null;
    /**
     * Users of the conversation the message mentions.
     */
    mentions?: UserId[];
    /**
     * Server id of the message, shared by every participant's entry.
     */
    msgId: MsgId;
    /**
     * The message's reactions as this reader sees them: per emoji, how many users put it
     * there and whether the reader did.
     */
    reactions?: {
        [k: string]: Tally | undefined;
    };
    /**
     * The seq (in this reader's inbox) of the latest reaction change `reactions` already
     * counts: a client holding this copy skips `update`s of kind `reaction` at or below it.
     */
    reactionsSeq?: number | null;
    /**
     * On the sender's own entry: latest receipt status per recipient.
     */
    receipts?: {
        [k: string]: ReceiptStatus | undefined;
    };
    /**
     * A reply: the message it answers, quoted as it was when the reply was sent.
     */
    replyTo?: ReplyTo | null;
    /**
     * Position in this user's inbox (1, 2, 3, ... with no gaps).
     */
    seq: number;
    /**
     * Server time, ms since the epoch.
     */
    ts: number;
}
/**
 * An attachment as it rides on a message (`message` frames, `sync`, `history`).
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Attachment2".
 */
export interface Attachment2 {
    /**
     * Its id: ask for its URL with `attachment`.
     */
    attachmentId: string;
    /**
     * The content type the sender declared.
     */
    contentType: string;
    /**
     * An image's height in pixels (upright).
     */
    height?: number | null;
    /**
     * The file name the sender gave (or `file`).
     */
    name: string;
    /**
     * Bytes.
     */
    size: number;
    /**
     * Whether a thumbnail exists (`variant: "thumbnail"`): images only.
     */
    thumbnail: boolean;
    /**
     * An image's width in pixels (upright).
     */
    width?: number | null;
}
/**
 * One emoji on a message, as the reader sees it.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "Tally".
 */
export interface Tally {
    /**
     * How many users put it there.
     */
    count: number;
    /**
     * Whether the reader is one of them.
     */
    mine: boolean;
}
/**
 * The message a reply answers, as it was when the reply was sent.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ReplyTo".
 */
export interface ReplyTo {
    /**
     * Set (in `history`) when the original has been deleted since.
     */
    deleted?: boolean;
    /**
     * Its sender.
     */
    from: string;
    /**
     * The original message.
     */
    msgId: MsgId;
    /**
     * At most 100 characters of it (left out once the original is deleted).
     */
    preview?: string;
}
/**
 * An edit or delete as clients see it: live as an `update` frame, and at its seq in
 * `sync` pages.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "UpdateView".
 */
export interface UpdateView {
    /**
     * The new text, for an edit.
     */
    body?: string | null;
    /**
     * Who changed it: its sender, or `moderator` for the server API's deletes.
     */
    by: string;
    /**
     * Its conversation.
     */
    conversation: Conversation;
    /**
     * The emoji, for a reaction.
     */
    emoji?: string | null;
    /**
     * `edit`, `delete` or `reaction`.
     */
    kind: UpdateKind;
    /**
     * The message changed.
     */
    msgId: MsgId;
    /**
     * For a reaction: `by` took the emoji back.
     */
    removed?: boolean;
    /**
     * This change's seq in the reader's inbox.
     */
    seq: number;
    /**
     * When (ms).
     */
    ts: number;
}
/**
 * One conversation in a user's conversation list: one per (user, conversation), kept
 * exact by every write to that user's inbox.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "ConversationSummary".
 */
export interface ConversationSummary {
    /**
     * The conversation.
     */
    conversation: Conversation;
    /**
     * The seq of the oldest unread message that mentions the owner, to jump to.
     */
    firstMention?: number | null;
    /**
     * The latest message (edits and deletes of it show).
     */
    last: LastMessage;
    /**
     * The seq of the latest entry of this conversation in the owner's inbox.
     */
    lastSeq: number;
    /**
     * Unread messages that mention the owner (cleared by `read` like `unread`; absent: 0).
     */
    mentions?: number;
    /**
     * While the owner muted it: until when (ms), or `-1` until unmuted. No push then.
     */
    mutedUntil?: number | null;
    /**
     * A group's name (when the last write knew it).
     */
    name?: string | null;
    /**
     * The owner's read marker: a seq in its inbox (0: nothing read).
     */
    readUpTo: number;
    /**
     * Messages from others after `read_up_to`.
     */
    unread: number;
}
/**
 * The last message of a conversation, as the conversation list shows it.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "LastMessage".
 */
export interface LastMessage {
    /**
     * Set when it was deleted.
     */
    deleted?: boolean;
    /**
     * Set when it was edited (ms).
     */
    editedAt?: number | null;
    /**
     * Set when it is past the retention (`chat:retentionDays`): its preview is gone, as is
     * every message of the conversation.
     */
    expired?: boolean;
    /**
     * Its sender.
     */
    from: string;
    /**
     * The message.
     */
    msgId: MsgId;
    /**
     * At most [`PREVIEW_CHARS`] characters of its body (empty once deleted).
     */
    preview: string;
    /**
     * When it was sent (ms).
     */
    ts: number;
}
/**
 * One user's presence.
 *
 * This interface was referenced by `ChatProtocol`'s JSON-Schema
 * via the `definition` "PresenceView".
 */
export interface PresenceView {
    /**
     * When the last connection closed (ms), or null if never seen.
     */
    lastSeen?: number | null;
    /**
     * Whether the user has a live connection.
     */
    online: boolean;
    /**
     * The user.
     */
    user: UserId;
}
