// The client library against a real devserver process (no mocks): what docs/client.md
// promises about reconnection, resends and catching up.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { ChatClient, ChatError, memoryStorage } from '../dist/index.js';
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
