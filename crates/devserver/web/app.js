// serverless-chat web client: a reference client of docs/protocol.md. Its connection,
// outbox, resends and in-order catch-up are the TypeScript client library
// (clients/typescript, served by the devserver under /client/); this file is the UI. It
// uses nothing the deployed API lacks, except GET /dev/token on the devserver to mint a
// token for a name.
import { ChatClient, QUICK_REACTIONS, REPORT_REASONS, applyUpdate, isMuted, localStorageAdapter } from '/client/index.js';

const $ = (id) => document.getElementById(id);
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 4000;
const REASON_LABELS = {
  spam: 'Spam',
  harassment: 'Harassment or bullying',
  hate: 'Hate speech',
  sexual: 'Sexual content',
  violence: 'Violence or threats',
  self_harm: 'Self-harm',
  illegal: 'Something illegal',
  other: 'Something else',
};

const state = {
  me: null,
  url: null,
  client: null,
  conversations: new Map(), // conversation -> { id, peer, name, messages: Map(msgId -> msg), ranges, unread, mentions, firstMention, lastSeq, readUpTo, readSent, preview, mutedUntil }
  groups: new Map(), // groupId -> { name, members }
  presence: new Map(), // user -> online
  blocked: new Set(), // users this user blocks (the server's list)
  reported: new Set(), // msgIds reported from this page
  reporting: null, // the message the report dialog is about
  bodies: new Map(), // clientMsgId -> body of a send not acked yet (the ack carries no body)
  extras: new Map(), // clientMsgId -> { replyTo, mentions } of a send not acked yet
  withFiles: new Set(), // clientMsgIds of sends with attachments
  listed: false, // whether the server's conversation list has arrived (it carries the unread counts)
  failed: [], // sends the server refused, shown as not sent
  current: null,
  editing: null, // msgId of the message being edited in the composer
  replying: null, // the message the composer answers
  picking: null, // msgId of the message whose reaction picker is open
  flash: null, // msgId of the message just jumped to (highlighted a moment)
  suggest: null, // the open @name suggestions: { start, options, index }
  picked: new Set(), // names chosen from the suggestions for the message being written
  synced: Promise.resolve(), // the connect's sync: history is read after it
  typingSentAt: 0,
  typingTimers: new Map(),
};

const online = () => state.client && state.client.state === 'online';
const quietly = (promise) => promise.catch(() => undefined);

// ---- persistence: the library keeps the last seq and the outbox; the page keeps groups ----
const key = (what) => `chat:${state.url}:${state.me}:${what}`;
function save() {
  localStorage.setItem(key('groups'), JSON.stringify([...state.groups]));
}
function load() {
  state.groups = new Map(JSON.parse(localStorage.getItem(key('groups')) || '[]'));
}

// ---- sign in ----
$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('signin-error').textContent = '';
  const user = $('user').value.trim();
  let url = $('url').value.trim();
  const token = $('token').value.trim();
  try {
    if (!url) url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
    // On the devserver without a pasted token: one minted now (a bad name fails here).
    if (!token) await devToken(user);
    sessionStorage.setItem('chat:session', JSON.stringify({ user, url, token }));
    start(user, url, token || (() => devToken(user)));
  } catch (err) {
    $('signin-error').textContent = `Could not sign in: ${err.message}`;
  }
});

// A fresh devserver token on every (re)connect, so a long session never expires.
async function devToken(user) {
  const r = await fetch(`/dev/token?user=${encodeURIComponent(user)}`);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `token request failed (${r.status})`);
  return body.token;
}

$('signout').addEventListener('click', () => {
  sessionStorage.removeItem('chat:session');
  location.reload();
});

function start(user, url, token) {
  Object.assign(state, { me: user, url });
  load();
  $('signin').hidden = true;
  $('app').hidden = false;
  $('me').textContent = user;
  const client = new ChatClient({ url, token, device: 'web', storage: localStorageAdapter(`${key('')}`) });
  state.client = client;
  client.on('state', (s) => {
    if (s === 'online') {
      setStatus('online', true);
      // Pages read after the catch-up are not older than the updates still to come.
      state.synced = quietly(client.sync());
      // The sidebar is the server's conversation list: previews, unread counts, order.
      refreshConversations();
      refreshBlocks();
      subscribePresence();
      renderChat();
    } else if (s === 'unauthorized') setStatus('signed out: the token was refused or has expired');
    else if (s === 'connecting') setStatus('connecting…');
    else setStatus(`offline; reconnecting`);
  });
  client.on('message', (m) => onMessage(m));
  client.on('update', (u) => onUpdate(u));
  client.on('ack', (a) => onAck(a));
  client.on('receipt', (f) => {
    const m = conversation(f.conversation).messages.get(f.msgId);
    if (m) m.receipts = { ...(m.receipts || {}), [f.by]: f.status };
    render();
  });
  client.on('typing', (f) => showTyping(f.conversation, f.from));
  client.on('presence', (f) => {
    for (const u of f.users) state.presence.set(u.user, u.online);
    renderList();
  });
  client.on('read', (f) => {
    const c = conversation(f.conversation);
    c.readUpTo = Math.max(c.readUpTo, f.upTo);
    c.readSent = Math.max(c.readSent, f.upTo);
    // Read on another device: the badge clears here too (or the server recounts it).
    if (f.upTo >= c.lastSeq) Object.assign(c, { unread: 0, mentions: 0, firstMention: null });
    else refreshConversations();
    renderList();
  });
  // Blocks and mutes made on the user's other devices.
  client.on('blocks', (users) => {
    state.blocked = new Set(users);
    render();
  });
  client.on('muted', (f) => {
    conversation(f.conversation).mutedUntil = f.mutedUntil;
    renderList();
  });
  client.on('error', (e) => showError(`${e.code}: ${e.message}`));
  // Sends a previous visit left unacked are resent by the library; show them as sending.
  quietly(client.ready().then(() => {
    for (const f of client.pending()) {
      if (f.action !== 'send') continue;
      state.bodies.set(f.clientMsgId, f.body ?? '');
      if (f.replyTo || f.mentions) state.extras.set(f.clientMsgId, { replyTo: f.replyTo, mentions: f.mentions });
    }
    renderChat();
  }));
  quietly(client.connect());
}

