import type { Case, Evidence, ReportReason } from './types.js';
/** An attachment's metadata, as on the protocol's `message`. */
export interface EventAttachment {
    attachmentId: string;
    name: string;
    contentType: string;
    size: number;
    /** Whether a thumbnail exists. */
    thumbnail: boolean;
    width?: number;
    height?: number;
}
/** The protocol's `message`, without the per-reader `seq` (see `seqs`). */
export interface EventMessage {
    msgId: string;
    conversation: string;
    /** A user id, or `system` for what the server API sent as the app. */
    from: string;
    /** Left out when empty (a message of attachments only). */
    body?: string;
    ts: number;
    clientMsgId: string;
    attachments?: EventAttachment[];
}
/** The protocol's `update`, without the per-reader `seq`. */
export interface EventUpdate<K extends 'edit' | 'delete' | 'reaction' = 'edit' | 'delete' | 'reaction'> {
    kind: K;
    msgId: string;
    conversation: string;
    /** The sender, `moderator` for a delete through the server API, or who reacted. */
    by: string;
    ts: number;
    /** The new text of an edit. */
    body?: string;
    /** The emoji of a reaction. */
    emoji?: string;
    /** A reaction taken back. */
    removed?: boolean;
}
/** A group as events carry it. */
export interface EventGroup {
    groupId: string;
    name: string;
    creator: string;
    members: string[];
}
interface Detail {
    /** Unique per change: remember the ids processed to handle each change once even when
     *  EventBridge delivers twice. (Not the envelope's `id`.) */
    id: string;
}
interface InboxChange {
    /** Every participant of the conversation. */
    participants: string[];
    /** The change's seq in each participant's inbox. */
    seqs: Record<string, number>;
}
export interface MessageCreatedDetail extends Detail, InboxChange {
    message: EventMessage;
}
export interface MessageEditedDetail extends Detail, InboxChange {
    update: EventUpdate<'edit'>;
}
export interface MessageDeletedDetail extends Detail, InboxChange {
    update: EventUpdate<'delete'>;
}
/** Someone added (or took back, `removed`) an emoji on a message. */
export interface MessageReactedDetail extends Detail, InboxChange {
    update: EventUpdate<'reaction'>;
}
export interface GroupCreatedDetail extends Detail {
    group: EventGroup;
}
export interface GroupMembersChangedDetail extends Detail {
    /** The group after the change. */
    group: EventGroup;
    added: string[];
    removed: string[];
}
export interface GroupRenamedDetail extends Detail {
    group: EventGroup;
}
export interface GroupDeletedDetail extends Detail {
    group: Omit<EventGroup, 'members'>;
}
export interface UserBannedDetail extends Detail {
    user: string;
    /** Ms since the epoch; absent: until lifted. */
    until?: number;
    reason?: string;
    /** When the ban was made, ms since the epoch (as `Ban.at`). */
    at?: number;
}
export interface UserUnbannedDetail extends Detail {
    user: string;
}
/** One user's report of one message (the protocol's `report`), as `report.created`
 *  carries it. */
export interface EventReport {
    reporter: string;
    reason: ReportReason;
    /** In the reporter's words. */
    note?: string;
    /** When it was reported, ms since the epoch. */
    at: number;
    /** The message as the reporter held it. */
    evidence: Evidence;
}
/** A user's first report of a message: a case was opened, or counts one more reporter. */
export interface ReportCreatedDetail extends Detail {
    report: EventReport;
    /** The case it counts in (the message's id), as `listReports` and `resolveReport` take it. */
    caseId: string;
}
/** A case of the moderation queue was closed (by `resolveReport`, or automatically). */
export interface ReportResolvedDetail extends Detail {
    /** The case as closed, with its `resolution`. */
    case: Case;
}
/** Each event's `detail`, by its `detail-type`. */
export interface ChatEventDetails {
    'message.created': MessageCreatedDetail;
    'message.edited': MessageEditedDetail;
    'message.deleted': MessageDeletedDetail;
    'message.reacted': MessageReactedDetail;
    'group.created': GroupCreatedDetail;
    'group.members_changed': GroupMembersChangedDetail;
    'group.renamed': GroupRenamedDetail;
    'group.deleted': GroupDeletedDetail;
    'user.banned': UserBannedDetail;
    'user.unbanned': UserUnbannedDetail;
    'report.created': ReportCreatedDetail;
    'report.resolved': ReportResolvedDetail;
}
export type ChatEventType = keyof ChatEventDetails;
/** Every `detail-type`, for filters and rules. */
export declare const CHAT_EVENT_TYPES: readonly ChatEventType[];
/** One event, as EventBridge delivers it to a rule's target (a Lambda's `event`, a
 *  webhook's body) and as the devserver lists and POSTs it (`id`, `detail-type`, `source`,
 *  `time`, `detail`; EventBridge adds the rest). A union keyed by `detail-type`: checking
 *  it narrows `detail`. `ChatEvent<'user.banned'>` is the one event. */
export type ChatEvent<T extends ChatEventType = ChatEventType> = {
    [K in T]: {
        'detail-type': K;
        /** The stack's event source (`chat:eventSource`, default `serverless-chat`). */
        source: string;
        /** ISO 8601. */
        time: string;
        /** The envelope's id: EventBridge's own, per put (a change published twice has two);
         *  deduplicate on `detail.id`. */
        id: string;
        detail: ChatEventDetails[K];
        version?: string;
        account?: string;
        region?: string;
        resources?: string[];
    };
}[T];
export {};
