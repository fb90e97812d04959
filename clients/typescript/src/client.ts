// ChatClient: the reliability rules of docs/protocol.md, done once for every app.
//
// - Reconnects with exponential backoff and full jitter; pings before the gateway's
//   10-minute idle timeout; asks for a fresh token on every (re)connect.
// - Every send goes into an outbox (persisted) until its ack, and goes out when the one
//   before it is acked (so messages keep their order); after a reconnect it is sent
//   again with the same clientMsgId, which the server answers with the first ack.
// - Inbox entries (messages and updates) are emitted exactly once, in seq order: live
//   frames ahead of a gap wait while `sync` fetches what is missing; entries at or below
//   the last seq processed are dropped. The last seq is persisted, so a reload resumes.
// - `applyUpdate` folds an edit, a delete or a reaction into an app's copy of a message.
import { ChatError } from './errors.js';
import type { ClientFrame, ServerFrame } from './protocol.js';
import { type ChatStorage, memoryStorage } from './storage.js';
import { ulid } from './ulid.js';

/** The server frame of one `type`, e.g. `Frame<'ack'>`. */
export type Frame<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
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
export type MessageLike = Pick<Message, 'msgId'> &
  Partial<Pick<Message, 'body' | 'editedAt' | 'deleted' | 'attachments' | 'reactions' | 'reactionsSeq'>>;

/** Emoji an app may offer as the quick choices of a reaction picker (any one emoji is taken). */
export const QUICK_REACTIONS: readonly string[] = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

/**
 * `message` with `update` applied: an edit's new `body` and `editedAt`, a delete (no body,
 * attachments or reactions, `deleted`), or a reaction's count moved by one (`mine` follows
 * when `me` made it). Returns a new object, or `message` itself when the update is about
 * another message or changes nothing. A reaction of yours already shown (`mine`), or the
 * removal of one not shown, changes nothing: applying your own reaction twice (the value
 * `react` resolved with, and the same change synced back) counts it once.
 */
export function applyUpdate<M extends MessageLike>(message: M, update: Update, me?: string): M {
  if (update.msgId !== message.msgId) return message;
  switch (update.kind) {
    case 'edit':
      return { ...message, body: update.body ?? '', editedAt: update.ts };
    case 'delete': {
      const { reactions: _gone, ...rest } = message;
      return { ...rest, body: '', attachments: [], deleted: true } as unknown as M;
    }
    case 'reaction': {
      const emoji = update.emoji;
      if (!emoji || message.deleted) return message;
      const removed = update.removed === true;
      const mineNow = update.by === me;
      const tally = message.reactions?.[emoji] ?? { count: 0, mine: false };
      // Your own change, already there (or already gone): nothing to count.
      if (mineNow && tally.mine !== removed) return message;
      const next = {
        count: Math.max(0, tally.count + (removed ? -1 : 1)),
        mine: mineNow ? !removed : tally.mine,
      };
      const reactions: Reactions = { ...message.reactions };
      if (next.count === 0 && !next.mine) delete reactions[emoji];
      else reactions[emoji] = next;
      const rest = { ...message, reactionsSeq: update.seq };
      delete rest.reactions;
      return Object.keys(reactions).length ? { ...rest, reactions } : rest;
    }
    default:
      return message;
  }
}

/** A conversation was muted or unmuted: `mutedUntil` is ms since the epoch, `-1` until
 *  unmuted, `null` when not muted (the same values as `conversations` items carry). */
export interface Muted {
  conversation: string;
  mutedUntil: number | null;
}

/** Why a message is reported (`report`). */
export type ReportReason = 'spam' | 'harassment' | 'hate' | 'sexual' | 'violence' | 'self_harm' | 'illegal' | 'other';
/** Every reason `report` takes, in the order an app would offer them. */
export const REPORT_REASONS: readonly ReportReason[] = [
  'spam',
  'harassment',
  'hate',
  'sexual',
  'violence',
  'self_harm',
  'illegal',
  'other',
];

/** Whether a conversation's `mutedUntil` (from `conversations` or a `muted` event) means
 *  muted at `now`: `-1` is until unmuted, a time is until then, absent or `null` is not. */