function setStatus(text, online = false) {
  $('status').textContent = text;
  $('status').classList.toggle('online', online);
}

const target = (c) => (c.peer ? { to: c.peer } : { group: c.id.slice(6) });

function refreshConversations() {
  if (online()) quietly(state.client.conversations({ limit: 100 }).then(onConversations));
}

function refreshBlocks() {
  if (online()) {
    quietly(state.client.blocks().then((users) => {
      state.blocked = new Set(users);
      render();
    }));
  }
}

function onConversations(f) {
  for (const item of f.items) {
    const c = conversation(item.conversation);
    if (item.name) c.name = item.name;
    c.mutedUntil = item.mutedUntil ?? null;
    // The server's count, plus what arrived here since it counted.
    const newer = [...c.messages.values()].filter((m) => m.seq > item.lastSeq && m.from !== state.me && m.from !== 'system');
    c.unread = item.unread + newer.length;
    const newerMentions = newer.filter(mentionsMe).sort((a, b) => a.seq - b.seq);
    c.mentions = (item.mentions ?? 0) + newerMentions.length;
    c.firstMention = item.firstMention ?? (newerMentions[0] ? newerMentions[0].seq : null);
    c.readUpTo = Math.max(c.readUpTo, item.readUpTo);
    c.readSent = Math.max(c.readSent, item.readUpTo);
    c.lastSeq = Math.max(c.lastSeq, item.lastSeq);
    c.preview = item.last.deleted ? 'Message deleted' : item.last.preview;
    if (c.id === state.current && document.hasFocus()) markRead(c);
  }
  state.listed = true;
  if (f.next !== null && f.next !== undefined && state.conversations.size < 500 && online()) {
    quietly(state.client.conversations({ limit: 100, before: f.next }).then(onConversations));
  }
  renderList();
}

// Tells the server (and so the user's other devices) that everything in `c` is read.
function markRead(c) {
  Object.assign(c, { unread: 0, mentions: 0, firstMention: null });
  if (c.lastSeq > c.readSent && online()) {
    c.readSent = c.lastSeq;
    quietly(state.client.read(c.id, c.lastSeq));
  }
}

function onUpdate(u) {
  const c = conversation(u.conversation);
  const m = c.messages.get(u.msgId);
  if (m) c.messages.set(u.msgId, applyUpdate(m, u, state.me));
  // A reaction moves nothing in the list and leaves the unread counts alone.
  if (u.kind === 'reaction') return renderChat();
  c.lastSeq = Math.max(c.lastSeq, u.seq);
  const newest = [...c.messages.values()].sort((a, b) => b.seq - a.seq)[0];
  if (newest && newest.msgId === u.msgId) c.preview = newest.deleted ? 'Message deleted' : previewOf(newest);
  if (c.id === state.current && document.hasFocus()) markRead(c);
  render();
}

const preview = (body) => (body.length > 100 ? `${body.slice(0, 99)}…` : body);

// What a message shows in the list, as the server's own preview says it: "Photo", "File: a.pdf".
function previewOf(m) {
  const files = m.attachments || [];
  if (!files.length) return preview(m.body ?? '');
  const t = (files[0].contentType || '').split(';')[0].trim();
  const what =
    files.length > 1
      ? `${files.length} attachments`
      : t.startsWith('image/')
        ? 'Photo'
        : t.startsWith('video/')
          ? 'Video'
          : t.startsWith('audio/')
            ? 'Voice message'
            : `File: ${files[0].name}`;
  return preview(m.body ? `${what}: ${m.body}` : what);
}

// Messages come once each, in seq order: live, or caught up after a reconnect.
function onMessage(m) {
  storeMessage(m);
  const c = conversation(m.conversation);
  // Newer than the server's list knew: not in its unread count yet.
  const news = m.seq > c.lastSeq;
  c.lastSeq = Math.max(c.lastSeq, m.seq);
  c.preview = previewOf(m);
  // A group first heard of: the list brings its name.
  if (!c.peer && !title(c, true)) refreshConversations();
  if (state.typingTimers.has(c.id)) {
    clearTimeout(state.typingTimers.get(c.id));
    if (c.id === state.current) $('typing').textContent = '';
  }
  if (m.from !== state.me && m.from !== 'system') {
    const viewing = c.id === state.current && document.hasFocus();
    if (online()) quietly(state.client.receipt([m.msgId], viewing ? 'read' : 'delivered'));
    // Before the list has come, its counts will include this message.
    if (!viewing && news && state.listed) {
      c.unread++;
      if (mentionsMe(m)) {
        c.mentions++;
        c.firstMention = c.firstMention ?? m.seq;
      }
    }
  }
  if (c.id === state.current && document.hasFocus()) markRead(c);
  render();
}

// Every ack of a send, also of one a previous visit left in the outbox.
function onAck(a) {
  if (!state.bodies.has(a.clientMsgId)) return; // an edit's or delete's: its promise handles it
  const body = state.bodies.get(a.clientMsgId);
  state.bodies.delete(a.clientMsgId);
  const extras = state.extras.get(a.clientMsgId) || {};
  state.extras.delete(a.clientMsgId);
  const c = conversation(a.conversation);
  // The first message makes the peer a contact: only now does presence show it.
  const first = c.messages.size === 0;
  c.lastSeq = Math.max(c.lastSeq, a.seq);
  c.preview = preview(body);
  c.readSent = Math.max(c.readSent, a.seq);
  storeMessage({
    seq: a.seq, msgId: a.msgId, conversation: a.conversation, from: state.me, body, ts: a.ts, clientMsgId: a.clientMsgId,
    ...(extras.replyTo ? { replyTo: quoteFor(c, extras.replyTo) } : {}),
    ...(extras.mentions && extras.mentions.length ? { mentions: extras.mentions } : {}),
  });
  if (first && c.peer) subscribePresence();
  // A file sent from here: the server knows its thumbnail and size; read the message back.
  if (state.withFiles.delete(a.clientMsgId) && online()) {
    quietly(state.client.history(c.id, { limit: 10 }).then((page) => {
      for (const m of page.messages) if (m.type !== 'update') storeMessage(m);
      render();
    }));
  }
  render();
}

