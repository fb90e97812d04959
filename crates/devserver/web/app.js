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
  conversations: new Map(), // conversation -> { id, title, peer, messages: Map(msgId -> msg), oldest, unread }
  groups: new Map(), // groupId -> { name, members }
  presence: new Map(), // user -> online
  outbox: [], // unacked sends: { clientMsgId, to|group, body, conversation, ts }
  failed: [], // sends the server refused, shown as not sent
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
      for (const m of f.messages) onMessage(m, false);
      if (f.next !== null) return sendFrame({ action: 'sync', after: f.next });
      state.syncing = false;
      return render();
    case 'history': {
      const c = conversation(f.conversation);
      for (const m of f.messages) storeMessage(m);
      c.oldest = f.next;
      return render();
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

function onMessage(m, live) {
  // A gap means frames were missed (e.g. while reconnecting): sync fills it.
  if (live && m.seq > state.lastSeq + 1) sync();
  if (m.seq === state.lastSeq + 1 || !live) state.lastSeq = Math.max(state.lastSeq, m.seq);
  storeMessage(m);
  const c = conversation(m.conversation);
  if (live && state.typingTimers.has(c.id)) {
    clearTimeout(state.typingTimers.get(c.id));
    if (c.id === state.current) $('typing').textContent = '';
  }
  if (m.from !== state.me && m.from !== 'system') {
    sendFrame({ action: 'receipt', msgIds: [m.msgId], status: c.id === state.current && document.hasFocus() ? 'read' : 'delivered' });
    if (c.id !== state.current) c.unread++;
  }
  save();
  if (live) render();
}

function onAck(a) {
  const sent = state.outbox.find((m) => m.clientMsgId === a.clientMsgId);
  state.outbox = state.outbox.filter((m) => m.clientMsgId !== a.clientMsgId);
  if (a.seq === state.lastSeq + 1) state.lastSeq = a.seq;
  storeMessage({
    seq: a.seq,
    msgId: a.msgId,
    conversation: a.conversation,
    from: state.me,
    body: sent ? sent.body : '',
    ts: a.ts,
    clientMsgId: a.clientMsgId,
  });
  save();
  render();
}

function conversation(id) {
  let c = state.conversations.get(id);
  if (!c) {
    const peer = id.startsWith('dm:') ? id.slice(3).split(':').find((u) => u !== state.me) || state.me : null;
    c = { id, peer, messages: new Map(), oldest: undefined, unread: 0 };
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

function title(c) {
  if (c.peer) return c.peer;
  const g = state.groups.get(c.id.slice(6));
  return g ? g.name : `group ${c.id.slice(6, 14)}…`;
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
      .sort((a, b) => last(b) - last(a))
      .map((c) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.conv = c.id;
        if (c.id === state.current) b.setAttribute('aria-current', 'true');
        const dot = document.createElement('span');
        dot.className = `dot${c.peer && state.presence.get(c.peer) ? ' online' : ''}`;
        dot.setAttribute('aria-label', c.peer ? (state.presence.get(c.peer) ? 'online' : 'offline') : 'group');
        const name = document.createElement('span');
        name.textContent = title(c);
        b.append(dot, name);
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
  li.className = `msg${mine ? ' mine' : ''}${m.from === 'system' ? ' system' : ''}${m.error ? ' failed' : ''}`;
  li.textContent = m.error && m.body.length > 140 ? `${m.body.slice(0, 140)}…` : m.body;
  const meta = document.createElement('span');
  meta.className = 'meta';
  const when = m.ts ? new Date(m.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  meta.textContent = `${mine || m.from === 'system' ? '' : `${m.from} · `}${when}`;
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
  return li;
}

function open(id) {
  state.current = id;
  const c = conversation(id);
  c.unread = 0;
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
