// ChatServerApi against a real devserver process (no mocks): the contract of
// docs/server-api.md, seen from both sides (the API's answers, and what users get over
// their WebSockets).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CHAT_EVENT_TYPES, ChatApiError, ChatServerApi } from '../dist/index.js';
import { connect, startDevserver, stop, stopAll, until } from './devserver.mjs';

let server;
let api;
before(async () => {
  server = await startDevserver(['--in-memory']);
  api = new ChatServerApi({ url: `${server.http}/` });
});
after(async () => {
  await stop(server);
  await stopAll();
});

/** Every entry of `user`'s inbox, through `sync` pages. */
async function syncAll(socket) {
  const entries = [];
  let after = 0;
  for (;;) {
    const page = await socket.request({ action: 'sync', after, limit: 100 });
    assert.equal(page.type, 'sync', JSON.stringify(page));
    entries.push(...page.messages);
    if (page.next === null) return entries;
    after = page.next;
  }
}

const rejectsWith = (promise, status, code) =>
  assert.rejects(promise, (e) => {
    assert.ok(e instanceof ChatApiError, `a ChatApiError, not ${e}`);
    assert.equal(`${e.status} ${e.code}`, `${status} ${code}`, e.message);
    return true;
  });

test('a message from system reaches the user live and in its sync, once', async () => {
  assert.equal(api.signed, false, 'the devserver is loopback: plain requests');
  const alice = await connect(server, 'alice');
  const ack = await api.sendMessage({ from: 'system', to: 'alice', body: 'Your order shipped', clientMsgId: 'order-1234-shipped' });
  assert.equal(ack.type, 'ack');
  assert.equal(ack.clientMsgId, 'order-1234-shipped');
  assert.equal(ack.conversation, 'dm:alice:system');
  assert.equal(ack.seq, 0, 'system has no inbox');
  assert.equal(typeof ack.msgId, 'string');
  await until(() => alice.frames.some((f) => f.type === 'message' && f.msgId === ack.msgId), 5_000, 'the live message');

  const inbox = (await syncAll(alice)).filter((e) => e.msgId === ack.msgId);
  assert.equal(inbox.length, 1);
  assert.equal(inbox[0].type, 'message');
  assert.equal(inbox[0].from, 'system');
  assert.equal(inbox[0].body, 'Your order shipped');
  assert.equal(inbox[0].conversation, 'dm:alice:system');

  // A retry with the same clientMsgId answers the first ack and stores nothing again;
  // the same id for another message is a conflict.
  const again = await api.sendMessage({ from: 'system', to: 'alice', body: 'Your order shipped', clientMsgId: 'order-1234-shipped' });
  assert.equal(again.msgId, ack.msgId);
  await rejectsWith(api.sendMessage({ from: 'system', to: 'alice', body: 'Your order was lost', clientMsgId: 'order-1234-shipped' }), 409, 'conflict');
  assert.equal((await syncAll(alice)).filter((e) => e.msgId === ack.msgId).length, 1, 'stored once');

  // A user's message, as that user: its own devices see what was sent in its name.
  const hi = await api.sendMessage({ from: 'alice', to: 'bob', body: 'hi bob', clientMsgId: 'a-1' });
  assert.equal(hi.conversation, 'dm:alice:bob');
  assert.ok(hi.seq > 0);
  await until(() => alice.frames.some((f) => f.type === 'message' && f.msgId === hi.msgId), 5_000, "alice's own message on her device");

  await rejectsWith(api.sendMessage({ from: 'system', to: 'alice', body: '', clientMsgId: 'empty' }), 400, 'bad_request');
  alice.close();
});