function conversation(id) {
  let c = state.conversations.get(id);
  if (!c) {
    const peer = id.startsWith('dm:') ? id.slice(3).split(':').find((u) => u !== state.me) || state.me : null;
    c = { id, peer, name: null, messages: new Map(), ranges: [], loading: false, unread: 0, mentions: 0, firstMention: null, lastSeq: 0, readUpTo: 0, readSent: 0, preview: '', mutedUntil: null };
    state.conversations.set(id, c);
    if (peer) subscribePresence();
  }
  return c;
}

function storeMessage(m) {
  const c = conversation(m.conversation);
  const old = c.messages.get(m.msgId);
  // A deleted message, or one of attachments only, comes without a body. A message comes
  // in its latest state: its reactions (absent: none) replace what was known.
  c.messages.set(m.msgId, { ...old, ...m, body: m.body ?? '', receipts: m.receipts || (old && old.receipts), reactions: m.reactions });
}

const mentionsMe = (m) => m.from !== state.me && Array.isArray(m.mentions) && m.mentions.includes(state.me);

// The quote a reply of ours shows before the server's copy of it is read back.
function quoteFor(c, msgId) {
  const original = c.messages.get(msgId);
  return { msgId, from: original ? original.from : '', preview: original ? previewOf(original) : '' };
}

function title(c, known = false) {
  if (c.peer) return c.peer;
  const g = state.groups.get(c.id.slice(6));
  const name = (g && g.name) || c.name;
  return name || (known ? null : `group ${c.id.slice(6, 14)}…`);
}

function subscribePresence() {
  const peers = [...state.conversations.values()].map((c) => c.peer).filter((p) => p && p !== state.me);
  if (!peers.length || !online()) return;
  quietly(state.client.presence([...new Set(peers)].slice(0, 100)).then((users) => {
    for (const u of users) state.presence.set(u.user, u.online);
    renderList();
  }));
}

// ---- rendering ----
function render() {
  renderList();
  renderChat();
}

function renderList() {
  const list = $('conversations');
  const focused = document.activeElement && document.activeElement.dataset.conv;
  list.replaceChildren(
    ...[...state.conversations.values()]
      .sort((a, b) => b.lastSeq - a.lastSeq || last(b) - last(a))
      .map((c) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.conv = c.id;
        if (c.id === state.current) b.setAttribute('aria-current', 'true');
        const dot = document.createElement('span');
        dot.className = `dot${c.peer && state.presence.get(c.peer) ? ' online' : ''}`;
        dot.setAttribute('aria-label', c.peer ? (state.presence.get(c.peer) ? 'online' : 'offline') : 'group');
        const text = document.createElement('span');
        text.className = 'conv-text';
        const name = document.createElement('span');
        name.className = 'conv-name';
        name.textContent = title(c);
        const prev = document.createElement('span');
        prev.className = 'preview';
        prev.textContent = c.preview;
        text.append(name, prev);
        b.append(dot, text);
        if (isBlocked(c)) {
          const tag = document.createElement('span');
          tag.className = 'tag';
          tag.textContent = 'blocked';
          b.append(tag);
        }
        if (c.mentions) {
          const at = document.createElement('span');
          at.className = 'mention-badge';
          at.textContent = `@${c.mentions}`;
          at.setAttribute('aria-label', `${c.mentions} ${c.mentions === 1 ? 'mention' : 'mentions'} of you`);
          b.append(at);
        }
        if (c.unread) {
          const u = document.createElement('span');
          u.className = 'unread';
          u.textContent = String(c.unread);
          u.setAttribute('aria-label', `${c.unread} unread`);
          b.append(u);
        }
        b.addEventListener('click', () => open(c.id));
        li.append(b);
        // Muting needs an entry in the inbox: a conversation not started yet has no bell.
        if (c.lastSeq > 0) li.append(bell(c));
        return li;
      }),
  );
  if (focused) list.querySelector(`[data-conv="${CSS.escape(focused)}"]`)?.focus();
  scheduleMuteExpiry();
}

const isBlocked = (c) => Boolean(c.peer && state.blocked.has(c.peer));

// The bell of a conversation: pressed while muted; a click mutes (until unmuted) or unmutes.
function bell(c) {
  const muted = isMuted(c.mutedUntil);
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'bell';
  b.dataset.bell = c.id;
  b.append(bellIcon(muted));
  b.setAttribute('aria-pressed', String(muted));
  b.setAttribute('aria-label', `${muted ? 'Unmute' : 'Mute'} ${title(c)}`);
  b.title = !muted
    ? 'Mute: no notifications from this conversation'
    : c.mutedUntil === -1
      ? 'Muted until you unmute it'
      : `Muted until ${new Date(c.mutedUntil).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}`;
  b.addEventListener('click', () => {
    const done = muted ? state.client.unmute(c.id) : state.client.mute(c.id);
    done.then(
      () => {
        c.mutedUntil = muted ? null : -1;
        renderList();
        document.querySelector(`[data-bell="${CSS.escape(c.id)}"]`)?.focus();
      },
      (e) => showError(`${e.code}: ${e.message}`),
    );
  });
  return b;
}

// A bell drawn inline (no emoji font needed), struck through when muted.
function bellIcon(muted) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '18', height: '18', fill: 'none', stroke: 'currentColor',
    'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' })) svg.setAttribute(k, v);
  const paths = ['M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9', 'M13.7 21a2 2 0 0 1-3.4 0'];
  if (muted) paths.push('M2 2l20 20');
  for (const d of paths) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

// A mute until a time ends by itself: the bell is drawn again then.
let muteTimer;
function scheduleMuteExpiry() {
  clearTimeout(muteTimer);
  const now = Date.now();
  const ends = [...state.conversations.values()].map((c) => c.mutedUntil).filter((t) => typeof t === 'number' && t > now);
  if (!ends.length) return;
  muteTimer = setTimeout(renderList, Math.min(Math.min(...ends) - now + 50, 2 ** 31 - 1));
}

