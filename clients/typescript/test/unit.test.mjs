// The library's own rules without a server: applyUpdate, and how reactions are told apart
// and counted once, against a scripted WebSocket (the devserver tests cover the real thing).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatClient, QUICK_REACTIONS, applyUpdate } from '../dist/index.js';
import { until } from './devserver.mjs';

const base = { msgId: 'M1', conversation: 'dm:alice:bob', from: 'bob', seq: 3, ts: 1, body: 'hi' };
const reaction = (by, emoji, extra = {}) => ({ type: 'update', kind: 'reaction', msgId: 'M1', conversation: 'dm:alice:bob', seq: 9, by, emoji, ts: 2, ...extra });

test('applyUpdate counts reactions, follows mine, and ignores what changes nothing', () => {
  let m = applyUpdate(base, reaction('bob', '👍'), 'alice');
  assert.deepEqual(m.reactions, { '👍': { count: 1, mine: false } });
  m = applyUpdate(m, reaction('alice', '👍'), 'alice');
  assert.deepEqual(m.reactions, { '👍': { count: 2, mine: true } });
  // Your own reaction applied twice (react's value, then the same change synced): once.
  assert.equal(applyUpdate(m, reaction('alice', '👍'), 'alice'), m, 'the same object: nothing changed');
  // Taking back one you did not put there: nothing.
  assert.equal(applyUpdate(m, reaction('alice', '🎉', { removed: true }), 'alice'), m);
  m = applyUpdate(m, reaction('alice', '👍', { removed: true }), 'alice');
  assert.deepEqual(m.reactions, { '👍': { count: 1, mine: false } });
  m = applyUpdate(m, reaction('bob', '👍', { removed: true }), 'alice');
  assert.equal(m.reactions, undefined, 'no reactions left: the field goes, as on the wire');
  assert.equal(base.reactions, undefined, 'the original is never changed');
  // Another message's update, and an unknown kind, leave it alone.
  assert.equal(applyUpdate(base, { ...reaction('bob', '👍'), msgId: 'M2' }, 'alice'), base);
  assert.equal(applyUpdate(base, { ...reaction('bob', '👍'), kind: 'pinned' }, 'alice'), base);
});

test('applyUpdate applies edits and deletes (a deleted message keeps no reactions)', () => {
  const reacted = applyUpdate(base, reaction('bob', '❤️'), 'alice');
  const edited = applyUpdate(reacted, { type: 'update', kind: 'edit', msgId: 'M1', conversation: 'dm:alice:bob', seq: 10, by: 'bob', ts: 5, body: 'hello' });
  assert.equal(edited.body, 'hello');
  assert.equal(edited.editedAt, 5);
  assert.deepEqual(edited.reactions, reacted.reactions);
  const deleted = applyUpdate(edited, { type: 'update', kind: 'delete', msgId: 'M1', conversation: 'dm:alice:bob', seq: 11, by: 'bob', ts: 6 });
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.body, '');
  assert.equal(deleted.reactions, undefined);
  assert.equal(applyUpdate(deleted, reaction('bob', '👍'), 'alice'), deleted, 'no reactions on a deleted message');
  assert.equal(QUICK_REACTIONS.length, 6);
});

/** A token the client can read (`sub`); the scripted server never checks it. */
const jwt = (sub) => `x.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.y`;

/** A WebSocket whose server side is `serve(frame, socket)`; `socket.push(frame)` sends one. */
function scripted(serve) {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.();
      });
    }
    send(data) {
      const frame = JSON.parse(data);
      this.sent.push(frame);
      setTimeout(() => serve(frame, this));
    }
    push(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }
    close() {
      this.readyState = 3;
      setTimeout(() => this.onclose?.());
    }
  }
  return { FakeSocket, sockets };
}

const message = (seq, msgId, extra = {}) => ({ type: 'message', seq, msgId, conversation: 'dm:alice:bob', from: 'bob', body: `m${seq}`, ts: seq, clientMsgId: `c${seq}`, ...extra });

test('a sync brings a message in its latest state: its reactions in the same sync are not emitted again', async (t) => {
  const entries = [
    message(1, 'M1', { reactions: { '👍': { count: 1, mine: false } } }),
    { ...reaction('bob', '👍'), seq: 2 },
    // A reaction to a message this sync did not bring (the app has it from before): emitted.
    { ...reaction('bob', '🎉'), msgId: 'M0', seq: 3 },
  ];
  const { FakeSocket, sockets } = scripted((f, ws) => {
    if (f.action === 'sync') ws.push({ type: 'sync', id: f.id, messages: entries.filter((e) => e.seq > f.after), next: null });
  });
  const c = new ChatClient({ url: 'ws://test/', token: jwt('alice'), WebSocket: FakeSocket });
  t.after(() => c.close());
  const messages = [];
  const updates = [];
  c.on('message', (m) => messages.push(m));
  c.on('update', (u) => updates.push(u));
  await c.connect();
  await until(() => c.lastSeq === 3, 2_000, 'the sync');
  assert.deepEqual(messages.map((m) => m.msgId), ['M1']);
  assert.deepEqual(updates.map((u) => [u.msgId, u.emoji]), [['M0', '🎉']]);
  // A live reaction after the sync is new: emitted, to be counted on top of the snapshot.
  sockets[0].push({ ...reaction('carol', '👍'), seq: 4 });
  await until(() => c.lastSeq === 4, 2_000, 'the live reaction');
  assert.deepEqual(updates.map((u) => [u.msgId, u.emoji]), [['M0', '🎉'], ['M1', '👍']]);
  assert.deepEqual(applyUpdate(messages[0], updates[1], 'alice').reactions, { '👍': { count: 2, mine: false } });
});