test('a group: create, read, rename, change members, moderate, delete', async () => {
  const bob = await connect(server, 'gbob');
  const created = await api.createGroup({ creator: 'galice', name: 'Team', members: ['gbob'], clientMsgId: 'team-42' });
  assert.equal(created.type, 'group');
  const { groupId } = created.group;
  assert.equal(created.group.name, 'Team');
  assert.deepEqual(created.group.members, ['galice', 'gbob'], 'join order, creator first');
  assert.equal(created.group.creator, 'galice');
  const retried = await api.createGroup({ creator: 'galice', name: 'Team', members: ['gbob'], clientMsgId: 'team-42' });
  assert.equal(retried.group.groupId, groupId, 'idempotent by (creator, clientMsgId)');
  assert.deepEqual((await api.getGroup(groupId)).group, created.group);

  const renamed = await api.renameGroup(groupId, 'Team 2');
  assert.equal(renamed.group.name, 'Team 2');
  const list = await bob.request({ action: 'conversations' });
  assert.equal(list.items.find((i) => i.conversation === `group:${groupId}`)?.name, 'Team 2', "bob's conversation list follows");

  const said = await api.sendMessage({ from: 'galice', group: groupId, body: 'hello team', clientMsgId: 'g-1' });
  assert.equal(said.conversation, `group:${groupId}`);
  assert.ok((await syncAll(bob)).some((e) => e.msgId === said.msgId && e.body === 'hello team'), 'in bob’s sync');
  await rejectsWith(api.sendMessage({ from: 'gmallory', group: groupId, body: 'let me in', clientMsgId: 'm-1' }), 403, 'forbidden');

  const deleted = await api.deleteMessage(said.msgId, `group:${groupId}`);
  assert.deepEqual(deleted, { type: 'deleted', msgId: said.msgId, conversation: `group:${groupId}` });
  const update = (await syncAll(bob)).find((e) => e.type === 'update' && e.msgId === said.msgId);
  assert.equal(update?.kind, 'delete');
  assert.equal(update?.by, 'moderator');
  assert.ok(!(await syncAll(bob)).some((e) => e.type === 'message' && e.msgId === said.msgId && e.body), 'the body is gone');

  const notices = () => bob.frames.filter((f) => f.type === 'message' && f.from === 'system' && f.conversation === `group:${groupId}`).length;
  const noticesBefore = notices();
  const changed = await api.changeMembers(groupId, { add: ['gcarol'], remove: ['gbob'] });
  assert.deepEqual(changed.group.members, ['galice', 'gcarol']);
  await until(() => notices() > noticesBefore, 5_000, 'the notice of his removal to bob');

  await api.deleteGroup(groupId);
  await rejectsWith(api.getGroup(groupId), 404, 'not_found');
  bob.close();
});

test('a ban closes the user’s connections and refuses new ones until it is lifted', async () => {
  const erin = await connect(server, 'erin');
  await until(async () => (await api.getUser('erin')).online, 5_000, 'erin online');
  const before = await api.getUser('erin');
  assert.equal(before.user, 'erin');
  assert.equal(before.connections, 1);
  assert.equal(before.banned, null);
  assert.ok(Array.isArray(before.groups));

  const ban = await api.ban('erin', { reason: 'spam' });
  assert.equal(ban.user, 'erin');
  assert.equal(ban.closed, 1);
  assert.equal(ban.banned.reason, 'spam');
  assert.equal(typeof ban.banned.at, 'number');
  assert.equal(ban.banned.until, undefined, 'until lifted');
  await erin.closed;
  await assert.rejects(connect(server, 'erin'), /refused/);
  assert.equal((await api.getUser('erin')).banned?.reason, 'spam');

  assert.deepEqual(await api.unban('erin'), { user: 'erin', banned: null });
  assert.equal((await api.getUser('erin')).banned, null);
  const back = await connect(server, 'erin');
  assert.equal((await back.request({ action: 'whoami' })).user, 'erin');
  back.close();
});