const last = (c) => Math.max(0, ...[...c.messages.values()].map((m) => m.ts));

function renderChat() {
  const c = state.conversations.get(state.current);
  $('composer').hidden = !c;
  // Older pages exist below the oldest stretch loaded, unless it reaches the start.
  $('older').hidden = !c || !c.ranges.length || c.ranges[0][0] <= 0;
  renderBlock(c);
  renderReplying(c);
  if (!c) return;
  $('chat-title').textContent = title(c);
  // The inbox's own order (one user's seqs), with a row where loaded stretches leave a gap.
  const items = [...c.messages.values()].sort((a, b) => a.seq - b.seq);
  const rows = [];
  const gaps = c.ranges.slice(0, -1).map((r) => r[1]);
  for (const m of items) {
    while (gaps.length && m.seq > gaps[0]) rows.push(gapItem(c, gaps.shift()));
    rows.push(messageItem(m));
  }
  const pending = state.client
    .pending()
    .filter((f) => f.action === 'send' && (f.to ? c.peer === f.to : c.id === `group:${f.group}`))
    .map((f) => ({
      clientMsgId: f.clientMsgId, body: f.body ?? '', ts: 0, conversation: c.id,
      ...(f.replyTo ? { replyTo: quoteFor(c, f.replyTo) } : {}), ...(f.mentions ? { mentions: f.mentions } : {}),
    }));
  const failed = state.failed.filter((m) => m.conversation === c.id);
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(
    ...rows,
    ...pending.map((m) => messageItem({ ...m, from: state.me, pending: true })),
    ...failed.map((m) => messageItem({ ...m, from: state.me })),
  );
  if (atBottom && !state.flash) list.scrollTop = list.scrollHeight;
}

// Between two loaded stretches: a button that loads what lies after the older one.
function gapItem(c, after) {
  const li = document.createElement('li');
  li.className = 'gap';
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = 'Load the messages in between';
  b.addEventListener('click', () => loadPage(c, { after }));
  li.append(b);
  return li;
}

// A 1:1 conversation's Block button, or, while its peer is blocked, the notice with Unblock
// (and no composer: the server refuses sends to a user one blocks).
function renderBlock(c) {
  const blockable = Boolean(c && c.peer && c.peer !== state.me && c.peer !== 'system');
  const blocked = blockable && isBlocked(c);
  $('block').hidden = !blockable || blocked;
  if (blockable) $('block').setAttribute('aria-label', `Block ${c.peer}`);
  $('blocked').hidden = !blocked;
  if (blocked) {
    $('blocked-text').textContent = `You blocked ${c.peer}. You get none of their messages, and cannot send them any.`;
    $('unblock').setAttribute('aria-label', `Unblock ${c.peer}`);
  }
  for (const el of [$('body'), $('attach'), $('composer').querySelector('button[type=submit]')]) el.disabled = blocked;
  $('body').placeholder = blocked ? `Unblock ${c.peer} to write` : 'Write a message (Enter sends, Shift+Enter for a new line)';
}

function setBlocked(user, blocked) {
  const done = blocked ? state.client.block(user) : state.client.unblock(user);
  done.then(
    () => {
      if (blocked) state.blocked.add(user);
      else state.blocked.delete(user);
      render();
      (blocked ? $('unblock') : $('body')).focus();
    },
    (e) => showError(`${e.code}: ${e.message}`),
  );
}

$('block').addEventListener('click', () => {
  const c = state.conversations.get(state.current);
  if (c && c.peer) setBlocked(c.peer, true);
});
$('unblock').addEventListener('click', () => {
  const c = state.conversations.get(state.current);
  if (c && c.peer) setBlocked(c.peer, false);
});