export function isMuted(mutedUntil: number | null | undefined, now: number = Date.now()): boolean {
  return mutedUntil === -1 || (typeof mutedUntil === 'number' && mutedUntil > now);
}

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
  reconnect?: { initialMs?: number; maxMs?: number };
  /** A connection not open this long after it was started (ms, default 15 000) is given up and retried. */
  connectTimeoutMs?: number;
}

type Target = { to: string; group?: never } | { group: string; to?: never };

interface Waiter {
  resolve(frame: ServerFrame): void;
  reject(e: ChatError): void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Outgoing {
  frame: ClientFrame & { clientMsgId: string };
  internalErrors: number;
  rateLimited: number;
  notReady: number;
}

/** A marker for seqs this client learned from its own acks: processed, never emitted. */
const OWN = Symbol('own');
/** How many messages' seqs are remembered (to tell a reaction's own seq from its message's). */
const KNOWN_SEQS = 5_000;
/** WebSocket ready states (numbers, so a WebSocket passed in the options needs no statics). */
const OPEN = 1;
const CLOSING = 2;

/** How often a send refused with `internal` is tried again before it is given up. */
const INTERNAL_RETRIES = 3;
/** How often a send refused with `rate_limited` waits and is tried again. */
const RATE_LIMITED_RETRIES = 20;
/** How often a send whose attachment is not checked yet waits and is tried again: at once
 *  when `uploaded` says its uploads are checked, else after [`NOT_READY_WAIT_MS`]. */
const NOT_READY_RETRIES = 30;
const NOT_READY_WAIT_MS = 1_000;

export class ChatClient {
  private readonly opts: ChatClientOptions;
  private readonly storage: ChatStorage;
  private ws: WebSocket | undefined;
  private current: ConnectionState = 'idle';
  private stopped = true;
  private attempt = 0;
  private nextId = 1;
  private seq = 0;
  /** Our user id, from the token's `sub` (tells our own messages in `sync` apart). */
  private me: string | undefined;
  private readonly buffered = new Map<number, Entry | typeof OWN>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly sends = new Map<string, { resolve(a: Ack): void; reject(e: ChatError): void }>();
  private readonly outbox = new Map<string, Outgoing>();
  private readonly listeners = new Map<keyof ChatEvents, Set<(value: never) => void>>();
  private syncing: Promise<void> | undefined;
  /** The send on the wire: one at a time, so messages keep the order they were sent in. */
  private inFlight: string | undefined;
  private loaded: Promise<void> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** `uploaded` notices by upload id (the latest 100). */
  private readonly checkedUploads = new Map<string, Uploaded>();
  /** The seq of messages seen (delivered, or in history pages) by msgId, the latest KNOWN_SEQS. */
  private readonly messageSeqs = new Map<string, number>();
  /** Seqs acked to this client's own reactions whose entry was not seen yet, by seq: the
   *  reacted msgId (see `onReactAck`). */
  private readonly ownReactions = new Map<number, string>();

  readonly group = {
    create: (name: string, members: string[], clientMsgId?: string) =>
      this.request({ action: 'group.create', name, members, ...(clientMsgId ? { clientMsgId } : {}) }) as Promise<Group>,
    add: (group: string, members: string[]) => this.request({ action: 'group.add', group, members }) as Promise<Group>,
    remove: (group: string, members: string[]) =>
      this.request({ action: 'group.remove', group, members }) as Promise<Group>,
    leave: async (group: string) => {
      await this.request({ action: 'group.leave', group });
    },
  };

  readonly push = {
    register: async (platform: 'fcm' | 'apns' | 'apns_sandbox', token: string) => {
      await this.request({ action: 'push.register', platform, token });
    },
    unregister: async (token: string) => {
      await this.request({ action: 'push.unregister', token });
    },
  };

  constructor(options: ChatClientOptions) {
    this.opts = options;
    this.storage = options.storage ?? memoryStorage();
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.current;
  }

  /** Your user id: the token's `sub` (known once a token was read), as the server acts for you. */
  get user(): string | undefined {
    return this.me;
  }

  /** The last seq of your inbox processed (emitted, or acked to this client). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Sends (and edits, deletes) not acknowledged yet. */
  get unacked(): number {
    return this.outbox.size;
  }

  /** The frames of the sends, edits, deletes and reactions not acknowledged yet, oldest first (also
   *  those a previous session left in storage: show them as "sending"). */
  pending(): Array<ClientFrame & { clientMsgId: string }> {
    return [...this.outbox.values()].map((o) => o.frame);
  }

