// The client library against a real devserver process (no mocks): what docs/client.md
// promises about reconnection, resends and catching up.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ChatClient, ChatError, REPORT_REASONS, applyUpdate, isMuted, memoryStorage } from '../dist/index.js';
import { startDevserver, stop, stopAll, token, until } from './devserver.mjs';

let server;
before(async () => {
  server = await startDevserver();
});
after(async () => {
  await stop(server);
  await stopAll();
});

async function client(user, options = {}) {
  const c = new ChatClient({ url: server.url, token: await token(server, user), device: 'test', ...options });
  await c.connect();
  return c;
}

/** Closes the clients when the test ends, passed or failed (a client left open keeps
 * reconnecting, and so the test process alive, after the server stops). */
function closeAfter(t, ...clients) {
  t.after(() => {
    for (const c of clients) c.close();
  });
}

function collect(c, event = 'message') {
  const got = [];
  c.on(event, (m) => got.push(m));
  return got;
}

test('send resolves to the ack, and the other side gets the message once', async () => {
  const [alice, bob] = [await client('alice'), await client('bob')];
  const inbox = collect(bob);
  const ack = await alice.send({ to: 'bob', body: 'hi bob' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.conversation, 'dm:alice:bob');
  assert.equal(ack.clientMsgId.length, 26, 'a fresh ULID by default');
  await until(() => inbox.length === 1, 5_000, 'the message');
  assert.equal(inbox[0].body, 'hi bob');
  assert.equal(inbox[0].from, 'alice');
  assert.equal(inbox[0].msgId, ack.msgId);
  // The same clientMsgId again: the first ack, nothing delivered twice.
  const again = await alice.send({ to: 'bob', body: 'hi bob', clientMsgId: ack.clientMsgId });
  assert.equal(again.msgId, ack.msgId);
  // Requests reject with the server's code.
  await assert.rejects(alice.history('dm:bob:carol'), (e) => e instanceof ChatError && e.code === 'forbidden');
  await assert.rejects(alice.send({ to: 'bob', body: '' }), (e) => e.code === 'bad_request');
  const list = await bob.conversations();
  assert.equal(list.items[0].conversation, 'dm:alice:bob');
  assert.equal((await alice.whoami()).user, 'alice');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(inbox.length, 1, 'nothing more arrived');
  alice.close();
  bob.close();
});

test('messages sent while a client was away arrive after its reconnect, once and in order', async () => {
  const storage = memoryStorage();
  const carol = await client('carol');
  let dave = await client('dave', { storage });
  const early = collect(dave);
  await carol.send({ to: 'dave', body: 'before' });
  await until(() => early.length === 1, 5_000, 'the first message');
  dave.close();
  for (let i = 1; i <= 5; i++) await carol.send({ to: 'dave', body: `while away ${i}` });
  dave = new ChatClient({ url: server.url, token: () => token(server, 'dave'), storage });
  const later = collect(dave);
  await dave.connect();
  await until(() => later.length === 5, 5_000, 'the five');
  assert.deepEqual(later.map((m) => m.body), [1, 2, 3, 4, 5].map((i) => `while away ${i}`));
  const seqs = later.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
  assert.equal(dave.lastSeq, seqs.at(-1));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(later.length, 5, 'nothing twice, nothing from before');
  carol.close();
  dave.close();
});

test('a server restart in the middle of 100 sends: each resolves once, the recipient has all 100 once', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chat-client-'));
  let own = await startDevserver(['--data-dir', dataDir]);
  const mint = (user) => async () => token(own, user);
  const options = { url: own.url, reconnect: { initialMs: 100, maxMs: 500 }, requestTimeoutMs: 5_000 };
  const erin = new ChatClient({ ...options, token: mint('erin') });
  const frank = new ChatClient({ ...options, token: mint('frank') });
  const inbox = collect(frank);
  await erin.connect();
  await frank.connect();
  const outcomes = new Map();
  const sends = [];
  for (let i = 0; i < 100; i++) {
    const clientMsgId = `burst-${String(i).padStart(3, '0')}`;
    sends.push(
      erin.send({ to: 'frank', body: `message ${i}`, clientMsgId }).then(
        (ack) => outcomes.set(clientMsgId, [...(outcomes.get(clientMsgId) ?? []), ack.msgId]),
        (e) => outcomes.set(clientMsgId, [...(outcomes.get(clientMsgId) ?? []), `failed: ${e.message}`]),
      ),
    );
  }
  await until(() => outcomes.size >= 10, 10_000, 'some acks');
  await stop(own, 'SIGKILL');
  const settledBeforeTheCrash = outcomes.size;
  assert.ok(settledBeforeTheCrash < 100, `the crash came in the middle of the burst (${settledBeforeTheCrash} settled)`);
  own = await startDevserver(['--data-dir', dataDir], own.addr);
  await Promise.all(sends);
  assert.equal(outcomes.size, 100);
  for (const [cid, got] of outcomes) {
    assert.equal(got.length, 1, `${cid} settled once`);
    assert.ok(!got[0].startsWith('failed'), `${cid}: ${got[0]}`);
  }
  assert.equal(new Set([...outcomes.values()].flat()).size, 100, '100 different messages');
  await until(() => inbox.length >= 100, 15_000, 'all 100 at the recipient');
  await new Promise((r) => setTimeout(r, 300));
  const bodies = inbox.map((m) => m.body);
  assert.equal(bodies.length, 100, 'no duplicate');
  assert.equal(new Set(bodies).size, 100);
  assert.deepEqual(bodies, [...Array(100).keys()].map((i) => `message ${i}`), 'in the order they were sent');
  const seqs = inbox.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
  assert.equal(erin.unacked, 0);
  erin.close();
  frank.close();
  await stop(own);
});