function messageItem(m) {
  const li = document.createElement('li');
  const mine = m.from === state.me;
  li.className = `msg${mine ? ' mine' : ''}${m.from === 'system' ? ' system' : ''}${m.error ? ' failed' : ''}${m.deleted ? ' deleted' : ''}${
    !m.deleted && mentionsMe(m) ? ' mentions-me' : ''}${m.msgId && m.msgId === state.flash ? ' flash' : ''}`;
  li.dataset.msgId = m.msgId || '';
  if (m.seq) li.dataset.seq = String(m.seq);
  li.tabIndex = -1;
  if (m.replyTo && !m.deleted) li.append(quoteItem(m));
  li.append(textOf(m));
  const meta = document.createElement('span');
  meta.className = 'meta';
  const when = m.ts ? new Date(m.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  meta.textContent = `${mine || m.from === 'system' ? '' : `${m.from} · `}${when}${m.editedAt && !m.deleted ? ' · edited' : ''}`;
  if (mine) {
    const statuses = Object.values(m.receipts || {});
    const ticks = document.createElement('span');
    const read = statuses.includes('read');
    ticks.className = `ticks${read ? ' read' : ''}`;
    const status = m.error ? 'not sent' : m.pending ? 'sending' : read ? 'read' : statuses.length ? 'delivered' : 'sent';
    ticks.textContent = { 'not sent': ` · not sent (${m.error})`, sending: ' · sending…', read: ' ✓✓', delivered: ' ✓✓', sent: ' ✓' }[status];
    ticks.setAttribute('aria-label', status);
    ticks.dataset.status = ticks.getAttribute('aria-label');
    meta.append(ticks);
  }
  if (m.attachments && m.attachments.length && !m.deleted) li.append(files(m));
  li.append(meta);
  const live = m.msgId && m.from !== 'system' && !m.deleted && !m.pending && !m.error;
  if (live && m.reactions && Object.keys(m.reactions).length) li.append(reactionsRow(m));
  if (live) {
    const reply = document.createElement('button');
    reply.type = 'button';
    reply.className = 'msg-action';
    reply.textContent = 'Reply';
    reply.setAttribute('aria-label', 'Reply to message');
    reply.addEventListener('click', () => startReply(m));
    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'msg-action';
    pick.textContent = 'React';
    pick.setAttribute('aria-label', 'React to message');
    pick.setAttribute('aria-expanded', String(state.picking === m.msgId));
    pick.addEventListener('click', () => {
      state.picking = state.picking === m.msgId ? null : m.msgId;
      renderChat();
      if (state.picking) document.querySelector(`[data-picker="${CSS.escape(m.msgId)}"] button`)?.focus();
    });
    li.append(reply, pick);
    if (state.picking === m.msgId) li.append(picker(m));
  }
  if (mine && m.msgId && !m.deleted && !m.pending && !m.error) {
    const edit = document.createElement('button');
    edit.type = 'button';
    edit.className = 'msg-action';
    edit.textContent = 'Edit';
    edit.setAttribute('aria-label', 'Edit message');
    edit.addEventListener('click', () => startEdit(m));
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'msg-action';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', 'Delete message');
    del.addEventListener('click', () => amend('delete', m.msgId));
    li.append(edit, del);
  }
  if (!mine && m.from !== 'system' && m.msgId && !m.deleted) {
    if (state.reported.has(m.msgId)) {
      const done = document.createElement('span');
      done.className = 'reported';
      done.textContent = 'Reported';
      li.append(done);
    } else {
      const report = document.createElement('button');
      report.type = 'button';
      report.className = 'msg-action';
      report.textContent = 'Report';
      report.setAttribute('aria-label', 'Report message');
      report.addEventListener('click', () => openReport(m));
      li.append(report);
    }
  }
  return li;
}

// A message's text, with the users it mentions marked (the one signed in most).
function textOf(m) {
  const span = document.createElement('span');
  span.className = 'text';
  const text = m.deleted ? 'Message deleted' : m.error && m.body.length > 140 ? `${m.body.slice(0, 140)}…` : m.body;
  const names = (!m.deleted && Array.isArray(m.mentions) && m.mentions) || [];
  if (!names.length) {
    span.textContent = text;
    return span;
  }
  let at = 0;
  for (const hit of text.matchAll(mentionPattern(names))) {
    span.append(text.slice(at, hit.index));
    const mark = document.createElement('span');
    mark.className = `mention${hit[1] === state.me ? ' me' : ''}`;
    mark.textContent = hit[0];
    span.append(mark);
    at = hit.index + hit[0].length;
  }
  span.append(text.slice(at));
  return span;
}

// `@name` of any of `names` as a whole user id (a trailing dot ends a sentence, not the id).
const ID_CHAR = 'A-Za-z0-9_\\-|@+';
function mentionPattern(names) {
  const alternatives = [...names].sort((a, b) => b.length - a.length).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`@(${alternatives.join('|')})(?![${ID_CHAR}]|\\.[${ID_CHAR}.])`, 'g');
}

// The quote of the message a reply answers: a click goes to the original.
function quoteItem(m) {
  const q = m.replyTo;
  const c = conversation(m.conversation);
  const original = c.messages.get(q.msgId);
  const gone = Boolean(q.deleted || (original && original.deleted));
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'quote';
  b.dataset.quote = q.msgId;
  const from = document.createElement('span');
  from.className = 'quote-from';
  from.textContent = q.from === state.me ? 'You' : q.from;
  const what = document.createElement('span');
  what.className = 'quote-text';
  what.textContent = gone ? 'Original message deleted' : q.preview || (original ? previewOf(original) : '');
  b.append(from, what);
  b.disabled = gone || Boolean(m.pending);
  b.setAttribute('aria-label', gone ? `Reply to a deleted message of ${q.from}` : `Go to the message of ${q.from} this answers`);
  b.addEventListener('click', () => jumpTo(c, { msgId: q.msgId, below: m.seq }));
  return b;
}

// Counts of each emoji on a message; yours pressed. A click adds yours, or takes it back.
function reactionsRow(m) {
  const row = document.createElement('div');
  row.className = 'reactions';
  for (const [emoji, t] of Object.entries(m.reactions)) {
    if (!t || !t.count) continue;
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'reaction';
    b.dataset.emoji = emoji;
    b.textContent = `${emoji} ${t.count}`;
    b.setAttribute('aria-pressed', String(Boolean(t.mine)));
    b.setAttribute('aria-label', `${emoji} ${t.count}${t.mine ? ', yours: take it back' : ''}`);
    b.addEventListener('click', () => react(m, emoji));
    row.append(b);
  }
  return row;
}

function picker(m) {
  const box = document.createElement('span');
  box.className = 'picker';
  box.dataset.picker = m.msgId;
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', 'Pick a reaction');
  for (const emoji of QUICK_REACTIONS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = emoji;
    b.setAttribute('aria-label', `React with ${emoji}`);
    b.addEventListener('click', () => react(m, emoji));
    box.append(b);
  }
  box.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    state.picking = null;
    renderChat();
  });
  return box;
}

// Adds the emoji, or takes it back when it is already yours.
function react(m, emoji) {
  state.picking = null;
  const c = conversation(m.conversation);
  const current = c.messages.get(m.msgId) || m;
  const mine = Boolean(current.reactions && current.reactions[emoji] && current.reactions[emoji].mine);
  state.client.react(m.msgId, emoji, { remove: mine }).then(onUpdate, (e) => showError(`${e.code}: ${e.message}`));
  renderChat();
}

// ---- replying, and going to the message a quote names ----
function startReply(m) {
  if (state.editing) stopEdit();
  state.replying = m;
  renderReplying(conversation(m.conversation));
  $('body').focus();
}

function stopReply() {
  state.replying = null;
  renderReplying(state.conversations.get(state.current));
}

function renderReplying(c) {
  const r = state.replying;
  const shown = Boolean(r && c && r.conversation === c.id);
  $('replying').hidden = !shown;
  if (shown) $('replying-text').textContent = `Replying to ${r.from === state.me ? 'yourself' : r.from}: ${r.deleted ? 'Message deleted' : previewOf(r)}`;
}

$('reply-cancel').addEventListener('click', () => {
  stopReply();
  $('body').focus();
});