  /** Resolves once the storage is read (the last seq and the outbox are known). */
  ready(): Promise<void> {
    return this.load();
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ChatEvents>(event: K, fn: (value: ChatEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (value: never) => void);
    return () => set.delete(fn as (value: never) => void);
  }

  /** Connects (and keeps reconnecting until `close()`); resolves once online. */
  async connect(): Promise<void> {
    this.stopped = false;
    await this.load();
    if (this.current === 'online') return;
    const online = new Promise<void>((resolve, reject) => {
      const off = this.on('state', (s) => {
        if (s === 'online') {
          off();
          resolve();
        } else if (s === 'unauthorized' || s === 'closed') {
          off();
          reject(new ChatError(s === 'closed' ? 'closed' : 'unauthorized', `the client is ${s}`));
        }
      });
    });
    if (this.current !== 'connecting') void this.open();
    return online;
  }

  /** Closes for good: pending requests and sends reject with `closed` (the outbox is kept
   *  in storage, so a new client on the same storage sends it). */
  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
    this.stopPing();
    this.ws?.close(1000);
    this.ws = undefined;
    this.failWaiting(new ChatError('closed', 'the client was closed'));
    for (const s of this.sends.values()) s.reject(new ChatError('closed', 'the client was closed'));
    this.sends.clear();
    this.setState('closed');
  }

  /** Sends a message; resolves to its ack once it is stored for every participant (after
   *  reconnects if need be). `clientMsgId` defaults to a fresh ULID; `attachments` are
   *  upload ids from `upload()` (then `body` may be empty); `replyTo` is the msgId of a
   *  message of the same conversation it answers (participants see a quote of it);
   *  `mentions` are users of the conversation it names (at most 50). */
  send(
    message: Target & { body?: string; clientMsgId?: string; attachments?: string[]; replyTo?: string; mentions?: string[] },
  ): Promise<Ack> {
    const { clientMsgId = ulid(), attachments, replyTo, mentions, ...rest } = message;
    const files = attachments?.length ? { attachments: attachments.map((uploadId) => ({ uploadId })) } : {};
    const reply = replyTo ? { replyTo } : {};
    const named = mentions?.length ? { mentions: [...new Set(mentions)] } : {};
    return this.enqueue({ action: 'send', ...rest, ...files, ...reply, ...named, clientMsgId } as Outgoing['frame']);
  }

  /** Puts one emoji on a message in your inbox, or with `remove` takes it back. Goes
   *  through the outbox like a send. Resolves with the change as an `update` of kind
   *  `reaction` by you, to fold into your copy with `applyUpdate` like everyone else's
   *  (your other devices get it as an `update` event). Reacting again with the same emoji,
   *  or removing one you did not put there, changes nothing and resolves all the same. */
  async react(msgId: string, emoji: string, options: { remove?: boolean; clientMsgId?: string } = {}): Promise<Update> {
    const { remove = false, clientMsgId = ulid() } = options;
    const ack = await this.enqueue({ action: 'react', msgId, emoji, ...(remove ? { remove: true } : {}), clientMsgId });
    this.me ??= (await this.whoami().catch(() => undefined))?.user;
    return {
      type: 'update',
      kind: 'reaction',
      msgId: ack.msgId,
      conversation: ack.conversation,
      seq: ack.seq,
      by: this.me ?? '',
      emoji,
      ...(remove ? { removed: true } : {}),
      ts: ack.ts,
    } as Update;
  }

  /** A URL to upload a file of `size` bytes to, for a message in `conversation`. */
  uploadUrl(conversation: string, file: { contentType: string; size: number; name?: string }): Promise<UploadUrl> {
    return this.request({ action: 'upload', conversation, ...file }) as Promise<UploadUrl>;
  }

  /** Uploads `data` straight to storage (never through the WebSocket) and resolves with
   *  the upload id to pass to `send({ attachments })`, once the server has checked the
   *  bytes (a refused upload rejects with `bad_request`). */
  async upload(
    conversation: string,
    data: Blob | ArrayBuffer | Uint8Array,
    file: { contentType: string; name?: string },
  ): Promise<string> {
    const size = data instanceof Uint8Array ? data.byteLength : data instanceof ArrayBuffer ? data.byteLength : data.size;
    const url = await this.uploadUrl(conversation, { ...file, size });
    const headers = url.headers as Record<string, string>;
    const checked = this.uploaded(url.uploadId);
    const put = await fetch(url.url, { method: url.method, headers, body: data as BodyInit });
    if (!put.ok) throw new ChatError('upload_failed', `storage refused the upload (${put.status})`);
    const result = await checked;
    if (result?.status === 'rejected') {
      throw new ChatError('bad_request', 'the upload was refused: its bytes do not match what was declared');
    }
    return url.uploadId;
  }