test('a reported message waits in the queue until a moderator resolves it', async () => {
  const ralice = await connect(server, 'ralice');
  /** A message from rbob to ralice that ralice reports; resolves with its id (the case's). */
  const reported = async (body, reason) => {
    const ack = await api.sendMessage({ from: 'rbob', to: 'ralice', body, clientMsgId: `rbob-${body}` });
    await until(() => ralice.frames.some((f) => f.type === 'message' && f.msgId === ack.msgId), 5_000, 'the message to ralice');
    const ok = await ralice.request({ action: 'report', msgId: ack.msgId, reason, note: `about ${body}` });
    assert.equal(ok.type, 'ok', JSON.stringify(ok));
    return ack.msgId;
  };
  const first = await reported('buy now', 'spam');
  const second = await reported('you again', 'harassment');

  // Oldest first, a page at a time.
  const page1 = await api.listReports({ limit: 1 });
  assert.deepEqual(page1.reports.map((c) => c.id), [first]);
  assert.equal(typeof page1.next, 'string');
  const page2 = await api.listReports({ status: 'open', limit: 1, cursor: page1.next });
  assert.deepEqual(page2.reports.map((c) => c.id), [second]);
  const rest = page2.next === null ? [] : (await api.listReports({ cursor: page2.next })).reports;
  assert.deepEqual(rest, [], 'two cases in all');

  const [open] = page1.reports;
  assert.equal(open.status, 'open');
  assert.deepEqual(
    { ...open.copy, ts: typeof open.copy.ts },
    { msgId: first, conversation: 'dm:ralice:rbob', from: 'rbob', body: 'buy now', ts: 'number' },
  );
  assert.equal(open.reporters, 1);
  assert.deepEqual(open.reasons, { spam: 1 });
  assert.equal(typeof open.openedAt, 'number');
  assert.equal(open.resolution, undefined);

  // The moderator deletes the message for everyone; the evidence stays in the case.
  const { report } = await api.resolveReport(first, { action: 'delete_message' });
  assert.equal(report.status, 'resolved');
  assert.deepEqual({ ...report.resolution, at: typeof report.resolution?.at }, { action: 'delete_message', by: 'moderator', at: 'number' });
  assert.equal(report.copy.body, 'buy now');
  await until(() => ralice.frames.some((f) => f.type === 'update' && f.kind === 'delete' && f.msgId === first && f.by === 'moderator'), 5_000, 'the delete at ralice');
  assert.deepEqual(await api.resolveReport(first, { action: 'dismiss' }), { report }, 'resolved already: the same answer');

  const dismissed = await api.resolveReport(second, { action: 'dismiss' });
  assert.equal(dismissed.report.resolution?.action, 'dismiss');
  assert.deepEqual((await api.listReports()).reports, [], 'the queue is empty');
  assert.deepEqual((await api.listReports({ status: 'resolved' })).reports.map((c) => c.id), [first, second]);

  await rejectsWith(api.resolveReport('01JZZZZZZZZZZZZZZZZZZZZZZZ', { action: 'dismiss' }), 404, 'not_found');
  await rejectsWith(api.listReports({ limit: 0 }), 400, 'bad_request');
  ralice.close();
});

test('every change above was published once as its event', async () => {
  const r = await fetch(`${server.http}/dev/events`);
  assert.equal(r.status, 200);
  const listed = await r.json();
  const events = Array.isArray(listed) ? listed : listed.events;
  assert.ok(Array.isArray(events), `a list of events: ${JSON.stringify(listed).slice(0, 200)}`);
  for (const e of events) {
    assert.ok(CHAT_EVENT_TYPES.includes(e['detail-type']), e['detail-type']);
    assert.equal(typeof e.detail.id, 'string');
  }
  const ids = events.map((e) => e.detail.id);
  assert.equal(new Set(ids).size, ids.length, 'each change once');
  const of = (type) => events.filter((e) => e['detail-type'] === type).map((e) => e.detail);

  const fromSystem = of('message.created').filter((d) => d.message.from === 'system');
  assert.deepEqual(fromSystem.map((d) => d.message.body), ['Your order shipped'], 'the system message, once; group notices are not messages');
  assert.ok(fromSystem[0].participants.includes('alice'));
  assert.equal(typeof fromSystem[0].seqs.alice, 'number');
  assert.ok(of('group.created').some((d) => d.group.name === 'Team' && d.group.creator === 'galice'));
  assert.ok(of('group.renamed').some((d) => d.group.name === 'Team 2'));
  assert.ok(of('group.members_changed').some((d) => d.added.includes('gcarol') && d.removed.includes('gbob')));
  assert.ok(of('message.deleted').some((d) => d.update.by === 'moderator'));
  assert.ok(of('group.deleted').some((d) => d.group.name === 'Team 2'));
  assert.deepEqual(of('user.banned').map((d) => [d.user, d.reason]), [['erin', 'spam']]);
  assert.deepEqual(of('user.unbanned').map((d) => d.user), ['erin']);

  const reports = of('report.created');
  assert.deepEqual(reports.map((d) => [d.report.reporter, d.report.reason, d.report.evidence.body]), [
    ['ralice', 'spam', 'buy now'],
    ['ralice', 'harassment', 'you again'],
  ]);
  assert.equal(reports[0].caseId, reports[0].report.evidence.msgId);
  assert.equal(reports[0].report.note, 'about buy now');
  const closed = of('report.resolved').map((d) => d.case);
  assert.deepEqual(closed.map((c) => [c.copy.body, c.status, c.resolution?.action]), [
    ['buy now', 'resolved', 'delete_message'],
    ['you again', 'resolved', 'dismiss'],
  ], 'each case closed once: resolving again is no change');
});