// Scrolls to a message of `c` (by msgId, or by seq), reading the history around it first
// when it is not loaded. A quote names no seq: it is found by a search of one-message pages
// (msgIds sort by time, as seqs do), below `below` (the reply's seq).
async function jumpTo(c, { msgId, seq, below }) {
  const find = () => [...c.messages.values()].find((m) => (msgId ? m.msgId === msgId : m.seq === seq));
  let m = find();
  if (!m && online()) {
    try {
      await state.synced;
      const at = seq ?? (await findSeq(c, msgId, below ?? c.lastSeq + 1));
      if (at) await loadPage(c, { around: at });
      m = find();
    } catch (e) {
      showError(`${e.code || 'error'}: ${e.message}`);
    }
  }
  if (!m) {
    showNotice('That message is not in this conversation\'s history any more.');
    return;
  }
  state.flash = m.msgId;
  renderChat();
  const li = $('messages').querySelector(`[data-msg-id="${CSS.escape(m.msgId)}"]`);
  if (li) {
    li.scrollIntoView({ block: 'center' });
    li.focus({ preventScroll: true });
  }
  setTimeout(() => {
    if (state.flash !== m.msgId) return;
    state.flash = null;
    $('messages').querySelector(`[data-msg-id="${CSS.escape(m.msgId)}"]`)?.classList.remove('flash');
  }, 2500);
}

async function findSeq(c, msgId, below) {
  // What is loaded already narrows it: older msgIds sit below the original, newer above.
  let lo = 1;
  let hi = below - 1;
  for (const m of c.messages.values()) {
    if (!m.msgId || !m.seq) continue;
    if (m.msgId < msgId) lo = Math.max(lo, m.seq + 1);
    else if (m.msgId > msgId) hi = Math.min(hi, m.seq - 1);
  }
  let near = null;
  for (let probes = 0; lo <= hi && probes < 48; probes++) {
    const mid = Math.floor((lo + hi) / 2);
    const page = await state.client.history(c.id, { before: mid + 1, limit: 1 });
    const m = page.messages.find((e) => e.type !== 'update');
    // Nothing of this conversation between lo and mid: it is above.
    if (!m || m.seq < lo) {
      lo = mid + 1;
      continue;
    }
    if (m.msgId === msgId) return m.seq;
    near = m.seq;
    if (m.msgId < msgId) lo = mid + 1;
    else hi = m.seq - 1;
  }
  // Not hit exactly (sends racing can order seqs and msgIds a little differently): the
  // page around the nearest one holds it.
  return near ?? (lo > 0 ? lo : null);
}

// ---- reporting someone else's message to the moderators ----
$('report-reason').append(
  ...REPORT_REASONS.map((r) => Object.assign(document.createElement('option'), { value: r, textContent: REASON_LABELS[r] ?? r })),
);

function openReport(m) {
  state.reporting = m;
  $('report-quote').textContent = `${m.from}: ${m.body.length > 140 ? `${m.body.slice(0, 140)}…` : m.body}`;
  $('report-reason').value = REPORT_REASONS[0];
  $('report-note').value = '';
  $('report-error').textContent = '';
  $('report-send').disabled = false;
  $('report-dialog').showModal();
  $('report-reason').focus();
}

$('report-cancel').addEventListener('click', () => $('report-dialog').close());
$('report-dialog').addEventListener('close', () => (state.reporting = null));

$('report-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const m = state.reporting;
  if (!m) return;
  $('report-send').disabled = true;
  const note = $('report-note').value.trim();
  state.client.report(m.msgId, $('report-reason').value, note || undefined).then(
    () => {
      state.reported.add(m.msgId);
      $('report-dialog').close();
      showNotice(`Reported ${m.from}'s message. Thank you: the moderators will look at it.`);
      renderChat();
    },
    (err) => {
      $('report-send').disabled = false;
      $('report-error').textContent = `Not reported (${err.code}: ${err.message})`;
    },
  );
});

// ---- attachments: thumbnails inline, the original on click ----
function files(m) {
  const box = document.createElement('div');
  box.className = 'files';
  for (const a of m.attachments) {
    if (a.thumbnail) {
      const img = document.createElement('img');
      img.className = 'thumb';
      img.alt = a.name;
      img.dataset.attachment = a.attachmentId;
      if (a.width && a.height) Object.assign(img, { width: Math.min(240, a.width), height: Math.round((Math.min(240, a.width) * a.height) / a.width) });
      const cached = thumbUrls.get(a.attachmentId);
      if (cached) img.src = cached;
      else if (online()) {
        quietly(state.client.attachment(m.msgId, a.attachmentId, 'thumbnail').then((link) => {
          thumbUrls.set(a.attachmentId, link.url);
          img.src = link.url;
        }));
      }
      img.addEventListener('click', () => openOriginal(m, a));
      box.append(img);
    } else {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'file';
      b.textContent = `File: ${a.name} (${humanSize(a.size)})`;
      b.addEventListener('click', () => openOriginal(m, a));
      box.append(b);
    }
  }
  return box;
}

const thumbUrls = new Map(); // attachmentId -> a (short-lived) thumbnail URL

function openOriginal(m, a) {
  state.client.attachment(m.msgId, a.attachmentId, 'original').then(
    (link) => window.open(link.url, '_blank', 'noopener'),
    (e) => showError(`${e.code}: ${e.message}`),
  );
}

