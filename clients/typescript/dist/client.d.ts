import { ChatError } from './errors.js';
import type { ClientFrame, ServerFrame } from './protocol.js';
import { type ChatStorage } from './storage.js';
/** The server frame of one `type`, e.g. `Frame<'ack'>`. */
export type Frame<T extends ServerFrame['type']> = Extract<ServerFrame, {
    type: T;
}>;
export type Ack = Frame<'ack'>;
export type Message = Frame<'message'>;
export type Update = Frame<'update'>;
export type SyncPage = Frame<'sync'>;
export type HistoryPage = Frame<'history'>;
export type ConversationsPage = Frame<'conversations'>;
export type Presence = Frame<'presence'>;
export type Group = Frame<'group'>;
export type UploadUrl = Frame<'upload'>;
export type AttachmentUrl = Frame<'attachment'>;
/** One of your uploads was checked: `ready` to attach, or `rejected`. */
export type Uploaded = Frame<'uploaded'>;
/** Your export is written: a link to its NDJSON file, until `expiresAt` (24 hours). */
export type Exported = Frame<'exported'>;
/** An inbox entry as `sync` returns it: a message or an update. */
export type Entry = SyncPage['messages'][number];
/** A reply's quote of the message it answers: `{ msgId, from, preview?, deleted? }`. */
export type Quote = NonNullable<Message['replyTo']>;
/** A message's reactions as you see them: per emoji, `{ count, mine }`. */
export type Reactions = NonNullable<Message['reactions']>;
/** What `applyUpdate` changes: a message as the server sends it, or an app's own copy of one. */
export type MessageLike = Pick<Message, 'msgId'> & Partial<Pick<Message, 'body' | 'editedAt' | 'deleted' | 'attachments' | 'reactions' | 'reactionsSeq'>>;
/** Emoji an app may offer as the quick choices of a reaction picker (any one emoji is taken). */
export declare const QUICK_REACTIONS: readonly string[];
/**
 * `message` with `update` applied: an edit's new `body` and `editedAt`, a delete (no body,
 * attachments or reactions, `deleted`), or a reaction's count moved by one (`mine` follows
 * when `me` made it). Returns a new object, or `message` itself when the update is about
 * another message or changes nothing. A reaction of yours already shown (`mine`), or the
 * removal of one not shown, changes nothing: applying your own reaction twice (the value
 * `react` resolved with, and the same change synced back) counts it once.
 */
export declare function applyUpdate<M extends MessageLike>(message: M, update: Update, me?: string): M;
/** A conversation was muted or unmuted: `mutedUntil` is ms since the epoch, `-1` until
 *  unmuted, `null` when not muted (the same values as `conversations` items carry). */
export interface Muted {
    conversation: string;
    mutedUntil: number | null;
}
/** Why a message is reported (`report`). */
export type ReportReason = 'spam' | 'harassment' | 'hate' | 'sexual' | 'violence' | 'self_harm' | 'illegal' | 'other';
/** Every reason `report` takes, in the order an app would offer them. */
export declare const REPORT_REASONS: readonly ReportReason[];
/** Whether a conversation's `mutedUntil` (from `conversations` or a `muted` event) means
 *  muted at `now`: `-1` is until unmuted, a time is until then, absent or `null` is not. */