test('the token function is called again on every reconnect', async () => {
  let own = await startDevserver(['--in-memory']);
  let calls = 0;
  const gina = new ChatClient({
    url: own.url,
    token: async () => {
      calls += 1;
      return token(own, 'gina');
    },
    reconnect: { initialMs: 50, maxMs: 200 },
  });
  const states = collect(gina, 'state');
  await gina.connect();
  assert.equal(calls, 1);
  await stop(own);
  own = await startDevserver(['--in-memory'], own.addr);
  await until(() => gina.state === 'online' && calls >= 2, 10_000, 'a reconnect');
  assert.ok(states.includes('offline'), `states: ${states}`);
  gina.close();
  await stop(own);
});

test('a server down for a while: every failed attempt is retried until it is back', async () => {
  let own = await startDevserver(['--in-memory']);
  const ivy = new ChatClient({ url: own.url, token: await token(own, 'ivy'), reconnect: { initialMs: 20, maxMs: 40 } });
  const states = collect(ivy, 'state');
  await ivy.connect();
  await stop(own);
  // Long enough for many attempts to fail (connection refused): each must lead to the next.
  await until(() => states.filter((s) => s === 'connecting').length >= 5, 10_000, 'five attempts while it is down');
  own = await startDevserver(['--in-memory'], own.addr);
  await until(() => ivy.state === 'online', 10_000, 'the reconnect once it is back');
  ivy.close();
  await stop(own);
});