const humanSize = (n) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1048576).toFixed(1)} MB`);

// Each file: an upload URL, the bytes straight to storage (with progress), then a message.
async function attachFiles(list) {
  const c = state.current && state.conversations.get(state.current);
  if (!c || !online()) return;
  for (const file of list) {
    const row = document.createElement('li');
    const label = document.createElement('span');
    label.textContent = file.name;
    const bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    row.append(label, bar);
    $('uploads').append(row);
    try {
      const url = await state.client.uploadUrl(c.id, { contentType: file.type || 'application/octet-stream', size: file.size, name: file.name });
      await put(url, file, (p) => (bar.value = p));
      // The server checks the bytes (size, type, thumbnail) and says so.
      const checked = await state.client.uploaded(url.uploadId);
      if (checked && checked.status === 'rejected') {
        throw Object.assign(new Error('the file does not match what was declared'), { code: 'bad_request' });
      }
      const clientMsgId = crypto.randomUUID();
      state.bodies.set(clientMsgId, '');
      state.withFiles.add(clientMsgId);
      await state.client.send({ ...target(c), attachments: [url.uploadId], clientMsgId });
      row.remove();
    } catch (e) {
      row.classList.add('failed');
      label.textContent = `${file.name}: not sent (${e.code || 'error'}: ${e.message})`;
      bar.remove();
      showError(`${e.code || 'upload'}: ${e.message}`);
      setTimeout(() => row.remove(), 8000);
    }
  }
}

function put(url, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(url.method, url.url);
    for (const [k, v] of Object.entries(url.headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && progress(Math.round((100 * e.loaded) / e.total));
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(Object.assign(new Error(`storage refused it (${xhr.status})`), { code: 'upload_failed' })));
    xhr.onerror = () => reject(Object.assign(new Error('the upload failed'), { code: 'upload_failed' }));
    xhr.send(file);
  });
}

$('attach').addEventListener('change', (e) => {
  const list = [...e.target.files];
  e.target.value = '';
  attachFiles(list);
});
const chatPane = document.querySelector('.chat');
chatPane.addEventListener('dragover', (e) => {
  if (!state.current) return;
  e.preventDefault();
  chatPane.classList.add('dropping');
});
chatPane.addEventListener('dragleave', () => chatPane.classList.remove('dropping'));
chatPane.addEventListener('drop', (e) => {
  e.preventDefault();
  chatPane.classList.remove('dropping');
  if (e.dataTransfer && e.dataTransfer.files.length) attachFiles([...e.dataTransfer.files]);
});

// ---- edit and delete one's own messages ----
function amend(kind, msgId, body) {
  const done = kind === 'edit' ? state.client.edit(msgId, body) : state.client.delete(msgId);
  done.then(
    (a) => onUpdate({ kind, msgId, body, conversation: a.conversation, seq: a.seq, by: state.me, ts: a.ts }),
    (e) => showError(`${e.code}: ${e.message}`),
  );
}

function startEdit(m) {
  if (state.replying) stopReply();
  state.editing = m.msgId;
  $('body').value = m.body;
  $('composer').querySelector('button[type=submit]').textContent = 'Save';
  $('body').focus();
}

function stopEdit() {
  state.editing = null;
  $('body').value = '';
  $('composer').querySelector('button[type=submit]').textContent = 'Send';
}

function open(id) {
  if (state.current !== id) {
    state.replying = null;
    state.picking = null;
    hideSuggestions();
  }
  state.current = id;
  const c = conversation(id);
  // Unread mentions: the view opens at the oldest one.
  const mention = c.mentions > 0 ? c.firstMention : null;
  markRead(c);
  const unreadFromOthers = [...c.messages.values()]
    .filter((m) => m.from !== state.me && m.from !== 'system' && !m.readSent)
    .map((m) => ((m.readSent = true), m.msgId));
  for (let i = 0; i < unreadFromOthers.length && online(); i += 100) {
    quietly(state.client.receipt(unreadFromOthers.slice(i, i + 100), 'read'));
  }
  const first = !c.ranges.length && !c.loading ? loadPage(c, {}) : Promise.resolve();
  if (mention) quietly(first.then(() => jumpTo(c, { seq: mention })));
  render();
  $('body').focus();
}

// One page of history: the newest (no cursor), older than `before`, newer than `after`, or
// around a seq. What it covers joins the conversation's loaded stretches.
async function loadPage(c, cursor) {
  if (!online()) return;
  c.loading = true;
  try {
    await state.synced;
    const page = await state.client.history(c.id, { limit: 50, ...cursor });
    for (const m of page.messages) if (m.type !== 'update') storeMessage(m);
    const older = page.next ?? 0;
    const newer = page.prev ?? Infinity;
    if (cursor.before !== undefined) cover(c, older, cursor.before - 1);
    else if (cursor.after !== undefined) cover(c, cursor.after + 1, newer);
    else cover(c, older, cursor.around !== undefined ? newer : Infinity);
    render();
  } catch (e) {
    showError(`${e.code || 'error'}: ${e.message}`);
  } finally {
    c.loading = false;
  }
}

// Loaded stretches of a conversation: seq ranges [lo, hi] read from history (hi Infinity:
// up to the newest), merged where they meet.
function cover(c, lo, hi) {
  const merged = [];
  for (const r of [...c.ranges, [lo, hi]].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  c.ranges = merged;
}

$('older').addEventListener('click', () => {
  const c = state.conversations.get(state.current);
  if (c && c.ranges.length && c.ranges[0][0] > 0) loadPage(c, { before: c.ranges[0][0] });
});

// ---- composing ----
$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const body = $('body').value;
  if (!body.trim() || !state.current) return;
  if (state.editing) {
    amend('edit', state.editing, body);
    return stopEdit();
  }
  const c = conversation(state.current);
  const clientMsgId = crypto.randomUUID();
  const replyTo = state.replying && state.replying.conversation === c.id ? state.replying.msgId : undefined;
  const mentions = mentionsIn(c, body);
  state.bodies.set(clientMsgId, body);
  if (replyTo || mentions.length) state.extras.set(clientMsgId, { replyTo, mentions });
  stopReply();
  state.picked.clear();
  hideSuggestions();
  state.client.send({ ...target(c), body, clientMsgId, ...(replyTo ? { replyTo } : {}), ...(mentions.length ? { mentions } : {}) }).catch((e) => {
    // Refused (too large, rate limited for too long, …): shown as not sent.
    state.bodies.delete(clientMsgId);
    state.extras.delete(clientMsgId);
    state.failed.push({ clientMsgId, body, conversation: c.id, ts: Date.now(), error: `${e.code}: ${e.message}` });
    showError(`${e.code}: ${e.message}`);
    renderChat();
  });
  $('body').value = '';
  renderChat();
});

$('body').addEventListener('keydown', (e) => {
  const s = state.suggest;
  if (s) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      s.index = (s.index + (e.key === 'ArrowDown' ? 1 : s.options.length - 1)) % s.options.length;
      return renderSuggestions();
    }
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      return pickMention(s.options[s.index]);
    }
    if (e.key === 'Escape') return hideSuggestions();
  }
  if (e.key === 'Escape' && state.editing) return stopEdit();
  if (e.key === 'Escape' && state.replying) return stopReply();
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});

$('body').addEventListener('input', () => {
  suggestMentions();
  const c = state.conversations.get(state.current);
  if (!c || Date.now() - state.typingSentAt < TYPING_EVERY_MS) return;
  state.typingSentAt = Date.now();
  state.client.typing(target(c));
});

// ---- @name: members suggested while typing in a group, sent as the message's mentions ----

// Who is in a group, as far as this page can tell: the members it created the group with,
// the senders, and the system notices of who joined and left, in order.
function membersOf(c) {
  const names = new Set();
  const g = state.groups.get(c.id.slice(6));
  for (const u of (g && g.members) || []) names.add(u);
  const list = (text) => text.split(', ');
  for (const m of [...c.messages.values()].sort((a, b) => a.seq - b.seq)) {
    if (m.from !== 'system') {
      names.add(m.from);
      continue;
    }
    for (const clause of (m.body || '').split('; ')) {
      let hit;
      if ((hit = clause.match(/^(\S+) created the group(?: with (.+))?$/))) [hit[1], ...(hit[2] ? list(hit[2]) : [])].forEach((u) => names.add(u));
      else if ((hit = clause.match(/^\S+ added (.+)$/))) list(hit[1]).forEach((u) => names.add(u));
      else if ((hit = clause.match(/^\S+ removed (.+)$/))) list(hit[1]).forEach((u) => names.delete(u));
      else if ((hit = clause.match(/^(.+) joined$/))) list(hit[1]).forEach((u) => names.add(u));
      else if ((hit = clause.match(/^(.+) left$/))) list(hit[1]).forEach((u) => names.delete(u));
    }
  }
  names.delete(state.me);
  names.delete('system');
  return [...names].sort();
}

// The members a message names as `@name` (in a group): those picked, and those typed out.
function mentionsIn(c, body) {
  if (c.peer) return [];
  const names = new Set([...membersOf(c), ...state.picked]);
  if (!names.size) return [];
  return [...new Set([...body.matchAll(mentionPattern(names))].map((hit) => hit[1]))].slice(0, 50);
}

// The `@partial` right before the caret, if any.
function mentionQuery() {
  const el = $('body');
  const upto = el.value.slice(0, el.selectionStart);
  const hit = upto.match(/(?:^|\s)@([A-Za-z0-9._\-|@+]*)$/);
  return hit ? { start: upto.length - hit[1].length - 1, text: hit[1].toLowerCase() } : null;
}

function suggestMentions() {
  const c = state.conversations.get(state.current);
  const q = c && !c.peer ? mentionQuery() : null;
  const options = q ? membersOf(c).filter((u) => u.toLowerCase().startsWith(q.text)).slice(0, 8) : [];
  if (!options.length) return hideSuggestions();
  const keep = state.suggest && options.indexOf(state.suggest.options[state.suggest.index]);
  state.suggest = { start: q.start, options, index: keep > 0 ? keep : 0 };
  renderSuggestions();
}

function renderSuggestions() {
  const s = state.suggest;
  const list = $('mention-list');
  list.hidden = !s;
  $('body').setAttribute('aria-expanded', String(Boolean(s)));
  if (!s) {
    $('body').removeAttribute('aria-activedescendant');
    return list.replaceChildren();
  }
  list.replaceChildren(
    ...s.options.map((u, i) => {
      const li = document.createElement('li');
      li.id = `mention-option-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === s.index));
      li.dataset.user = u;
      li.textContent = `@${u}`;
      // mousedown, not click: the textarea keeps its focus and caret.
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        pickMention(u);
      });
      return li;
    }),
  );
  $('body').setAttribute('aria-activedescendant', `mention-option-${s.index}`);
}