export declare function isMuted(mutedUntil: number | null | undefined, now?: number): boolean;
/** Where the client's connection stands. */
export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline' | 'unauthorized' | 'closed';
/** What the client emits; `on(name, fn)` returns an unsubscribe function. */
export interface ChatEvents {
    /** A message in your inbox, once, in seq order (your own from other devices too). */
    message: Message;
    /** An edit, a delete or a reaction, once, in seq order (fold it into your copy of the
     *  message with `applyUpdate`). A reaction already counted in a message that the same
     *  `sync` brought in its latest state is not emitted again. */
    update: Update;
    receipt: Frame<'receipt'>;
    typing: Frame<'typing'>;
    presence: Presence;
    /** Your read marker moved on another device. */
    read: Frame<'read'>;
    /** One of your uploads was checked (on any of your connections). */
    uploaded: Uploaded;
    /** Your block list changed on another of your connections: the blocked users, sorted
     *  (this connection's own `block`/`unblock` resolve instead). */
    blocks: string[];
    /** A conversation was muted or unmuted on another of your connections (this
     *  connection's own `mute`/`unmute` resolve instead). */
    muted: Muted;
    /** Your account export is written (on every connection): where to download it. */
    exported: Exported;
    /** Every ack, also of sends resent from a previous session's outbox. */
    ack: Ack;
    state: ConnectionState;
    /** Errors that belong to no request: an expired token, a frame the gateway refused. */
    error: ChatError;
}
/** The WebSocket constructor to use (the platform's by default). */
export type WebSocketLike = new (url: string) => WebSocket;
export interface ChatClientOptions {
    /** `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`, or the devserver's `ws://127.0.0.1:8080/`. */
    url: string;
    /** A JWT, or a function giving one, called on every (re)connect (refresh it there). */
    token: string | (() => string | Promise<string>);
    /** Tells a user's devices apart (1-64 of `A-Z a-z 0-9 . _ -`). */
    device?: string;
    /** Defaults to the global `WebSocket` (browsers, Node 22+, React Native). */
    WebSocket?: WebSocketLike;
    /** Keeps the last seq and the outbox; defaults to memory (nothing survives a reload). */
    storage?: ChatStorage;
    /** Requests other than sends fail with `timeout` after this long (ms, default 10 000). */
    requestTimeoutMs?: number;
    /** A ping this often (ms, default 5 min), under the gateway's 10-minute idle timeout. */
    pingIntervalMs?: number;
    /** Reconnect delays: the first at most `initialMs`, doubling up to `maxMs` (defaults 500, 30 000). */
    reconnect?: {
        initialMs?: number;
        maxMs?: number;
    };
    /** A connection not open this long after it was started (ms, default 15 000) is given up and retried. */
    connectTimeoutMs?: number;
}
type Target = {
    to: string;
    group?: never;
} | {
    group: string;
    to?: never;
};
export declare class ChatClient {
    private readonly opts;
    private readonly storage;
    private ws;
    private current;
    private stopped;
    private attempt;
    private nextId;
    private seq;
    /** Our user id, from the token's `sub` (tells our own messages in `sync` apart). */
    private me;
    private readonly buffered;
    private readonly waiting;
    private readonly sends;
    private readonly outbox;
    private readonly listeners;
    private syncing;
    /** The send on the wire: one at a time, so messages keep the order they were sent in. */
    private inFlight;
    private loaded;
    private pingTimer;
    private reconnectTimer;
    private connectTimer;
    /** `uploaded` notices by upload id (the latest 100). */
    private readonly checkedUploads;
    /** The seq of messages seen (delivered, or in history pages) by msgId, the latest KNOWN_SEQS. */
    private readonly messageSeqs;
    /** Seqs acked to this client's own reactions whose entry was not seen yet, by seq: the
     *  reacted msgId (see `onReactAck`). */
    private readonly ownReactions;
    readonly group: {
        create: (name: string, members: string[], clientMsgId?: string) => Promise<Group>;
        add: (group: string, members: string[]) => Promise<Group>;
        remove: (group: string, members: string[]) => Promise<Group>;
        leave: (group: string) => Promise<void>;
    };
    readonly push: {
        register: (platform: "fcm" | "apns" | "apns_sandbox", token: string) => Promise<void>;
        unregister: (token: string) => Promise<void>;
    };
    constructor(options: ChatClientOptions);
    /** Where the connection stands. */
    get state(): ConnectionState;
    /** Your user id: the token's `sub` (known once a token was read), as the server acts for you. */
    get user(): string | undefined;
    /** The last seq of your inbox processed (emitted, or acked to this client). */
    get lastSeq(): number;
    /** Sends (and edits, deletes) not acknowledged yet. */
    get unacked(): number;
    /** The frames of the sends, edits, deletes and reactions not acknowledged yet, oldest first (also
     *  those a previous session left in storage: show them as "sending"). */
    pending(): Array<ClientFrame & {
        clientMsgId: string;
    }>;
    /** Resolves once the storage is read (the last seq and the outbox are known). */
    ready(): Promise<void>;
    /** Subscribes to an event; returns the unsubscribe function. */
    on<K extends keyof ChatEvents>(event: K, fn: (value: ChatEvents[K]) => void): () => void;
    /** Connects (and keeps reconnecting until `close()`); resolves once online. */
    connect(): Promise<void>;
    /** Closes for good: pending requests and sends reject with `closed` (the outbox is kept
     *  in storage, so a new client on the same storage sends it). */
    close(): void;
    /** Sends a message; resolves to its ack once it is stored for every participant (after
     *  reconnects if need be). `clientMsgId` defaults to a fresh ULID; `attachments` are
     *  upload ids from `upload()` (then `body` may be empty); `replyTo` is the msgId of a
     *  message of the same conversation it answers (participants see a quote of it);
     *  `mentions` are users of the conversation it names (at most 50). */
    send(message: Target & {
        body?: string;
        clientMsgId?: string;
        attachments?: string[];
        replyTo?: string;
        mentions?: string[];
    }): Promise<Ack>;
    /** Puts one emoji on a message in your inbox, or with `remove` takes it back. Goes
     *  through the outbox like a send. Resolves with the change as an `update` of kind
     *  `reaction` by you, to fold into your copy with `applyUpdate` like everyone else's
     *  (your other devices get it as an `update` event). Reacting again with the same emoji,
     *  or removing one you did not put there, changes nothing and resolves all the same. */
    react(msgId: string, emoji: string, options?: {
        remove?: boolean;
        clientMsgId?: string;
    }): Promise<Update>;
    /** A URL to upload a file of `size` bytes to, for a message in `conversation`. */
    uploadUrl(conversation: string, file: {
        contentType: string;
        size: number;
        name?: string;
    }): Promise<UploadUrl>;
    /** Uploads `data` straight to storage (never through the WebSocket) and resolves with
     *  the upload id to pass to `send({ attachments })`, once the server has checked the
     *  bytes (a refused upload rejects with `bad_request`). */
    upload(conversation: string, data: Blob | ArrayBuffer | Uint8Array, file: {
        contentType: string;
        name?: string;
    }): Promise<string>;
    /** Resolves with the `uploaded` notice of `uploadId` once the server has checked its
     *  bytes (also when it came before this call), or `undefined` after `timeoutMs`
     *  (a `send` of it then still waits for the check: see docs/client.md). */
    uploaded(uploadId: string, timeoutMs?: number): Promise<Uploaded | undefined>;
    /** A short-lived URL of an attachment of a message in your inbox. */
    attachment(msgId: string, attachmentId: string, variant?: 'original' | 'thumbnail'): Promise<AttachmentUrl>;
    /** Replaces the body of a message you sent; every participant gets an `update`. */
    edit(msgId: string, body: string, clientMsgId?: string): Promise<Ack>;
    /** Takes back a message you sent. */
    delete(msgId: string, clientMsgId?: string): Promise<Ack>;
    /** Fetches and emits everything after the last seq processed (done after every connect). */
    sync(): Promise<void>;
    /** One conversation, newest first; older pages with `before: page.next`. `around: seq`
     *  (a seq of your inbox, such as a conversation's `firstMention`) gives the messages
     *  around it, the message itself included; `after: seq` the ones right after it. After
     *  either, `page.prev` (when newer messages remain) is the `after` of the next newer page. */
    history(conversation: string, page?: {
        before?: number;
        after?: number;
        around?: number;
        limit?: number;
    }): Promise<HistoryPage>;
    /** Your conversations, most recent first, with unread counts; page with `before: page.next`. */
    conversations(page?: {
        before?: number;
        limit?: number;
    }): Promise<ConversationsPage>;
    /** Moves your read marker in a conversation (your other devices are told). */
    read(conversation: string, upTo: number): Promise<void>;
    /** Tells the senders that messages were delivered or read. */
    receipt(msgIds: string[], status: 'delivered' | 'read'): Promise<void>;
    /** A typing indicator (not stored, no reply). */
    typing(target: Target): void;
    /** Who of `users` is online (contacts only; see docs/protocol.md); their changes follow as `presence` events. */
    presence(users: string[]): Promise<Presence['users']>;
    /** Stops hearing from `user`: its messages, typing, receipts and presence stop reaching
     *  you (it cannot tell: its sends are acked as usual); your sends to it are refused
     *  with `forbidden`. Your other connections get a `blocks` event. */
    block(user: string): Promise<void>;
    /** Hears from `user` again (its new messages only). */
    unblock(user: string): Promise<void>;
    /** The users you block, sorted. */
    blocks(): Promise<string[]>;
    /** No push notifications for `conversation` until `until` (ms since the epoch), or until
     *  `unmute` when it is absent; messages and unread counts go on as before. Your other
     *  connections get a `muted` event; `conversations` items carry `mutedUntil`. */
    mute(conversation: string, until?: number): Promise<void>;
    /** Push notifications for `conversation` again. */
    unmute(conversation: string): Promise<void>;
    /** Reports someone else's message in your inbox to the app's moderators (they get a copy
     *  of it as you see it now); `note` is up to 1,000 characters. Reporting it again
     *  changes nothing; a message not in your inbox rejects with `not_found`. */
    report(msgId: string, reason: ReportReason, note?: string): Promise<void>;
    /** Asks for a copy of your data (docs/protocol.md, "Export"); resolves with the job id
     *  at once. The file is written in the background and an `exported` event brings its
     *  link. One export an hour: sooner rejects with `rate_limited`. */
    export(): Promise<string>;
    /** Deletes your account and its data (docs/protocol.md, "Deleting your account");
     *  `confirm` must be your own user id. Resolves with the job id at once; the deletion
     *  runs in the background, the connection is closed shortly after, and reconnecting is
     *  refused (`unauthorized`). */
    deleteAccount(confirm: string): Promise<string>;
    /** Who the server takes this connection for. */
    whoami(): Promise<Frame<'whoami'>>;
    /** Sends any frame and resolves with its direct reply (rejects with the server's error code). */
    request(frame: ClientFrame, timeoutMs?: number): Promise<ServerFrame>;
    private emit;
    private setState;
    private load;
    private persist;
    private enqueue;
    /** Puts the oldest unacked send on the wire, unless one is already there: the server
     *  keeps two sends in order only when the second waits for the first's ack. */
    private pump;
    /** The send `clientMsgId` is settled: the next may go. */
    private settled;
    private transmit;
    private open;
    private retry;
    private startPing;
    private stopPing;
    private failWaiting;
    private onFrame;
    private onAck;
    /** Resolves once every upload `frame` attaches has its `uploaded` notice, or after
     *  NOT_READY_WAIT_MS (a notice can be missed: it is not stored). */
    private untilChecked;
    private onUploaded;
    private onError;
    /** A reaction's ack names the change's seq in your inbox, or, when it changed nothing
     *  (a repeat), the message's own seq: only the first is this client's own entry. Known
     *  message seqs tell them apart; an unknown one waits for its entry (see `deliver`). */
    private onReactAck;
    private knowSeq;
    private deliverOwn;
    /** Takes an entry in (unless seen already); `counted`: a reaction that a message this
     *  sync delivered already shows. Returns whether the entry will be emitted. */
    private deliver;
    private drain;
    private syncPages;
}
export {};