  /** Resolves with the `uploaded` notice of `uploadId` once the server has checked its
   *  bytes (also when it came before this call), or `undefined` after `timeoutMs`
   *  (a `send` of it then still waits for the check: see docs/client.md). */
  uploaded(uploadId: string, timeoutMs = 15_000): Promise<Uploaded | undefined> {
    const known = this.checkedUploads.get(uploadId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(undefined);
      }, timeoutMs);
      const off = this.on('uploaded', (u) => {
        if (u.uploadId !== uploadId) return;
        clearTimeout(timer);
        off();
        resolve(u);
      });
    });
  }

  /** A short-lived URL of an attachment of a message in your inbox. */
  attachment(msgId: string, attachmentId: string, variant: 'original' | 'thumbnail' = 'original'): Promise<AttachmentUrl> {
    return this.request({ action: 'attachment', msgId, attachmentId, variant }) as Promise<AttachmentUrl>;
  }

  /** Replaces the body of a message you sent; every participant gets an `update`. */
  edit(msgId: string, body: string, clientMsgId: string = ulid()): Promise<Ack> {
    return this.enqueue({ action: 'edit', msgId, body, clientMsgId });
  }

  /** Takes back a message you sent. */
  delete(msgId: string, clientMsgId: string = ulid()): Promise<Ack> {
    return this.enqueue({ action: 'delete', msgId, clientMsgId });
  }

  /** Fetches and emits everything after the last seq processed (done after every connect). */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.syncPages().finally(() => {
        this.syncing = undefined;
        // Live frames that arrived past a gap during the last page: fetch again.
        if (this.buffered.size > 0 && this.current === 'online') void this.sync().catch(() => undefined);
      });
    }
    return this.syncing;
  }

  /** One conversation, newest first; older pages with `before: page.next`. `around: seq`
   *  (a seq of your inbox, such as a conversation's `firstMention`) gives the messages
   *  around it, the message itself included; `after: seq` the ones right after it. After
   *  either, `page.prev` (when newer messages remain) is the `after` of the next newer page. */
  async history(
    conversation: string,
    page: { before?: number; after?: number; around?: number; limit?: number } = {},
  ): Promise<HistoryPage> {
    const reply = (await this.request({ action: 'history', conversation, ...page })) as HistoryPage;
    for (const m of reply.messages) if (m.type !== 'update') this.knowSeq(m.msgId, m.seq);
    return reply;
  }

  /** Your conversations, most recent first, with unread counts; page with `before: page.next`. */
  conversations(page: { before?: number; limit?: number } = {}): Promise<ConversationsPage> {
    return this.request({ action: 'conversations', ...page }) as Promise<ConversationsPage>;
  }

  /** Moves your read marker in a conversation (your other devices are told). */
  async read(conversation: string, upTo: number): Promise<void> {
    await this.request({ action: 'read', conversation, upTo });
  }

  /** Tells the senders that messages were delivered or read. */
  async receipt(msgIds: string[], status: 'delivered' | 'read'): Promise<void> {
    await this.request({ action: 'receipt', msgIds, status });
  }

  /** A typing indicator (not stored, no reply). */
  typing(target: Target): void {
    this.transmit({ action: 'typing', ...target } as ClientFrame);
  }

  /** Who of `users` is online (contacts only; see docs/protocol.md); their changes follow as `presence` events. */
  async presence(users: string[]): Promise<Presence['users']> {
    const reply = (await this.request({ action: 'presence', users })) as Presence;
    return reply.users;
  }

  /** Stops hearing from `user`: its messages, typing, receipts and presence stop reaching
   *  you (it cannot tell: its sends are acked as usual); your sends to it are refused
   *  with `forbidden`. Your other connections get a `blocks` event. */
  async block(user: string): Promise<void> {
    await this.request({ action: 'block', user });
  }

  /** Hears from `user` again (its new messages only). */
  async unblock(user: string): Promise<void> {
    await this.request({ action: 'unblock', user });
  }

  /** The users you block, sorted. */
  async blocks(): Promise<string[]> {
    const reply = (await this.request({ action: 'blocks' })) as Frame<'blocks'>;
    return reply.users;
  }

  /** No push notifications for `conversation` until `until` (ms since the epoch), or until
   *  `unmute` when it is absent; messages and unread counts go on as before. Your other
   *  connections get a `muted` event; `conversations` items carry `mutedUntil`. */
  async mute(conversation: string, until?: number): Promise<void> {
    await this.request({ action: 'mute', conversation, ...(until !== undefined ? { until } : {}) });
  }

  /** Push notifications for `conversation` again. */
  async unmute(conversation: string): Promise<void> {
    await this.request({ action: 'unmute', conversation });
  }

  /** Reports someone else's message in your inbox to the app's moderators (they get a copy
   *  of it as you see it now); `note` is up to 1,000 characters. Reporting it again
   *  changes nothing; a message not in your inbox rejects with `not_found`. */
  async report(msgId: string, reason: ReportReason, note?: string): Promise<void> {
    await this.request({ action: 'report', msgId, reason, ...(note ? { note } : {}) });
  }

  /** Asks for a copy of your data (docs/protocol.md, "Export"); resolves with the job id
   *  at once. The file is written in the background and an `exported` event brings its
   *  link. One export an hour: sooner rejects with `rate_limited`. */
  async export(): Promise<string> {
    const reply = (await this.request({ action: 'account.export' })) as Frame<'exporting'>;
    return reply.jobId;
  }

  /** Deletes your account and its data (docs/protocol.md, "Deleting your account");
   *  `confirm` must be your own user id. Resolves with the job id at once; the deletion
   *  runs in the background, the connection is closed shortly after, and reconnecting is
   *  refused (`unauthorized`). */
  async deleteAccount(confirm: string): Promise<string> {
    const reply = (await this.request({ action: 'account.delete', confirm })) as Frame<'deleting'>;
    return reply.jobId;
  }

  /** Who the server takes this connection for. */
  whoami(): Promise<Frame<'whoami'>> {
    return this.request({ action: 'whoami' }) as Promise<Frame<'whoami'>>;
  }

  /** Sends any frame and resolves with its direct reply (rejects with the server's error code). */
  request(frame: ClientFrame, timeoutMs = this.opts.requestTimeoutMs ?? 10_000): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      if (this.current !== 'online' || !this.ws) {
        reject(new ChatError('offline', `not connected (${this.current})`));
        return;
      }
      const id = `r${this.nextId++}`;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ChatError('timeout', `no reply to ${frame.action} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.transmit({ ...frame, id });
    });
  }

  // ---- internals ----

  private emit<K extends keyof ChatEvents>(event: K, value: ChatEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as (v: ChatEvents[K]) => void)(value);
      } catch (e) {
        // A listener's bug must not break delivery to the others.
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  private setState(s: ConnectionState): void {
    if (this.current === s) return;
    this.current = s;
    this.emit('state', s);
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const seq = Number((await this.storage.get('lastSeq')) ?? 0);
      if (Number.isFinite(seq) && seq > this.seq) this.seq = seq;
      const saved = (await this.storage.get('outbox')) ?? '[]';
      try {
        for (const frame of JSON.parse(saved) as Outgoing['frame'][]) {
          if (!this.outbox.has(frame.clientMsgId)) this.outbox.set(frame.clientMsgId, { frame, internalErrors: 0, rateLimited: 0, notReady: 0 });
        }
      } catch {
        // A corrupt outbox is dropped rather than blocking every start.
      }
    })();
    return this.loaded;
  }

  private persist(): void {
    void Promise.resolve(this.storage.set('lastSeq', String(this.seq))).catch(() => undefined);
    const frames = [...this.outbox.values()].map((o) => o.frame);
    void Promise.resolve(this.storage.set('outbox', JSON.stringify(frames))).catch(() => undefined);
  }

  private enqueue(frame: Outgoing['frame']): Promise<Ack> {
    return new Promise<Ack>((resolve, reject) => {
      this.sends.set(frame.clientMsgId, { resolve, reject });
      this.outbox.set(frame.clientMsgId, { frame, internalErrors: 0, rateLimited: 0, notReady: 0 });
      this.persist();
      this.pump();
    });
  }

  /** Puts the oldest unacked send on the wire, unless one is already there: the server
   *  keeps two sends in order only when the second waits for the first's ack. */
  private pump(): void {
    if (this.inFlight !== undefined || this.current !== 'online') return;
    const next = this.outbox.values().next();
    if (next.done) return;
    this.inFlight = next.value.frame.clientMsgId;
    this.transmit(next.value.frame);
  }

  /** The send `clientMsgId` is settled: the next may go. */
  private settled(clientMsgId: string): void {
    if (this.inFlight === clientMsgId) this.inFlight = undefined;
    this.pump();
  }

  private transmit(frame: object): boolean {
    if (this.current !== 'online' || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    let token: string;
    try {
      token = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
    } catch (e) {
      this.emit('error', new ChatError('unauthorized', `the token function failed: ${String(e)}`));
      return this.retry();
    }
    this.me = claims(token)?.sub ?? this.me;
    if (isExpired(token)) {
      this.emit('error', new ChatError('unauthorized', 'the token has expired; connect with a fresh one'));
      return this.setState('unauthorized');
    }
    const Ws = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketLike }).WebSocket;
    if (!Ws) throw new Error('no WebSocket here: pass one in the options (Node 20: run with --experimental-websocket)');
    const sep = this.opts.url.includes('?') ? '&' : '?';
    const device = this.opts.device ? `&device=${encodeURIComponent(this.opts.device)}` : '';
    const ws = new Ws(`${this.opts.url}${sep}token=${encodeURIComponent(token)}${device}`);
    this.ws = ws;
    let tokenRefused = false;
    // A handshake that never finishes (a half-open network) is given up and retried.
    clearTimeout(this.connectTimer);
    const connectTimer = setTimeout(() => {
      if (this.ws !== ws || ws.readyState === OPEN) return;
      lost();
      try {
        ws.close();
      } catch {
        // closing a socket that never opened: nothing to undo
      }
    }, this.opts.connectTimeoutMs ?? 15_000);
    this.connectTimer = connectTimer;
    // The connection is gone: once, whichever of close, a failed handshake or the timer tells.
    const lost = () => {
      clearTimeout(connectTimer);
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stopPing();
      this.failWaiting(new ChatError('offline', 'the connection closed'));
      if (this.stopped) return this.setState('closed');
      // A session whose token expired: a static token cannot be renewed.
      if (tokenRefused && typeof this.opts.token === 'string') return this.setState('unauthorized');
      this.retry();
    };
    ws.onopen = () => {
      clearTimeout(connectTimer);
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setState('online');
      this.startPing();
      this.inFlight = undefined;
      this.pump();
      void this.sync().catch(() => undefined);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      const frame = parse(ev.data);
      if (frame && frame.type === 'error' && frame.code === 'unauthorized' && !frame.id) tokenRefused = true;
      if (frame) this.onFrame(frame);
    };
    ws.onclose = lost;
    // Browsers follow a failed handshake's error with a close; Node 20's WebSocket (undici 6)
    // fires the error alone, so an error before the connection opened counts as its end.
    ws.onerror = () => {
      if (ws.readyState !== OPEN && ws.readyState !== CLOSING) lost();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.setState('offline');
    const initial = this.opts.reconnect?.initialMs ?? 500;
    const max = this.opts.reconnect?.maxMs ?? 30_000;
    const delay = Math.random() * Math.min(max, initial * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => this.transmit({ action: 'ping' }), this.opts.pingIntervalMs ?? 5 * 60_000);
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
  }

  private failWaiting(e: ChatError): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiting.clear();
  }

  private onFrame(f: ServerFrame): void {
    const id = 'id' in f ? f.id : undefined;
    const waiter = id ? this.waiting.get(id) : undefined;
    if (waiter && id) {
      this.waiting.delete(id);
      clearTimeout(waiter.timer);
      if (f.type === 'error') waiter.reject(new ChatError(f.code, f.message, f.retryAfterMs ?? undefined));
      else waiter.resolve(f);
      return;
    }
    switch (f.type) {
      case 'ack':
        return this.onAck(f);
      case 'message':
      case 'update':
        this.deliver(f as Entry);
        return;
      case 'receipt':
        return this.emit('receipt', f);
      case 'typing':
        return this.emit('typing', f);
      case 'presence':
        return this.emit('presence', f);
      case 'read':
        return this.emit('read', f);
      case 'uploaded':
        return this.onUploaded(f);
      case 'blocks':
        return this.emit('blocks', f.users);
      case 'muted':
        return this.emit('muted', { conversation: f.conversation, mutedUntil: f.mutedUntil ?? null });
      case 'exported':
        return this.emit('exported', f);
      case 'error':
        return this.onError(f);
      default:
        // API Gateway's own error frames have no type.
        if (!('type' in f) && typeof (f as { message?: unknown }).message === 'string') {
          this.emit('error', new ChatError('gateway', (f as { message: string }).message));
        }
    }
  }

  private onAck(a: Ack): void {
    const frame = this.outbox.get(a.clientMsgId)?.frame;
    this.outbox.delete(a.clientMsgId);
    if (frame?.action === 'react') this.onReactAck(a);
    else this.deliverOwn(a.seq);
    if (frame?.action === 'send') this.knowSeq(a.msgId, a.seq);
    this.persist();
    const s = this.sends.get(a.clientMsgId);
    this.sends.delete(a.clientMsgId);
    s?.resolve(a);
    this.emit('ack', a);
    this.settled(a.clientMsgId);
  }

  /** Resolves once every upload `frame` attaches has its `uploaded` notice, or after
   *  NOT_READY_WAIT_MS (a notice can be missed: it is not stored). */
  private async untilChecked(frame: Outgoing['frame']): Promise<void> {
    const ids = ((frame as { attachments?: { uploadId: string }[] }).attachments ?? []).map((a) => a.uploadId);
    if (ids.length === 0) await new Promise((r) => setTimeout(r, NOT_READY_WAIT_MS));
    await Promise.all(ids.map((id) => this.uploaded(id, NOT_READY_WAIT_MS)));
  }

  private onUploaded(u: Uploaded): void {
    this.checkedUploads.set(u.uploadId, u);
    // Only recent ones matter (a send follows its upload within seconds).
    if (this.checkedUploads.size > 100) {
      const oldest = this.checkedUploads.keys().next().value;
      if (oldest !== undefined) this.checkedUploads.delete(oldest);
    }
    this.emit('uploaded', u);
  }

  private onError(e: Frame<'error'>): void {
    const cid = e.clientMsgId ?? undefined;
    const out = cid ? this.outbox.get(cid) : undefined;
    if (cid && out) {
      // A server-side failure: the same clientMsgId is always safe to send again.
      if (e.code === 'internal' && ++out.internalErrors <= INTERNAL_RETRIES) {
        setTimeout(() => this.transmit(out.frame), 500 * out.internalErrors);
        return;
      }
      // An attachment still being checked (a second or so after its upload): wait, send again.
      if (e.code === 'bad_request' && /not complete/.test(e.message) && ++out.notReady <= NOT_READY_RETRIES) {
        void this.untilChecked(out.frame).then(() => this.transmit(out.frame));
        return;
      }
      // Over the per-user send limit: wait as long as the server says, then send again.
      if (e.code === 'rate_limited' && ++out.rateLimited <= RATE_LIMITED_RETRIES) {
        setTimeout(() => this.transmit(out.frame), (e.retryAfterMs ?? 1_000) + Math.random() * 100);
        return;
      }
      this.outbox.delete(cid);
      this.persist();
      const s = this.sends.get(cid);
      this.sends.delete(cid);
      const err = new ChatError(e.code, e.message, e.retryAfterMs ?? undefined);
      if (s) s.reject(err);
      else this.emit('error', err);
      return this.settled(cid);
    }
    this.emit('error', new ChatError(e.code, e.message, e.retryAfterMs ?? undefined));
  }

  /** A reaction's ack names the change's seq in your inbox, or, when it changed nothing
   *  (a repeat), the message's own seq: only the first is this client's own entry. Known
   *  message seqs tell them apart; an unknown one waits for its entry (see `deliver`). */
  private onReactAck(a: Ack): void {
    if (a.seq <= this.seq) return;
    const known = this.messageSeqs.get(a.msgId);
    if (known === a.seq) return;
    if (known !== undefined) return this.deliverOwn(a.seq);
    this.ownReactions.set(a.seq, a.msgId);
    if (this.current === 'online') void this.sync().catch(() => undefined);
  }

  private knowSeq(msgId: string, seq: number): void {
    this.messageSeqs.delete(msgId);
    this.messageSeqs.set(msgId, seq);
    if (this.messageSeqs.size > KNOWN_SEQS) {
      const oldest = this.messageSeqs.keys().next().value;
      if (oldest !== undefined) this.messageSeqs.delete(oldest);
    }
  }

  private deliverOwn(seq: number): void {
    if (seq <= this.seq) return;
    this.buffered.set(seq, OWN);
    this.drain();
  }

  /** Takes an entry in (unless seen already); `counted`: a reaction that a message this
   *  sync delivered already shows. Returns whether the entry will be emitted. */
  private deliver(entry: Entry, counted = false): boolean {
    if (entry.seq <= this.seq) return false; // seen already: a duplicate, or replayed by sync
    if (entry.type === 'message') this.knowSeq(entry.msgId, entry.seq);
    // One of our own sends whose ack is still on its way (a sync can overtake it): the
    // ack tells the sender; it is not a message from elsewhere.
    const own =
      (entry.type === 'message' &&
        entry.from === this.me &&
        typeof entry.clientMsgId === 'string' &&
        this.outbox.has(entry.clientMsgId)) ||
      // This client's own reaction, acked before its entry was known.
      (entry.type === 'update' && entry.kind === 'reaction' && this.ownReactions.get(entry.seq) === entry.msgId && entry.by === this.me);
    this.ownReactions.delete(entry.seq);
    this.buffered.set(entry.seq, own || counted ? OWN : entry);
    this.drain();
    return !own && !counted;
  }

  private drain(): void {
    const before = this.seq;
    for (let next = this.seq + 1; this.buffered.has(next); next++) {
      const e = this.buffered.get(next);
      this.buffered.delete(next);
      this.seq = next;
      if (e === OWN || e === undefined) continue;
      if (e.type === 'update') this.emit('update', e as Update);
      else this.emit('message', e as Message);
    }
    if (this.seq !== before) {
      this.persist();
      for (const seq of this.ownReactions.keys()) if (seq <= this.seq) this.ownReactions.delete(seq);
    }
    // Something is missing below what arrived: fetch it.
    if (this.buffered.size > 0 && !this.syncing && this.current === 'online') void this.sync().catch(() => undefined);
  }

  private async syncPages(): Promise<void> {
    let after = this.seq;
    // Messages this sync emitted: they come in their latest state, their reactions counted.
    const fresh = new Set<string>();
    for (;;) {
      const page = (await this.request({ action: 'sync', after, limit: 100 })) as SyncPage;
      for (const e of page.messages) {
        const counted = e.type === 'update' && e.kind === 'reaction' && fresh.has(e.msgId);
        if (this.deliver(e, counted) && e.type === 'message') fresh.add(e.msgId);
      }
      if (page.next === null || page.next === undefined) return;
      after = page.next;
    }
  }
}

function parse(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const v = JSON.parse(data) as unknown;
    return v && typeof v === 'object' ? (v as ServerFrame) : undefined;
  } catch {
    return undefined;
  }
}

/** A JWT's claims, if it is one we can read (the server verifies it; this only looks). */
function claims(token: string): { sub?: string; exp?: number } | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const c = JSON.parse(decodeBase64Url(part)) as { sub?: unknown; exp?: unknown };
    return {
      sub: typeof c.sub === 'string' ? c.sub : undefined,
      exp: typeof c.exp === 'number' ? c.exp : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Whether a JWT's `exp` has passed (a token that is not a readable JWT is left to the server). */
function isExpired(token: string, nowMs = Date.now()): boolean {
  const exp = claims(token)?.exp;
  return exp !== undefined && exp * 1000 <= nowMs;
}

function decodeBase64Url(s: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of s.replace(/=+$/, '')) {
    const v = alphabet.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
    if (v < 0) throw new Error('not base64url');
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >> bits) & 0xff);
    }
  }
  const Decoder = (globalThis as { TextDecoder?: typeof TextDecoder }).TextDecoder;
  if (Decoder) return new Decoder().decode(new Uint8Array(bytes));
  // Older React Native: no TextDecoder; claims are ASCII in practice, so this is enough.
  return String.fromCharCode(...bytes);
}