function hideSuggestions() {
  state.suggest = null;
  renderSuggestions();
}

function pickMention(user) {
  const el = $('body');
  const s = state.suggest;
  if (!s) return;
  const before = el.value.slice(0, s.start);
  const after = el.value.slice(el.selectionStart);
  el.value = `${before}@${user} ${after}`;
  const caret = before.length + user.length + 2;
  el.setSelectionRange(caret, caret);
  state.picked.add(user);
  hideSuggestions();
  el.focus();
}

$('body').addEventListener('blur', () => setTimeout(() => document.activeElement !== $('body') && hideSuggestions(), 150));

function showTyping(conv, from) {
  clearTimeout(state.typingTimers.get(conv));
  const show = () => {
    $('typing').textContent = conv === state.current ? `${from} is typing…` : '';
  };
  show();
  state.typingTimers.set(
    conv,
    setTimeout(() => {
      if (conv === state.current) $('typing').textContent = '';
    }, TYPING_SHOWN_MS),
  );
}

// ---- new conversations ----
$('new-chat').addEventListener('submit', (e) => {
  e.preventDefault();
  const peer = $('new-chat-user').value.trim();
  const [a, b] = [state.me, peer].sort();
  $('new-chat-user').value = '';
  open(`dm:${a}:${b}`);
});

$('new-group').addEventListener('submit', (e) => {
  e.preventDefault();
  const members = $('new-group-members').value.split(',').map((s) => s.trim()).filter(Boolean);
  state.client.group.create($('new-group-name').value.trim(), members).then(
    (g) => {
      state.groups.set(g.groupId, { name: g.name, members: g.members });
      save();
      conversation(`group:${g.groupId}`);
      render();
    },
    (e) => showError(`${e.code}: ${e.message}`),
  );
  $('new-group-name').value = '';
  $('new-group-members').value = '';
});

window.addEventListener('focus', () => state.current && open(state.current));

function showNotice(text) {
  const p = document.createElement('p');
  p.textContent = text;
  $('notices').append(p);
  setTimeout(() => p.remove(), 8000);
}

function showError(text) {
  const p = document.createElement('p');
  p.textContent = text;
  $('errors').append(p);
  setTimeout(() => p.remove(), 8000);
}

// Resume a session after a reload.
const saved = sessionStorage.getItem('chat:session');
if (saved) {
  const { user, url, token } = JSON.parse(saved);
  start(user, url, token || (() => devToken(user)));
}