test('react resolves with the change; its own seq is processed, a repeat\'s seq (the message\'s) is not', async (t) => {
  let next = 2; // the server's next seq in alice's inbox
  const { FakeSocket, sockets } = scripted((f, ws) => {
    if (f.action === 'sync') ws.push({ type: 'sync', id: f.id, messages: f.after < 1 ? [message(1, 'M1')] : [], next: null });
    if (f.action === 'react') {
      // 👍 is new, a second 👍 is a repeat: acked with the message's own seq (1).
      const repeat = !f.remove && sockets[0].sent.filter((s) => s.action === 'react' && s.emoji === f.emoji && !s.remove).length > 1;
      ws.push({ type: 'ack', clientMsgId: f.clientMsgId, msgId: f.msgId, seq: repeat ? 1 : next++, conversation: 'dm:alice:bob', ts: 7 });
    }
  });
  const c = new ChatClient({ url: 'ws://test/', token: jwt('alice'), WebSocket: FakeSocket });
  t.after(() => c.close());
  const seen = [];
  c.on('message', (m) => seen.push(m.msgId));
  c.on('update', (u) => seen.push(`update ${u.seq}`));
  await c.connect();
  await until(() => c.lastSeq === 1, 2_000, 'the message');
  const change = await c.react('M1', '👍');
  assert.deepEqual(change, { type: 'update', kind: 'reaction', msgId: 'M1', conversation: 'dm:alice:bob', seq: 2, by: 'alice', emoji: '👍', ts: 7 });
  assert.equal(c.lastSeq, 2, 'the reaction\'s seq is this client\'s own: processed, not emitted');
  const repeat = await c.react('M1', '👍');
  assert.equal(repeat.seq, 1);
  assert.equal(c.lastSeq, 2);
  const undo = await c.react('M1', '👍', { remove: true });
  assert.equal(undo.removed, true);
  assert.equal(c.lastSeq, 3);
  const frames = sockets[0].sent.filter((s) => s.action === 'react');
  assert.deepEqual(frames.map((s) => [s.msgId, s.emoji, s.remove]), [['M1', '👍', undefined], ['M1', '👍', undefined], ['M1', '👍', true]]);
  // A live entry after them is the next one: nothing was skipped or emitted twice.
  sockets[0].push(message(4, 'M4'));
  await until(() => c.lastSeq === 4, 2_000, 'the next message');
  assert.deepEqual(seen, ['M1', 'M4']);
  assert.equal(sockets[0].sent.filter((s) => s.action === 'sync').length, 1, 'no sync needed');
});

test('a reaction to a message the client never saw: its entry is fetched, and recognised as its own', async (t) => {
  const inbox = [message(1, 'M1')];
  const { FakeSocket, sockets } = scripted((f, ws) => {
    if (f.action === 'sync') ws.push({ type: 'sync', id: f.id, messages: inbox.filter((e) => e.seq > f.after), next: null });
    if (f.action === 'react') {
      // M9 came in by another way (a history page the library did not read): the
      // reaction is stored at 3, after a message at 2 this client has not seen yet.
      inbox.push(message(2, 'M2'), { ...reaction('alice', '🎉'), msgId: 'M9', seq: 3 });
      ws.push({ type: 'ack', clientMsgId: f.clientMsgId, msgId: f.msgId, seq: 3, conversation: 'dm:alice:bob', ts: 7 });
    }
  });
  const c = new ChatClient({ url: 'ws://test/', token: jwt('alice'), WebSocket: FakeSocket });
  t.after(() => c.close());
  const seen = [];
  c.on('message', (m) => seen.push(m.msgId));
  c.on('update', (u) => seen.push(`update ${u.seq}`));
  await c.connect();
  await until(() => c.lastSeq === 1, 2_000, 'the first message');
  await c.react('M9', '🎉');
  await until(() => c.lastSeq === 3, 2_000, 'the gap filled');
  assert.deepEqual(seen, ['M1', 'M2'], 'the message between is emitted, the own reaction is not');
  assert.ok(sockets[0].sent.filter((s) => s.action === 'sync').length >= 2, 'fetched by a sync');
});
