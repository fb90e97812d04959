/** An upload `from` made for this conversation, attached as in the protocol's `send`. */
export interface AttachmentRef {
    uploadId: string;
}
interface SendFields {
    /** A user id, or `system` (a message from the app itself; it has no inbox). */
    from: string;
    /** Text, up to 16 KiB of UTF-8 (may be empty when there are attachments). */
    body: string;
    /** The idempotency key: the same `(from, clientMsgId)` within 24 hours answers the
     *  first ack and stores nothing again, so a failed call is safe to repeat with it. */
    clientMsgId: string;
    /** Uploads `from` made for this conversation (not for `system`). */
    attachments?: AttachmentRef[];
}
/** `POST /v1/messages`: to one user (a 1:1 with `from`) or to a group, never both. */
export type SendMessageRequest = SendFields & ({
    to: string;
    group?: never;
} | {
    group: string;
    to?: never;
});
/** The answer to a send: the protocol's `ack`. */
export interface Ack {
    type: 'ack';
    clientMsgId: string;
    msgId: string;
    /** The message's seq in `from`'s inbox; 0 for `system`, which has none. */
    seq: number;
    /** `dm:<a>:<b>` (ids sorted; `dm:<user>:system` from `system`) or `group:<groupId>`. */
    conversation: string;
    /** Server time, ms since the epoch. */
    ts: number;
}
/** The answer to a moderator's delete (`DELETE /v1/messages/{msgId}`). */
export interface Deleted {
    type: 'deleted';
    msgId: string;
    conversation: string;
}
/** `POST /v1/groups`. */
export interface CreateGroupRequest {
    /** Who creates it (the group is created as if by its `group.create`); a member. */
    creator: string;
    /** 1-128 characters. */
    name: string;
    /** The other members (the creator is added; at most 100 in all). */
    members?: string[];
    /** Idempotency key: a retry with it within 24 hours answers the first group. */
    clientMsgId?: string;
}
/** `POST /v1/groups/{groupId}/members`: one membership change (the cap of 100 holds). */
export interface ChangeMembersRequest {
    add?: string[];
    remove?: string[];
}
export interface Group {
    groupId: string;
    name: string;
    /** In join order, the creator first while a member. */
    members: string[];
    creator: string;
}
/** What group calls answer. */
export interface GroupReply {
    type: 'group';
    group: Group;
}
/** A user's ban, as `GET /v1/users/{userId}` and the ban answer carry it. */
export interface Ban {
    /** Ms since the epoch; absent: until lifted. */
    until?: number;
    reason?: string;
    /** When the ban was made, ms since the epoch. */
    at: number;
}
/** `GET /v1/users/{userId}`. */
export interface User {
    user: string;
    online: boolean;
    /** Live connections now. */
    connections: number;
    /** Ms since the epoch, or `null` for a user never seen. */
    lastSeen: number | null;
    /** The ids of the groups the user is a member of. */
    groups: string[];
    banned: Ban | null;
}
/** `PUT /v1/users/{userId}/ban`. */
export interface BanRequest {
    /** Ms since the epoch; absent: until lifted with `unban`. */
    until?: number;
    reason?: string;
}
export interface BanReply {
    user: string;
    banned: Ban;
    /** How many live connections the ban closed. */
    closed: number;
}
export interface UnbanReply {
    user: string;
    banned: null;
}
/** Why a message was reported (the protocol's `report` reasons). Open-ended: a newer
 *  server may add reasons. */
export type ReportReason = 'spam' | 'harassment' | 'hate' | 'sexual' | 'violence' | 'self_harm' | 'illegal' | 'other' | (string & {});
/** What a moderator did with a case: nothing, a moderator's delete of the message, or a
 *  ban of its sender. */
export type ReportAction = 'dismiss' | 'delete_message' | 'ban_user';
/** A reported message, as the reporter held it when reporting: a later edit or delete
 *  does not change it. */
export interface Evidence {
    msgId: string;
    conversation: string;
    /** Its sender. */
    from: string;
    /** Its text then. */
    body: string;
    /** Its attachments' ids; absent when it had none. */
    attachments?: string[];
    /** When it was sent, ms since the epoch. */
    ts: number;
}
/** How a case was closed. */
export interface Resolution {
    action: ReportAction;
    /** `moderator` (the server API), or `auto` (deleted by `chat:autoHideReports`). */
    by: 'moderator' | 'auto' | (string & {});
    /** Ms since the epoch. */
    at: number;
}
/** One reported message in the moderation queue. */
export interface Case {
    /** The case id: the reported message's id. */
    id: string;
    status: 'open' | 'resolved';
    /** The message as its first reporter saw it. */
    copy: Evidence;
    /** How many distinct users reported it. */
    reporters: number;
    /** Reports per reason: `{"spam": 2}`. */
    reasons: Partial<Record<ReportReason, number>>;
    /** When it was first reported, ms since the epoch. */
    openedAt: number;
    /** Present once resolved. */
    resolution?: Resolution;
}
/** `GET /v1/reports`. */
export interface ListReportsRequest {
    /** Default: `open`. */
    status?: 'open' | 'resolved';
    /** 1-100 (default 50). */
    limit?: number;
    /** The previous page's `next`. */
    cursor?: string;
}
/** A page of cases, oldest first. */
export interface ReportPage {
    reports: Case[];
    /** The `cursor` of the next page; `null` on the last. */
    next: string | null;
}
/** `POST /v1/reports/{id}/resolve`. */
export interface ResolveReportRequest {
    action: ReportAction;
    /** With `ban_user`: the ban's end, ms since the epoch; absent: until lifted. */
    until?: number;
}
/** The answer to a resolve: the case, closed (as it was closed, for a case resolved
 *  already). */
export interface ResolveReportReply {
    report: Case;
}
export {};
