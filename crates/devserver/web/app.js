// serverless-chat web client: a reference client of docs/protocol.md. It uses nothing the
// deployed API lacks, except GET /dev/token on the devserver to mint a token for a name.
const $ = (id) => document.getElementById(id);
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 4000;

const state = {
  me: null,
  url: null,
  token: null,
  ws: null,
  open: false,
  backoff: 500,
  nextId: 1,
  lastSeq: 0,
  syncing: false,
  conversations: new Map(), // conversation -> { id, peer, name, messages: Map(msgId -> msg), oldest, unread, lastSeq, readUpTo, preview }
  groups: new Map(), // groupId -> { name, members }
  presence: new Map(), // user -> online
  outbox: [], // unacked sends: { clientMsgId, to|group, body, conversation, ts }
  failed: [], // sends the server refused, shown as not sent
  pendingEdits: new Map(), // clientMsgId -> { kind, msgId, body }: edits and deletes awaiting their ack
  editing: null, // msgId of the message being edited in the composer
  current: null,
  typingSentAt: 0,
  typingTimers: new Map(),
};

// ---- persistence: the last seq seen and unacked sends survive reloads ----
const key = (what) => `chat:${state.url}:${state.me}:${what}`;
function save() {
  localStorage.setItem(key('lastSeq'), String(state.lastSeq));
  localStorage.setItem(key('outbox'), JSON.stringify(state.outbox));
  localStorage.setItem(key('groups'), JSON.stringify([...state.groups]));
}
function load() {
  state.lastSeq = Number(localStorage.getItem(key('lastSeq')) || 0);
  state.outbox = JSON.parse(localStorage.getItem(key('outbox')) || '[]');
  state.groups = new Map(JSON.parse(localStorage.getItem(key('groups')) || '[]'));
}

// ---- sign in ----
$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('signin-error').textContent = '';
  const user = $('user').value.trim();
  let url = $('url').value.trim();
  let token = $('token').value.trim();
  try {
    if (!url) url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
    if (!token) {
      const r = await fetch(`/dev/token?user=${encodeURIComponent(user)}`);
      const body = await r.json();
      if (!r.ok) throw new Error(body.error || `token request failed (${r.status})`);
      token = body.token;
    }
    sessionStorage.setItem('chat:session', JSON.stringify({ user, url, token }));
    start(user, url, token);
  } catch (err) {
    $('signin-error').textContent = `Could not sign in: ${err.message}`;
  }
});

$('signout').addEventListener('click', () => {
  sessionStorage.removeItem('chat:session');
  location.reload();
});

function start(user, url, token) {
  Object.assign(state, { me: user, url, token });
  load();
  $('signin').hidden = true;
  $('app').hidden = false;
  $('me').textContent = user;
  connect();
}

// ---- connection, with reconnect and backoff ----
function connect() {
  const sep = state.url.includes('?') ? '&' : '?';
  const ws = new WebSocket(`${state.url}${sep}token=${encodeURIComponent(state.token)}&device=web`);
  state.ws = ws;
  setStatus('connecting…');
  ws.onopen = () => {
    state.open = true;
    state.backoff = 500;
    setStatus('online', true);
    // The sidebar is the server's conversation list: previews, unread counts, order.
    sendFrame({ action: 'conversations', limit: 100 });
    sync();
    for (const m of state.outbox) sendFrame({ action: 'send', ...target(m), clientMsgId: m.clientMsgId, body: m.body });
    subscribePresence();
  };
  ws.onmessage = (ev) => {
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch {
      return showError(`unreadable frame from the server`);
    }
    handle(frame);
  };
  ws.onclose = (ev) => {
    state.open = false;
    const wait = Math.min(state.backoff, 15000) * (0.75 + Math.random() / 2);
    state.backoff *= 2;
    setStatus(`offline (${ev.code}); reconnecting in ${Math.round(wait / 1000)} s`);
    setTimeout(connect, wait);
  };
}

function setStatus(text, online = false) {
  $('status').textContent = text;
  $('status').classList.toggle('online', online);
}

