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
import { memoryStorage } from './storage.js';
import { ulid } from './ulid.js';
/** Emoji an app may offer as the quick choices of a reaction picker (any one emoji is taken). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
/**
 * `message` with `update` applied: an edit's new `body` and `editedAt`, a delete (no body,
 * attachments or reactions, `deleted`), or a reaction's count moved by one (`mine` follows
 * when `me` made it). Returns a new object, or `message` itself when the update is about
 * another message or changes nothing. A reaction of yours already shown (`mine`), or the
 * removal of one not shown, changes nothing: applying your own reaction twice (the value
 * `react` resolved with, and the same change synced back) counts it once.
 */
export function applyUpdate(message, update, me) {
    if (update.msgId !== message.msgId)
        return message;
    switch (update.kind) {
        case 'edit':
            return { ...message, body: update.body ?? '', editedAt: update.ts };
        case 'delete': {
            const { reactions: _gone, ...rest } = message;
            return { ...rest, body: '', attachments: [], deleted: true };
        }
        case 'reaction': {
            const emoji = update.emoji;
            if (!emoji || message.deleted)
                return message;
            const removed = update.removed === true;
            const mineNow = update.by === me;
            const tally = message.reactions?.[emoji] ?? { count: 0, mine: false };
            // Your own change, already there (or already gone): nothing to count.
            if (mineNow && tally.mine !== removed)
                return message;
            const next = {
                count: Math.max(0, tally.count + (removed ? -1 : 1)),
                mine: mineNow ? !removed : tally.mine,
            };
            const reactions = { ...message.reactions };
            if (next.count === 0 && !next.mine)
                delete reactions[emoji];
            else
                reactions[emoji] = next;
            const rest = { ...message, reactionsSeq: update.seq };
            delete rest.reactions;
            return Object.keys(reactions).length ? { ...rest, reactions } : rest;
        }
        default:
            return message;
    }
}
/** Every reason `report` takes, in the order an app would offer them. */
export const REPORT_REASONS = [
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
export function isMuted(mutedUntil, now = Date.now()) {
    return mutedUntil === -1 || (typeof mutedUntil === 'number' && mutedUntil > now);
}
/** A marker for seqs this client learned from its own acks: processed, never emitted. */
const OWN = Symbol('own');
/** How many messages' seqs are remembered (to tell a reaction's own seq from its message's). */
const KNOWN_SEQS = 5000;
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
const NOT_READY_WAIT_MS = 1000;
export class ChatClient {
    constructor(options) {
        this.current = 'idle';
        this.stopped = true;
        this.attempt = 0;
        this.nextId = 1;
        this.seq = 0;
        this.buffered = new Map();
        this.waiting = new Map();
        this.sends = new Map();
        this.outbox = new Map();
        this.listeners = new Map();
        /** `uploaded` notices by upload id (the latest 100). */
        this.checkedUploads = new Map();
        /** The seq of messages seen (delivered, or in history pages) by msgId, the latest KNOWN_SEQS. */
        this.messageSeqs = new Map();
        /** Seqs acked to this client's own reactions whose entry was not seen yet, by seq: the
         *  reacted msgId (see `onReactAck`). */
        this.ownReactions = new Map();
        this.group = {
            create: (name, members, clientMsgId) => this.request({ action: 'group.create', name, members, ...(clientMsgId ? { clientMsgId } : {}) }),
            add: (group, members) => this.request({ action: 'group.add', group, members }),
            remove: (group, members) => this.request({ action: 'group.remove', group, members }),
            leave: async (group) => {
                await this.request({ action: 'group.leave', group });
            },
        };
        this.push = {
            register: async (platform, token) => {
                await this.request({ action: 'push.register', platform, token });
            },
            unregister: async (token) => {
                await this.request({ action: 'push.unregister', token });
            },
        };
        this.opts = options;
        this.storage = options.storage ?? memoryStorage();
    }
    /** Where the connection stands. */
    get state() {
        return this.current;
    }
    /** Your user id: the token's `sub` (known once a token was read), as the server acts for you. */
    get user() {
        return this.me;
    }
    /** The last seq of your inbox processed (emitted, or acked to this client). */
    get lastSeq() {
        return this.seq;
    }
    /** Sends (and edits, deletes) not acknowledged yet. */
    get unacked() {
        return this.outbox.size;
    }
    /** The frames of the sends, edits, deletes and reactions not acknowledged yet, oldest first (also
     *  those a previous session left in storage: show them as "sending"). */
    pending() {
        return [...this.outbox.values()].map((o) => o.frame);
    }
    /** Resolves once the storage is read (the last seq and the outbox are known). */
    ready() {
        return this.load();
    }
    /** Subscribes to an event; returns the unsubscribe function. */
    on(event, fn) {
        let set = this.listeners.get(event);
        if (!set)
            this.listeners.set(event, (set = new Set()));
        set.add(fn);
        return () => set.delete(fn);
    }
    /** Connects (and keeps reconnecting until `close()`); resolves once online. */
    async connect() {
        this.stopped = false;
        await this.load();
        if (this.current === 'online')
            return;
        const online = new Promise((resolve, reject) => {
            const off = this.on('state', (s) => {
                if (s === 'online') {
                    off();
                    resolve();
                }
                else if (s === 'unauthorized' || s === 'closed') {
                    off();
                    reject(new ChatError(s === 'closed' ? 'closed' : 'unauthorized', `the client is ${s}`));
                }
            });
        });
        if (this.current !== 'connecting')
            void this.open();
        return online;
    }
    /** Closes for good: pending requests and sends reject with `closed` (the outbox is kept
     *  in storage, so a new client on the same storage sends it). */
    close() {
        this.stopped = true;
        clearTimeout(this.reconnectTimer);
        clearTimeout(this.connectTimer);
        this.stopPing();
        this.ws?.close(1000);
        this.ws = undefined;
        this.failWaiting(new ChatError('closed', 'the client was closed'));
        for (const s of this.sends.values())
            s.reject(new ChatError('closed', 'the client was closed'));
        this.sends.clear();
        this.setState('closed');
    }
    /** Sends a message; resolves to its ack once it is stored for every participant (after
     *  reconnects if need be). `clientMsgId` defaults to a fresh ULID; `attachments` are
     *  upload ids from `upload()` (then `body` may be empty); `replyTo` is the msgId of a
     *  message of the same conversation it answers (participants see a quote of it);
     *  `mentions` are users of the conversation it names (at most 50). */
    send(message) {
        const { clientMsgId = ulid(), attachments, replyTo, mentions, ...rest } = message;
        const files = attachments?.length ? { attachments: attachments.map((uploadId) => ({ uploadId })) } : {};
        const reply = replyTo ? { replyTo } : {};
        const named = mentions?.length ? { mentions: [...new Set(mentions)] } : {};
        return this.enqueue({ action: 'send', ...rest, ...files, ...reply, ...named, clientMsgId });
    }
    /** Puts one emoji on a message in your inbox, or with `remove` takes it back. Goes
     *  through the outbox like a send. Resolves with the change as an `update` of kind
     *  `reaction` by you, to fold into your copy with `applyUpdate` like everyone else's
     *  (your other devices get it as an `update` event). Reacting again with the same emoji,
     *  or removing one you did not put there, changes nothing and resolves all the same. */
    async react(msgId, emoji, options = {}) {
        const { remove = false, clientMsgId = ulid() } = options;
        const ack = await this.enqueue({ action: 'react', msgId, emoji, ...(remove ? { remove: true } : {}), clientMsgId });
        this.me ?? (this.me = (await this.whoami().catch(() => undefined))?.user);
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
        };
    }
    /** A URL to upload a file of `size` bytes to, for a message in `conversation`. */
    uploadUrl(conversation, file) {
        return this.request({ action: 'upload', conversation, ...file });
    }
    /** Uploads `data` straight to storage (never through the WebSocket) and resolves with
     *  the upload id to pass to `send({ attachments })`, once the server has checked the
     *  bytes (a refused upload rejects with `bad_request`). */
    async upload(conversation, data, file) {
        const size = data instanceof Uint8Array ? data.byteLength : data instanceof ArrayBuffer ? data.byteLength : data.size;
        const url = await this.uploadUrl(conversation, { ...file, size });
        const headers = url.headers;
        const checked = this.uploaded(url.uploadId);
        const put = await fetch(url.url, { method: url.method, headers, body: data });
        if (!put.ok)
            throw new ChatError('upload_failed', `storage refused the upload (${put.status})`);
        const result = await checked;
        if (result?.status === 'rejected') {
            throw new ChatError('bad_request', 'the upload was refused: its bytes do not match what was declared');
        }
        return url.uploadId;
    }
    /** Resolves with the `uploaded` notice of `uploadId` once the server has checked its
     *  bytes (also when it came before this call), or `undefined` after `timeoutMs`
     *  (a `send` of it then still waits for the check: see docs/client.md). */
    uploaded(uploadId, timeoutMs = 15000) {
        const known = this.checkedUploads.get(uploadId);
        if (known)
            return Promise.resolve(known);
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                off();
                resolve(undefined);
            }, timeoutMs);
            const off = this.on('uploaded', (u) => {
                if (u.uploadId !== uploadId)
                    return;
                clearTimeout(timer);
                off();
                resolve(u);
            });
        });
    }
    /** A short-lived URL of an attachment of a message in your inbox. */
    attachment(msgId, attachmentId, variant = 'original') {
        return this.request({ action: 'attachment', msgId, attachmentId, variant });
    }
    /** Replaces the body of a message you sent; every participant gets an `update`. */
    edit(msgId, body, clientMsgId = ulid()) {
        return this.enqueue({ action: 'edit', msgId, body, clientMsgId });
    }
    /** Takes back a message you sent. */
    delete(msgId, clientMsgId = ulid()) {
        return this.enqueue({ action: 'delete', msgId, clientMsgId });
    }
    /** Fetches and emits everything after the last seq processed (done after every connect). */
    sync() {
        if (!this.syncing) {
            this.syncing = this.syncPages().finally(() => {
                this.syncing = undefined;
                // Live frames that arrived past a gap during the last page: fetch again.
                if (this.buffered.size > 0 && this.current === 'online')
                    void this.sync().catch(() => undefined);
            });
        }
        return this.syncing;
    }
    /** One conversation, newest first; older pages with `before: page.next`. `around: seq`
     *  (a seq of your inbox, such as a conversation's `firstMention`) gives the messages
     *  around it, the message itself included; `after: seq` the ones right after it. After
     *  either, `page.prev` (when newer messages remain) is the `after` of the next newer page. */
    async history(conversation, page = {}) {
        const reply = (await this.request({ action: 'history', conversation, ...page }));
        for (const m of reply.messages)
            if (m.type !== 'update')
                this.knowSeq(m.msgId, m.seq);
        return reply;
    }
    /** Your conversations, most recent first, with unread counts; page with `before: page.next`. */
    conversations(page = {}) {
        return this.request({ action: 'conversations', ...page });
    }
    /** Moves your read marker in a conversation (your other devices are told). */
    async read(conversation, upTo) {
        await this.request({ action: 'read', conversation, upTo });
    }
    /** Tells the senders that messages were delivered or read. */
    async receipt(msgIds, status) {
        await this.request({ action: 'receipt', msgIds, status });
    }
    /** A typing indicator (not stored, no reply). */
    typing(target) {
        this.transmit({ action: 'typing', ...target });
    }
    /** Who of `users` is online (contacts only; see docs/protocol.md); their changes follow as `presence` events. */
    async presence(users) {
        const reply = (await this.request({ action: 'presence', users }));
        return reply.users;
    }
    /** Stops hearing from `user`: its messages, typing, receipts and presence stop reaching
     *  you (it cannot tell: its sends are acked as usual); your sends to it are refused
     *  with `forbidden`. Your other connections get a `blocks` event. */
    async block(user) {
        await this.request({ action: 'block', user });
    }
    /** Hears from `user` again (its new messages only). */
    async unblock(user) {
        await this.request({ action: 'unblock', user });
    }
    /** The users you block, sorted. */
    async blocks() {
        const reply = (await this.request({ action: 'blocks' }));
        return reply.users;
    }
    /** No push notifications for `conversation` until `until` (ms since the epoch), or until
     *  `unmute` when it is absent; messages and unread counts go on as before. Your other
     *  connections get a `muted` event; `conversations` items carry `mutedUntil`. */
    async mute(conversation, until) {
        await this.request({ action: 'mute', conversation, ...(until !== undefined ? { until } : {}) });
    }
    /** Push notifications for `conversation` again. */
    async unmute(conversation) {
        await this.request({ action: 'unmute', conversation });
    }
    /** Reports someone else's message in your inbox to the app's moderators (they get a copy
     *  of it as you see it now); `note` is up to 1,000 characters. Reporting it again
     *  changes nothing; a message not in your inbox rejects with `not_found`. */
    async report(msgId, reason, note) {
        await this.request({ action: 'report', msgId, reason, ...(note ? { note } : {}) });
    }
    /** Asks for a copy of your data (docs/protocol.md, "Export"); resolves with the job id
     *  at once. The file is written in the background and an `exported` event brings its
     *  link. One export an hour: sooner rejects with `rate_limited`. */
    async export() {
        const reply = (await this.request({ action: 'account.export' }));
        return reply.jobId;
    }
    /** Deletes your account and its data (docs/protocol.md, "Deleting your account");
     *  `confirm` must be your own user id. Resolves with the job id at once; the deletion
     *  runs in the background, the connection is closed shortly after, and reconnecting is
     *  refused (`unauthorized`). */
    async deleteAccount(confirm) {
        const reply = (await this.request({ action: 'account.delete', confirm }));
        return reply.jobId;
    }
    /** Who the server takes this connection for. */
    whoami() {
        return this.request({ action: 'whoami' });
    }
    /** Sends any frame and resolves with its direct reply (rejects with the server's error code). */
    request(frame, timeoutMs = this.opts.requestTimeoutMs ?? 10000) {
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
    emit(event, value) {
        for (const fn of this.listeners.get(event) ?? []) {
            try {
                fn(value);
            }
            catch (e) {
                // A listener's bug must not break delivery to the others.
                setTimeout(() => {
                    throw e;
                });
            }
        }
    }
    setState(s) {
        if (this.current === s)
            return;
        this.current = s;
        this.emit('state', s);
    }
    load() {
        this.loaded ?? (this.loaded = (async () => {
            const seq = Number((await this.storage.get('lastSeq')) ?? 0);
            if (Number.isFinite(seq) && seq > this.seq)
                this.seq = seq;
            const saved = (await this.storage.get('outbox')) ?? '[]';
            try {
                for (const frame of JSON.parse(saved)) {
                    if (!this.outbox.has(frame.clientMsgId))
                        this.outbox.set(frame.clientMsgId, { frame, internalErrors: 0, rateLimited: 0, notReady: 0 });
                }
            }
            catch {
                // A corrupt outbox is dropped rather than blocking every start.
            }
        })());
        return this.loaded;
    }
    persist() {
        void Promise.resolve(this.storage.set('lastSeq', String(this.seq))).catch(() => undefined);
        const frames = [...this.outbox.values()].map((o) => o.frame);
        void Promise.resolve(this.storage.set('outbox', JSON.stringify(frames))).catch(() => undefined);
    }
    enqueue(frame) {
        return new Promise((resolve, reject) => {
            this.sends.set(frame.clientMsgId, { resolve, reject });
            this.outbox.set(frame.clientMsgId, { frame, internalErrors: 0, rateLimited: 0, notReady: 0 });
            this.persist();
            this.pump();
        });
    }
    /** Puts the oldest unacked send on the wire, unless one is already there: the server
     *  keeps two sends in order only when the second waits for the first's ack. */
    pump() {
        if (this.inFlight !== undefined || this.current !== 'online')
            return;
        const next = this.outbox.values().next();
        if (next.done)
            return;
        this.inFlight = next.value.frame.clientMsgId;
        this.transmit(next.value.frame);
    }
    /** The send `clientMsgId` is settled: the next may go. */
    settled(clientMsgId) {
        if (this.inFlight === clientMsgId)
            this.inFlight = undefined;
        this.pump();
    }
    transmit(frame) {
        if (this.current !== 'online' || !this.ws)
            return false;
        try {
            this.ws.send(JSON.stringify(frame));
            return true;
        }
        catch {
            return false;
        }
    }
    async open() {
        if (this.stopped)
            return;
        this.setState('connecting');
        let token;
        try {
            token = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
        }
        catch (e) {
            this.emit('error', new ChatError('unauthorized', `the token function failed: ${String(e)}`));
            return this.retry();
        }
        this.me = claims(token)?.sub ?? this.me;
        if (isExpired(token)) {
            this.emit('error', new ChatError('unauthorized', 'the token has expired; connect with a fresh one'));
            return this.setState('unauthorized');
        }
        const Ws = this.opts.WebSocket ?? globalThis.WebSocket;
        if (!Ws)
            throw new Error('no WebSocket here: pass one in the options (Node 20: run with --experimental-websocket)');
        const sep = this.opts.url.includes('?') ? '&' : '?';
        const device = this.opts.device ? `&device=${encodeURIComponent(this.opts.device)}` : '';
        const ws = new Ws(`${this.opts.url}${sep}token=${encodeURIComponent(token)}${device}`);
        this.ws = ws;
        let tokenRefused = false;
        // A handshake that never finishes (a half-open network) is given up and retried.
        clearTimeout(this.connectTimer);
        const connectTimer = setTimeout(() => {
            if (this.ws !== ws || ws.readyState === OPEN)
                return;
            lost();
            try {
                ws.close();
            }
            catch {
                // closing a socket that never opened: nothing to undo
            }
        }, this.opts.connectTimeoutMs ?? 15000);
        this.connectTimer = connectTimer;
        // The connection is gone: once, whichever of close, a failed handshake or the timer tells.
        const lost = () => {
            clearTimeout(connectTimer);
            if (this.ws !== ws)
                return;
            this.ws = undefined;
            this.stopPing();
            this.failWaiting(new ChatError('offline', 'the connection closed'));
            if (this.stopped)
                return this.setState('closed');
            // A session whose token expired: a static token cannot be renewed.
            if (tokenRefused && typeof this.opts.token === 'string')
                return this.setState('unauthorized');
            this.retry();
        };
        ws.onopen = () => {
            clearTimeout(connectTimer);
            if (this.ws !== ws)
                return;
            this.attempt = 0;
            this.setState('online');
            this.startPing();
            this.inFlight = undefined;
            this.pump();
            void this.sync().catch(() => undefined);
        };
        ws.onmessage = (ev) => {
            if (this.ws !== ws)
                return;
            const frame = parse(ev.data);
            if (frame && frame.type === 'error' && frame.code === 'unauthorized' && !frame.id)
                tokenRefused = true;
            if (frame)
                this.onFrame(frame);
        };
        ws.onclose = lost;
        // Browsers follow a failed handshake's error with a close; Node 20's WebSocket (undici 6)
        // fires the error alone, so an error before the connection opened counts as its end.
        ws.onerror = () => {
            if (ws.readyState !== OPEN && ws.readyState !== CLOSING)
                lost();
        };
    }
    retry() {
        if (this.stopped)
            return;
        this.setState('offline');
        const initial = this.opts.reconnect?.initialMs ?? 500;
        const max = this.opts.reconnect?.maxMs ?? 30000;
        const delay = Math.random() * Math.min(max, initial * 2 ** this.attempt);
        this.attempt = Math.min(this.attempt + 1, 30);
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = setTimeout(() => void this.open(), delay);
    }
    startPing() {
        this.stopPing();
        this.pingTimer = setInterval(() => this.transmit({ action: 'ping' }), this.opts.pingIntervalMs ?? 5 * 60000);
    }
    stopPing() {
        clearInterval(this.pingTimer);
    }
    failWaiting(e) {
        for (const w of this.waiting.values()) {
            clearTimeout(w.timer);
            w.reject(e);
        }
        this.waiting.clear();
    }
    onFrame(f) {
        const id = 'id' in f ? f.id : undefined;
        const waiter = id ? this.waiting.get(id) : undefined;
        if (waiter && id) {
            this.waiting.delete(id);
            clearTimeout(waiter.timer);
            if (f.type === 'error')
                waiter.reject(new ChatError(f.code, f.message, f.retryAfterMs ?? undefined));
            else
                waiter.resolve(f);
            return;
        }
        switch (f.type) {
            case 'ack':
                return this.onAck(f);
            case 'message':
            case 'update':
                this.deliver(f);
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
                if (!('type' in f) && typeof f.message === 'string') {
                    this.emit('error', new ChatError('gateway', f.message));
                }
        }
    }
    onAck(a) {
        const frame = this.outbox.get(a.clientMsgId)?.frame;
        this.outbox.delete(a.clientMsgId);
        if (frame?.action === 'react')
            this.onReactAck(a);
        else
            this.deliverOwn(a.seq);
        if (frame?.action === 'send')
            this.knowSeq(a.msgId, a.seq);
        this.persist();
        const s = this.sends.get(a.clientMsgId);
        this.sends.delete(a.clientMsgId);
        s?.resolve(a);
        this.emit('ack', a);
        this.settled(a.clientMsgId);
    }
    /** Resolves once every upload `frame` attaches has its `uploaded` notice, or after
     *  NOT_READY_WAIT_MS (a notice can be missed: it is not stored). */
    async untilChecked(frame) {
        const ids = (frame.attachments ?? []).map((a) => a.uploadId);
        if (ids.length === 0)
            await new Promise((r) => setTimeout(r, NOT_READY_WAIT_MS));
        await Promise.all(ids.map((id) => this.uploaded(id, NOT_READY_WAIT_MS)));
    }
    onUploaded(u) {
        this.checkedUploads.set(u.uploadId, u);
        // Only recent ones matter (a send follows its upload within seconds).
        if (this.checkedUploads.size > 100) {
            const oldest = this.checkedUploads.keys().next().value;
            if (oldest !== undefined)
                this.checkedUploads.delete(oldest);
        }
        this.emit('uploaded', u);
    }
    onError(e) {
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
                setTimeout(() => this.transmit(out.frame), (e.retryAfterMs ?? 1000) + Math.random() * 100);
                return;
            }
            this.outbox.delete(cid);
            this.persist();
            const s = this.sends.get(cid);
            this.sends.delete(cid);
            const err = new ChatError(e.code, e.message, e.retryAfterMs ?? undefined);
            if (s)
                s.reject(err);
            else
                this.emit('error', err);
            return this.settled(cid);
        }
        this.emit('error', new ChatError(e.code, e.message, e.retryAfterMs ?? undefined));
    }
    /** A reaction's ack names the change's seq in your inbox, or, when it changed nothing
     *  (a repeat), the message's own seq: only the first is this client's own entry. Known
     *  message seqs tell them apart; an unknown one waits for its entry (see `deliver`). */
    onReactAck(a) {
        if (a.seq <= this.seq)
            return;
        const known = this.messageSeqs.get(a.msgId);
        if (known === a.seq)
            return;
        if (known !== undefined)
            return this.deliverOwn(a.seq);
        this.ownReactions.set(a.seq, a.msgId);
        if (this.current === 'online')
            void this.sync().catch(() => undefined);
    }
    knowSeq(msgId, seq) {
        this.messageSeqs.delete(msgId);
        this.messageSeqs.set(msgId, seq);
        if (this.messageSeqs.size > KNOWN_SEQS) {
            const oldest = this.messageSeqs.keys().next().value;
            if (oldest !== undefined)
                this.messageSeqs.delete(oldest);
        }
    }
    deliverOwn(seq) {
        if (seq <= this.seq)
            return;
        this.buffered.set(seq, OWN);
        this.drain();
    }
    /** Takes an entry in (unless seen already); `counted`: a reaction that a message this
     *  sync delivered already shows. Returns whether the entry will be emitted. */
    deliver(entry, counted = false) {
        if (entry.seq <= this.seq)
            return false; // seen already: a duplicate, or replayed by sync
        if (entry.type === 'message')
            this.knowSeq(entry.msgId, entry.seq);
        // One of our own sends whose ack is still on its way (a sync can overtake it): the
        // ack tells the sender; it is not a message from elsewhere.
        const own = (entry.type === 'message' &&
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
    drain() {
        const before = this.seq;
        for (let next = this.seq + 1; this.buffered.has(next); next++) {
            const e = this.buffered.get(next);
            this.buffered.delete(next);
            this.seq = next;
            if (e === OWN || e === undefined)
                continue;
            if (e.type === 'update')
                this.emit('update', e);
            else
                this.emit('message', e);
        }
        if (this.seq !== before) {
            this.persist();
            for (const seq of this.ownReactions.keys())
                if (seq <= this.seq)
                    this.ownReactions.delete(seq);
        }
        // Something is missing below what arrived: fetch it.
        if (this.buffered.size > 0 && !this.syncing && this.current === 'online')
            void this.sync().catch(() => undefined);
    }
    async syncPages() {
        let after = this.seq;
        // Messages this sync emitted: they come in their latest state, their reactions counted.
        const fresh = new Set();
        for (;;) {
            const page = (await this.request({ action: 'sync', after, limit: 100 }));
            for (const e of page.messages) {
                const counted = e.type === 'update' && e.kind === 'reaction' && fresh.has(e.msgId);
                if (this.deliver(e, counted) && e.type === 'message')
                    fresh.add(e.msgId);
            }
            if (page.next === null || page.next === undefined)
                return;
            after = page.next;
        }
    }
}
function parse(data) {
    if (typeof data !== 'string')
        return undefined;
    try {
        const v = JSON.parse(data);
        return v && typeof v === 'object' ? v : undefined;
    }
    catch {
        return undefined;
    }
}
/** A JWT's claims, if it is one we can read (the server verifies it; this only looks). */
function claims(token) {
    const part = token.split('.')[1];
    if (!part)
        return undefined;
    try {
        const c = JSON.parse(decodeBase64Url(part));
        return {
            sub: typeof c.sub === 'string' ? c.sub : undefined,
            exp: typeof c.exp === 'number' ? c.exp : undefined,
        };
    }
    catch {
        return undefined;
    }
}
/** Whether a JWT's `exp` has passed (a token that is not a readable JWT is left to the server). */
function isExpired(token, nowMs = Date.now()) {
    const exp = claims(token)?.exp;
    return exp !== undefined && exp * 1000 <= nowMs;
}
function decodeBase64Url(s) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let bits = 0;
    let value = 0;
    const bytes = [];
    for (const ch of s.replace(/=+$/, '')) {
        const v = alphabet.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
        if (v < 0)
            throw new Error('not base64url');
        value = (value << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push((value >> bits) & 0xff);
        }
    }
    const Decoder = globalThis.TextDecoder;
    if (Decoder)
        return new Decoder().decode(new Uint8Array(bytes));
    // Older React Native: no TextDecoder; claims are ASCII in practice, so this is enough.
    return String.fromCharCode(...bytes);
}