test('a connection that never opens is given up after connectTimeoutMs and tried again', async () => {
  // Accepts TCP connections and never answers the WebSocket handshake.
  const sockets = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const { port } = silent.address();
  const jo = new ChatClient({
    url: `ws://127.0.0.1:${port}/`,
    token: await token(server, 'jo'),
    connectTimeoutMs: 200,
    reconnect: { initialMs: 10, maxMs: 20 },
  });
  const states = collect(jo, 'state');
  void jo.connect().catch(() => undefined);
  await until(() => sockets.length >= 3, 10_000, 'three connection attempts');
  assert.ok(states.includes('offline'), `states: ${states}`);
  jo.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

test('deleting your account answers with its job, then the id is refused like a bad token', async (t) => {
  const ivy = await client('ivy');
  closeAfter(t, ivy);
  await assert.rejects(ivy.deleteAccount('someone-else'), (e) => e.code === 'bad_request');
  const job = await ivy.deleteAccount('ivy');
  assert.match(job, /^del_/);
  // Told why before its connection closes: a static token is not tried again.
  await until(() => ivy.state === 'unauthorized', 15_000, 'the deleted account refused');
});

test('an expired token is a clear unauthorized state, not endless retries', async () => {
  const expired = await token(server, 'hank', 1);
  await new Promise((r) => setTimeout(r, 1_500));
  const hank = new ChatClient({ url: server.url, token: expired });
  const errors = collect(hank, 'error');
  await assert.rejects(hank.connect(), (e) => e.code === 'unauthorized');
  assert.equal(hank.state, 'unauthorized');
  assert.equal(errors[0]?.code, 'unauthorized');
  assert.match(errors[0].message, /expired/);
  hank.close();
});

test('a file goes straight to storage, rides on a message, and downloads byte for byte', async () => {
  const [judy, kim] = [await client('judy'), await client('kim')];
  const inbox = collect(kim);
  const notices = collect(judy, 'uploaded');
  const bytes = new TextEncoder().encode('%PDF-1.7 the minutes of the meeting');
  const uploadId = await judy.upload('dm:judy:kim', bytes, { contentType: 'application/pdf', name: 'minutes.pdf' });
  // The server told the uploader the bytes were checked (no thumbnail: not an image).
  assert.deepEqual(notices, [{ type: 'uploaded', uploadId, status: 'ready', thumbnail: false }]);
  assert.deepEqual(await judy.uploaded(uploadId, 10), notices[0], 'kept for a later ask');
  const ack = await judy.send({ to: 'kim', attachments: [uploadId] });
  assert.equal(ack.type, 'ack');
  await until(() => inbox.length === 1, 5_000, 'the message');
  const [a] = inbox[0].attachments;
  assert.equal(a.name, 'minutes.pdf');
  assert.equal(a.thumbnail, false);
  const link = await kim.attachment(inbox[0].msgId, a.attachmentId);
  const got = new Uint8Array(await (await fetch(link.url)).arrayBuffer());
  assert.deepEqual(got, bytes);
  await assert.rejects(judy.uploadUrl('dm:judy:kim', { contentType: 'text/html', size: 3 }), (e) => e.code === 'bad_request');
  judy.close();
  kim.close();
});

test('a send made before its upload is checked waits for the check, then is stored once', async () => {
  const [lou, mia] = [await client('lou'), await client('mia')];
  const inbox = collect(mia);
  const bytes = new TextEncoder().encode('%PDF-1.7 late bytes');
  const url = await lou.uploadUrl('dm:lou:mia', { contentType: 'application/pdf', size: bytes.byteLength, name: 'late.pdf' });
  // Sent before any byte is stored: the server answers "not complete", the client waits.
  const sent = lou.send({ to: 'mia', attachments: [url.uploadId] });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(lou.unacked, 1, 'still waiting, not failed');
  const put = await fetch(url.url, { method: url.method, headers: url.headers, body: bytes });
  assert.equal(put.status, 200);
  const ack = await sent;
  assert.equal(ack.type, 'ack');
  await until(() => inbox.length === 1, 5_000, 'the message');
  assert.equal(inbox[0].attachments[0].name, 'late.pdf');
  lou.close();
  mia.close();
});

test('a block silences the blocked user on every connection, and an unblock lets new messages through', async (t) => {
  const [nora, noraPhone, oscar] = [await client('nora'), await client('nora', { device: 'phone' }), await client('oscar')];
  closeAfter(t, nora, noraPhone, oscar);
  const inbox = [...[nora, noraPhone].map((c) => collect(c))];
  const lists = collect(noraPhone, 'blocks');
  await oscar.send({ to: 'nora', body: 'hello nora' });
  await until(() => inbox.every((i) => i.length === 1), 5_000, 'the first message on both');

  await nora.block('oscar');
  // Her other connection is told; the one that blocked has its answer.
  await until(() => lists.length === 1, 5_000, 'the blocks event');
  assert.deepEqual(lists[0], ['oscar']);
  assert.deepEqual(await nora.blocks(), ['oscar']);
  assert.deepEqual(await noraPhone.blocks(), ['oscar']);

  // Oscar cannot tell: a normal ack. Nothing reaches nora.
  const ack = await oscar.send({ to: 'nora', body: 'are you ignoring me?' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.conversation, 'dm:nora:oscar');
  // Her sends to him are refused, and say why.
  await assert.rejects(
    nora.send({ to: 'oscar', body: 'go away' }),
    (e) => e instanceof ChatError && e.code === 'forbidden' && /blocked/.test(e.message),
  );

  await nora.unblock('oscar');
  await until(() => lists.length === 2, 5_000, 'the second blocks event');
  assert.deepEqual(lists[1], []);
  assert.deepEqual(await nora.blocks(), []);
  await oscar.send({ to: 'nora', body: 'hello again' });
  await until(() => inbox.every((i) => i.length === 2), 5_000, 'the message after the unblock');
  for (const got of inbox) assert.deepEqual(got.map((m) => m.body), ['hello nora', 'hello again'], 'nothing from while blocked');
  assert.equal((await nora.send({ to: 'oscar', body: 'sorry' })).type, 'ack');
});

test('mute and unmute: the other connection gets a muted event, the list carries mutedUntil', async (t) => {
  const [pia, piaLaptop, quinn] = [await client('pia'), await client('pia', { device: 'laptop' }), await client('quinn')];
  closeAfter(t, pia, piaLaptop, quinn);
  const events = collect(piaLaptop, 'muted');
  await quinn.send({ to: 'pia', body: 'the weekly newsletter' });
  await until(async () => (await pia.conversations()).items.length === 1, 5_000, 'the conversation');
  const conversation = 'dm:pia:quinn';
  const item = async () => (await pia.conversations()).items.find((i) => i.conversation === conversation);
  assert.ok(!isMuted((await item()).mutedUntil), 'not muted to begin with');

  const until8h = Date.now() + 8 * 3600_000;
  await pia.mute(conversation, until8h);
  await until(() => events.length === 1, 5_000, 'the muted event');
  assert.deepEqual(events[0], { conversation, mutedUntil: until8h });
  assert.equal((await item()).mutedUntil, until8h);
  assert.ok(isMuted(until8h) && !isMuted(until8h, until8h + 1), 'muted until then, and not after');

  await pia.mute(conversation);
  await until(() => events.length === 2, 5_000, 'the second muted event');
  assert.deepEqual(events[1], { conversation, mutedUntil: -1 });
  assert.equal((await item()).mutedUntil, -1, 'until unmuted');
  assert.ok(isMuted(-1));

  // Muted conversations still get their messages (and unread counts): only pushes stop.
  const inbox = collect(pia);
  await quinn.send({ to: 'pia', body: 'still delivered' });
  await until(() => inbox.length === 1, 5_000, 'a message while muted');
  assert.equal((await item()).unread, 2);

  await pia.unmute(conversation);
  await until(() => events.length === 3, 5_000, 'the unmuted event');
  assert.deepEqual(events[2], { conversation, mutedUntil: null });
  assert.ok(!isMuted((await item()).mutedUntil), 'not muted once unmuted');
  await assert.rejects(pia.mute('dm:pia:zed'), (e) => e.code === 'not_found');
});

test('a reported message reaches the moderation queue once, with a copy as the reporter saw it', async (t) => {
  const [rosa, sam] = [await client('rosa'), await client('sam')];
  closeAfter(t, rosa, sam);
  const inbox = collect(rosa);
  const ack = await sam.send({ to: 'rosa', body: 'buy cheap watches at example.com' });
  await until(() => inbox.length === 1, 5_000, 'the message');
  assert.equal(REPORT_REASONS.length, 8);
  assert.ok(REPORT_REASONS.includes('self_harm'));

  await rosa.report(ack.msgId, 'spam', 'the third one this week');
  // Reporting it again changes nothing.
  await rosa.report(ack.msgId, 'spam');
  await assert.rejects(rosa.report('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'spam'), (e) => e.code === 'not_found');
  await assert.rejects(rosa.report(ack.msgId, 'other', 'x'.repeat(1_001)), (e) => e.code === 'bad_request' || e.code === 'too_large');

  const r = await fetch(`${server.http}/v1/reports?status=open`);
  assert.equal(r.status, 200);
  // The case (docs/server-api.md): its id is the message's, the copy says what was reported.
  const { reports } = await r.json();
  const mine = reports.filter((x) => x.copy?.msgId === ack.msgId);
  assert.equal(mine.length, 1, `one case for the message: ${JSON.stringify(reports)}`);
  const [report] = mine;
  assert.equal(report.id, ack.msgId);
  assert.equal(report.status, 'open');
  assert.equal(report.copy.conversation, 'dm:rosa:sam');
  assert.equal(report.copy.from, 'sam');
  assert.equal(report.copy.body, 'buy cheap watches at example.com');
  assert.equal(report.reporters, 1);
  assert.deepEqual(report.reasons, { spam: 1 });
});

test('a reply quotes its original, mentions count for the mentioned until read, strangers are refused', async (t) => {
  const [ann, ben, cat] = [await client('ann'), await client('ben'), await client('cat')];
  closeAfter(t, ann, ben, cat);
  const inbox = { ann: collect(ann), cat: collect(cat) };
  const g = await ann.group.create('plans', ['ben', 'cat']);
  const conversation = `group:${g.groupId}`;
  const original = await ann.send({ group: g.groupId, body: 'dinner on friday?' });
  await until(() => inbox.cat.some((m) => m.msgId === original.msgId), 5_000, 'the question');
  const reply = await ben.send({ group: g.groupId, body: 'yes! @ann bring the wine', replyTo: original.msgId, mentions: ['ann', 'ann'] });
  assert.equal(reply.type, 'ack');
  // Live: the quote and the mentions ride on the message.
  await until(() => inbox.ann.some((m) => m.msgId === reply.msgId), 5_000, 'the reply at ann');
  const live = inbox.ann.find((m) => m.msgId === reply.msgId);
  assert.deepEqual(live.replyTo, { msgId: original.msgId, from: 'ann', preview: 'dinner on friday?' });
  assert.deepEqual(live.mentions, ['ann'], 'once, however often it was named');
  await until(() => inbox.cat.some((m) => m.msgId === reply.msgId), 5_000, 'the reply at cat');
  assert.equal(inbox.cat.find((m) => m.msgId === reply.msgId).replyTo.msgId, original.msgId);
  // In history.
  const page = await cat.history(conversation, { limit: 5 });
  const stored = page.messages.find((m) => m.msgId === reply.msgId);
  assert.deepEqual(stored.replyTo, live.replyTo);
  assert.deepEqual(stored.mentions, ['ann']);
  // The list counts ann's unread mention and names where it is; read clears it.
  const item = async (c) => (await c.conversations()).items.find((i) => i.conversation === conversation);
  const mentioned = await item(ann);
  assert.equal(mentioned.mentions, 1);
  assert.equal(mentioned.firstMention, live.seq);
  assert.equal((await item(cat)).mentions ?? 0, 0, 'cat was not mentioned');
  const around = await ann.history(conversation, { around: mentioned.firstMention, limit: 4 });
  assert.ok(around.messages.some((m) => m.msgId === reply.msgId), 'history around the mention holds it');
  await ann.read(conversation, mentioned.lastSeq);
  assert.equal((await item(ann)).mentions ?? 0, 0, 'cleared by read');
  assert.equal((await item(ann)).firstMention ?? null, null);
  // A reply to a message not in the conversation, a mention of a stranger: refused.
  await assert.rejects(ben.send({ group: g.groupId, body: 'x', replyTo: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }), (e) => e.code === 'not_found');
  await assert.rejects(ben.send({ group: g.groupId, body: 'x', mentions: ['zed'] }), (e) => e.code === 'bad_request');
  const dm = await ann.send({ to: 'ben', body: 'psst' });
  await assert.rejects(ben.send({ group: g.groupId, body: 'x', replyTo: dm.msgId }), (e) => e.code === 'not_found', 'a message of another conversation');
});

test('reactions: counted once, taken back, live on every device, in history, and react resolves with the change', async (t) => {
  const [dan, danPhone, eve] = [await client('dan'), await client('dan', { device: 'phone' }), await client('eve')];
  closeAfter(t, dan, danPhone, eve);
  const updates = { dan: collect(dan, 'update'), danPhone: collect(danPhone, 'update'), eve: collect(eve, 'update') };
  const inbox = collect(eve);
  const ack = await dan.send({ to: 'eve', body: 'we won the pitch' });
  await until(() => inbox.length === 1, 5_000, 'the message');
  let evesCopy = inbox[0];

  const change = await eve.react(ack.msgId, '🎉');
  assert.equal(change.type, 'update');
  assert.equal(change.kind, 'reaction');
  assert.equal(change.by, 'eve');
  assert.equal(change.emoji, '🎉');
  assert.equal(change.msgId, ack.msgId);
  evesCopy = applyUpdate(evesCopy, change, eve.user);
  assert.deepEqual(evesCopy.reactions, { '🎉': { count: 1, mine: true } });
  // Dan's devices hear of it live.
  await until(() => updates.dan.length === 1 && updates.danPhone.length === 1, 5_000, 'the reaction at dan');
  const seen = updates.dan[0];
  assert.equal(seen.kind, 'reaction');
  assert.equal(seen.by, 'eve');
  assert.equal(seen.emoji, '🎉');
  assert.equal(seen.conversation, 'dm:dan:eve');
  assert.ok(!seen.removed);
  const dansCopy = applyUpdate({ msgId: ack.msgId, body: 'we won the pitch' }, seen, dan.user);
  assert.deepEqual(dansCopy.reactions, { '🎉': { count: 1, mine: false } });
  // The reacting connection has its promise: no update event of its own.
  assert.equal(updates.eve.length, 0);

  // Again: nothing changes, nobody is told; history counts it once.
  await eve.react(ack.msgId, '🎉');
  await dan.react(ack.msgId, '🎉');
  await until(() => updates.eve.length === 1, 5_000, "dan's reaction at eve");
  evesCopy = applyUpdate(evesCopy, updates.eve[0], eve.user);
  assert.deepEqual(evesCopy.reactions, { '🎉': { count: 2, mine: true } });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(updates.dan.length, 1, 'the repeat was not announced');
  const history = async (c) => (await c.history('dm:dan:eve')).messages.find((m) => m.msgId === ack.msgId);
  assert.deepEqual((await history(eve)).reactions, { '🎉': { count: 2, mine: true } });
  assert.deepEqual((await history(dan)).reactions, { '🎉': { count: 2, mine: true } });
  // The phone heard of dan's own reaction from his other connection.
  await until(() => updates.danPhone.length === 2, 5_000, "dan's own reaction on his phone");
  assert.equal(updates.danPhone[1].by, 'dan');

  // Taken back: the count falls, and it is gone once nobody has it.
  const undo = await eve.react(ack.msgId, '🎉', { remove: true });
  assert.equal(undo.removed, true);
  evesCopy = applyUpdate(evesCopy, undo, eve.user);
  assert.deepEqual(evesCopy.reactions, { '🎉': { count: 1, mine: false } });
  await until(() => updates.dan.length === 2, 5_000, 'the removal at dan');
  assert.equal(updates.dan[1].removed, true);
  await eve.react(ack.msgId, '🎉', { remove: true }); // not there any more: nothing
  await dan.react(ack.msgId, '🎉', { remove: true });
  assert.equal((await history(eve)).reactions, undefined, 'no reactions left');

  // Refusals: one emoji only, messages in your inbox only.
  await assert.rejects(eve.react(ack.msgId, 'ok'), (e) => e.code === 'bad_request');
  await assert.rejects(eve.react(ack.msgId, '👍👍'), (e) => e.code === 'bad_request');
  await assert.rejects(eve.react('01ARZ3NDEKTSV4RRFFQ69G5FAV', '👍'), (e) => e.code === 'not_found');
  const stranger = await client('fay');
  closeAfter(t, stranger);
  await assert.rejects(stranger.react(ack.msgId, '👍'), (e) => e.code === 'not_found');
  // At most 20 distinct emoji per user on one message.
  const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎', '😍', '😘', '🥰', '😗', '😙', '🥲', '😚', '🙂'];
  for (const e of emoji) await dan.react(ack.msgId, e);
  await assert.rejects(dan.react(ack.msgId, '🤗'), (e) => e.code === 'too_large');
  assert.equal(Object.keys((await history(dan)).reactions).length, 20);
});

test('reactions made while a client was away arrive by sync, once: not again for a message it brings', async (t) => {
  const storage = memoryStorage();
  const [gus, hal] = [await client('gus'), await client('hal')];
  closeAfter(t, gus, hal);
  let away = await client('ida', { storage });
  const g = await gus.group.create('trio', ['hal', 'ida']);
  const early = await gus.send({ group: g.groupId, body: 'seen before leaving' });
  const got = collect(away);
  await until(() => got.some((m) => m.msgId === early.msgId), 5_000, 'the first message');
  away.close();
  // While ida is away: a reaction to a message she has, a new message, reactions to it.
  await hal.react(early.msgId, '👍');
  const later = await gus.send({ group: g.groupId, body: 'sent while away' });
  await hal.react(later.msgId, '❤️');
  await gus.react(later.msgId, '❤️');
  await hal.react(later.msgId, '😂');
  await hal.react(later.msgId, '😂', { remove: true });

  away = new ChatClient({ url: server.url, token: () => token(server, 'ida'), storage });
  closeAfter(t, away);
  const messages = collect(away);
  const updates = collect(away, 'update');
  await away.connect();
  await until(() => messages.length === 1, 5_000, 'the catch-up');
  await away.sync();
  assert.equal(messages[0].msgId, later.msgId);
  // The message comes in its latest state: its reactions are counted in it ...
  assert.deepEqual(messages[0].reactions, { '❤️': { count: 2, mine: false } });
  // ... and only the reaction to the message she had is emitted.
  assert.deepEqual(updates.map((u) => [u.msgId, u.emoji, u.by]), [[early.msgId, '👍', 'hal']]);
});

test('history around a message: the message with its neighbours in order, and cursors both ways', async (t) => {
  const [jan, kai] = [await client('jan'), await client('kai')];
  closeAfter(t, jan, kai);
  const acks = [];
  for (let i = 0; i < 30; i++) acks.push(await jan.send({ to: 'kai', body: `n${i}` }));
  const conversation = 'dm:jan:kai';
  const target = acks[10];
  const page = await jan.history(conversation, { around: target.seq, limit: 10 });
  const bodies = page.messages.map((m) => m.body);
  assert.ok(bodies.includes('n10'), `the message itself: ${bodies}`);
  assert.deepEqual(bodies, [...bodies].sort((a, b) => Number(b.slice(1)) - Number(a.slice(1))), 'newest first');
  assert.equal(page.messages.length, 10);
  assert.equal(bodies[0], 'n15', 'limit/2 newer ones');
  assert.equal(bodies.at(-1), 'n6', 'the rest older');
  assert.equal(typeof page.next, 'number');
  assert.equal(typeof page.prev, 'number', 'newer messages remain');
  // Older with `before: next`, newer with `after: prev`: together, every message once.
  const older = await jan.history(conversation, { before: page.next, limit: 100 });
  const newer = await jan.history(conversation, { after: page.prev, limit: 100 });
  const all = [...newer.messages, ...page.messages, ...older.messages].map((m) => m.body);
  assert.deepEqual(all, acks.map((_, i) => `n${i}`).reverse());
  assert.equal(newer.prev ?? null, null, 'nothing newer after the newest');
  // A plain page has no prev.
  assert.equal((await jan.history(conversation, { limit: 5 })).prev ?? null, null);
  await assert.rejects(jan.request({ action: 'history', conversation, before: 5, around: 3 }), (e) => e.code === 'bad_request');
});

test('the example bot answers in under 40 lines', async () => {
  const bot = spawn(process.execPath, ['--experimental-websocket', path.join(import.meta.dirname, '..', 'examples', 'echo-bot.mjs')], {
    env: { ...process.env, CHAT_URL: server.url, CHAT_TOKEN: await token(server, 'echo-bot') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise((resolve) => bot.stdout.on('data', (d) => String(d).includes('online') && resolve()));
    const ivan = await client('ivan');
    const inbox = collect(ivan);
    await ivan.send({ to: 'echo-bot', body: 'ping?' });
    await until(() => inbox.length === 1, 5_000, 'the answer');
    assert.equal(inbox[0].body, 'echo: ping?');
    assert.equal(inbox[0].from, 'echo-bot');
    ivan.close();
  } finally {
    bot.kill('SIGTERM');
  }
});