function sendFrame(frame) {
  if (!state.open) return false;
  state.ws.send(JSON.stringify({ id: `c${state.nextId++}`, ...frame }));
  return true;
}

const target = (m) => (m.group ? { group: m.group } : { to: m.to });

function sync() {
  if (state.syncing) return;
  state.syncing = true;
  sendFrame({ action: 'sync', after: state.lastSeq });
}

// ---- frames from the server ----
function handle(f) {
  switch (f.type) {
    case 'message':
      return onMessage(f, true);
    case 'ack':
      return onAck(f);
    case 'sync':
      for (const m of f.messages) (m.type === 'update' ? onUpdate(m, false) : onMessage(m, false));
      if (f.next !== null) return sendFrame({ action: 'sync', after: f.next });
      state.syncing = false;
      return render();
    case 'history': {
      const c = conversation(f.conversation);
      for (const m of f.messages) storeMessage(m);
      c.oldest = f.next;
      return render();
    }
    case 'update':
      return onUpdate(f, true);
    case 'conversations':
      return onConversations(f);
    case 'read': {
      const c = conversation(f.conversation);
      c.readUpTo = Math.max(c.readUpTo, f.upTo);
      c.readSent = Math.max(c.readSent, f.upTo);
      // Read on another device: the badge clears there too (or is recounted by the server).
      if (f.upTo >= c.lastSeq) c.unread = 0;
      else sendFrame({ action: 'conversations', limit: 100 });
      return renderList();
    }
    case 'receipt': {
      const m = conversation(f.conversation).messages.get(f.msgId);
      if (m) m.receipts = { ...(m.receipts || {}), [f.by]: f.status };
      return render();
    }
    case 'typing':
      return showTyping(f.conversation, f.from);
    case 'presence':
      for (const u of f.users) state.presence.set(u.user, u.online);
      return renderList();
    case 'group':
      state.groups.set(f.groupId, { name: f.name, members: f.members });
      save();
      conversation(`group:${f.groupId}`);
      return render();
    case 'error': {
      // A refused send will not succeed on retry: show it as not sent. An internal error
      // stays in the outbox and is resent (same clientMsgId) on the next connect.
      if (state.pendingEdits.delete(f.clientMsgId)) return showError(`${f.code}: ${f.message}`);
      const refused = f.code !== 'internal' && state.outbox.find((m) => m.clientMsgId === f.clientMsgId);
      if (refused) {
        state.outbox = state.outbox.filter((m) => m !== refused);
        state.failed.push({ ...refused, error: `${f.code}: ${f.message}` });
        save();
        renderChat();
      }
      return showError(`${f.code}: ${f.message}`);
    }
    case 'ok':
    case 'pong':
      return;
    default:
      if (f.message) showError(f.message); // API Gateway's own error frames
  }
}

// Advances the last seq processed; a gap in live frames means some were missed (e.g. while
// reconnecting): sync fills it.
function advance(seq, live) {
  if (live && seq > state.lastSeq + 1) sync();
  if (seq === state.lastSeq + 1 || !live) state.lastSeq = Math.max(state.lastSeq, seq);
}

function onConversations(f) {
  for (const item of f.items) {
    const c = conversation(item.conversation);
    if (item.name) c.name = item.name;
    c.unread = item.unread;
    c.readUpTo = Math.max(c.readUpTo, item.readUpTo);
    c.readSent = Math.max(c.readSent, item.readUpTo);
    c.lastSeq = Math.max(c.lastSeq, item.lastSeq);
    c.preview = item.last.deleted ? 'Message deleted' : item.last.preview;
    if (c.id === state.current && document.hasFocus()) markRead(c);
  }
  if (f.next !== null && state.conversations.size < 500) sendFrame({ action: 'conversations', limit: 100, before: f.next });
  renderList();
}

// Tells the server (and so the user's other devices) that everything in `c` is read.
function markRead(c) {
  c.unread = 0;
  if (c.lastSeq > c.readSent) {
    c.readSent = c.lastSeq;
    sendFrame({ action: 'read', conversation: c.id, upTo: c.lastSeq });
  }
}

function onUpdate(u, live) {
  advance(u.seq, live);
  const c = conversation(u.conversation);
  c.lastSeq = Math.max(c.lastSeq, u.seq);
  const m = c.messages.get(u.msgId);
  if (m) {
    if (u.kind === 'edit') Object.assign(m, { body: u.body, editedAt: u.ts });
    else Object.assign(m, { body: '', deleted: true });
  }
  const newest = [...c.messages.values()].sort((a, b) => b.seq - a.seq)[0];
  if (newest && newest.msgId === u.msgId) c.preview = newest.deleted ? 'Message deleted' : preview(newest.body);
  if (c.id === state.current && document.hasFocus()) markRead(c);
  save();
  if (live) render();
}

const preview = (body) => (body.length > 100 ? `${body.slice(0, 99)}…` : body);

function onMessage(m, live) {
  advance(m.seq, live);
  storeMessage(m);
  const c = conversation(m.conversation);
  c.lastSeq = Math.max(c.lastSeq, m.seq);
  c.preview = preview(m.body);
  // A group first heard of live: the list brings its name.
  if (live && !c.peer && !title(c, true)) sendFrame({ action: 'conversations', limit: 100 });
  if (live && state.typingTimers.has(c.id)) {
    clearTimeout(state.typingTimers.get(c.id));
    if (c.id === state.current) $('typing').textContent = '';
  }
  if (m.from !== state.me && m.from !== 'system') {
    const viewing = c.id === state.current && document.hasFocus();
    sendFrame({ action: 'receipt', msgIds: [m.msgId], status: viewing ? 'read' : 'delivered' });
    if (live && !viewing) c.unread++;
  }
  if (live && c.id === state.current && document.hasFocus()) markRead(c);
  save();
  if (live) render();
}

function onAck(a) {
  const edit = state.pendingEdits.get(a.clientMsgId);
  if (edit) {
    state.pendingEdits.delete(a.clientMsgId);
    const { kind, msgId, body } = edit;
    return onUpdate({ kind, msgId, body, conversation: a.conversation, seq: a.seq, by: state.me, ts: a.ts }, true);
  }
  const sent = state.outbox.find((m) => m.clientMsgId === a.clientMsgId);
  state.outbox = state.outbox.filter((m) => m.clientMsgId !== a.clientMsgId);
  if (a.seq === state.lastSeq + 1) state.lastSeq = a.seq;
  const c = conversation(a.conversation);
  // The first message makes the peer a contact: only now does presence show it.
  const first = c.messages.size === 0;
  c.lastSeq = Math.max(c.lastSeq, a.seq);
  c.preview = sent ? preview(sent.body) : c.preview;
  c.readSent = Math.max(c.readSent, a.seq);
  storeMessage({
    seq: a.seq,
    msgId: a.msgId,
    conversation: a.conversation,
    from: state.me,
    body: sent ? sent.body : '',
    ts: a.ts,
    clientMsgId: a.clientMsgId,
  });
  if (first && c.peer) subscribePresence();
  save();
  render();
}

function conversation(id) {
  let c = state.conversations.get(id);
  if (!c) {
    const peer = id.startsWith('dm:') ? id.slice(3).split(':').find((u) => u !== state.me) || state.me : null;
    c = { id, peer, name: null, messages: new Map(), oldest: undefined, unread: 0, lastSeq: 0, readUpTo: 0, readSent: 0, preview: '' };
    state.conversations.set(id, c);
    if (peer) subscribePresence();
  }
  return c;
}

function storeMessage(m) {
  const c = conversation(m.conversation);
  const old = c.messages.get(m.msgId);
  c.messages.set(m.msgId, { ...old, ...m, receipts: m.receipts || (old && old.receipts) });
}

function title(c, known = false) {
  if (c.peer) return c.peer;
  const g = state.groups.get(c.id.slice(6));
  const name = (g && g.name) || c.name;
  return name || (known ? null : `group ${c.id.slice(6, 14)}…`);
}

function subscribePresence() {
  const peers = [...state.conversations.values()].map((c) => c.peer).filter((p) => p && p !== state.me);
  if (peers.length) sendFrame({ action: 'presence', users: [...new Set(peers)].slice(0, 100) });
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
        if (c.unread) {
          const u = document.createElement('span');
          u.className = 'unread';
          u.textContent = String(c.unread);
          u.setAttribute('aria-label', `${c.unread} unread`);
          b.append(u);
        }
        b.addEventListener('click', () => open(c.id));
        li.append(b);
        return li;
      }),
  );
  if (focused) list.querySelector(`[data-conv="${CSS.escape(focused)}"]`)?.focus();
}

const last = (c) => Math.max(0, ...[...c.messages.values()].map((m) => m.ts));

function renderChat() {
  const c = state.conversations.get(state.current);
  $('composer').hidden = !c;
  $('older').hidden = !c || c.oldest === null;
  if (!c) return;
  $('chat-title').textContent = title(c);
  const items = [...c.messages.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const pending = state.outbox.filter((m) => m.conversation === c.id);
  const failed = state.failed.filter((m) => m.conversation === c.id);
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(
    ...items.map(messageItem),
    ...pending.map((m) => messageItem({ ...m, from: state.me, pending: true })),
    ...failed.map((m) => messageItem({ ...m, from: state.me })),
  );
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function messageItem(m) {
  const li = document.createElement('li');
  const mine = m.from === state.me;
  li.className = `msg${mine ? ' mine' : ''}${m.from === 'system' ? ' system' : ''}${m.error ? ' failed' : ''}${m.deleted ? ' deleted' : ''}`;
  li.dataset.msgId = m.msgId || '';
  li.textContent = m.deleted ? 'Message deleted' : m.error && m.body.length > 140 ? `${m.body.slice(0, 140)}…` : m.body;
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
  li.append(meta);
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
  return li;
}

// ---- edit and delete one's own messages ----
function amend(kind, msgId, body) {
  const clientMsgId = crypto.randomUUID();
  state.pendingEdits.set(clientMsgId, { kind, msgId, body });
  sendFrame({ action: kind, msgId, clientMsgId, ...(kind === 'edit' ? { body } : {}) });
}

function startEdit(m) {
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
  state.current = id;
  const c = conversation(id);
  markRead(c);
  const unreadFromOthers = [...c.messages.values()]
    .filter((m) => m.from !== state.me && m.from !== 'system' && !m.readSent)
    .map((m) => ((m.readSent = true), m.msgId));
  for (let i = 0; i < unreadFromOthers.length; i += 100) {
    sendFrame({ action: 'receipt', msgIds: unreadFromOthers.slice(i, i + 100), status: 'read' });
  }
  if (c.oldest === undefined) sendFrame({ action: 'history', conversation: id, limit: 50 });
  render();
  $('body').focus();
}

$('older').addEventListener('click', () => {
  const c = state.conversations.get(state.current);
  if (c && c.oldest) sendFrame({ action: 'history', conversation: c.id, before: c.oldest, limit: 50 });
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
  const m = {
    clientMsgId: crypto.randomUUID(),
    body,
    conversation: c.id,
    ts: Date.now(),
    ...(c.peer ? { to: c.peer } : { group: c.id.slice(6) }),
  };
  state.outbox.push(m);
  save();
  sendFrame({ action: 'send', ...target(m), clientMsgId: m.clientMsgId, body });
  $('body').value = '';
  renderChat();
});

$('body').addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.editing) return stopEdit();
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});

$('body').addEventListener('input', () => {
  const c = state.conversations.get(state.current);
  if (!c || Date.now() - state.typingSentAt < TYPING_EVERY_MS) return;
  state.typingSentAt = Date.now();
  sendFrame({ action: 'typing', ...(c.peer ? { to: c.peer } : { group: c.id.slice(6) }) });
});

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
  sendFrame({ action: 'group.create', name: $('new-group-name').value.trim(), members });
  $('new-group-name').value = '';
  $('new-group-members').value = '';
});

window.addEventListener('focus', () => state.current && open(state.current));

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
  start(user, url, token);
}
