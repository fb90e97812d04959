// ChatServerApi against a local node:http server that records each request and answers
// what the test says: paths, methods and bodies per method, error mapping, and SigV4
// (checked by signing the recorded request again, independently of the client).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, beforeEach, test } from 'node:test';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

import { ChatApiError, ChatServerApi } from '../dist/index.js';

const CREDENTIALS = { accessKeyId: 'AKID', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const REGION = 'eu-west-1';

/** What the fake server answers next, and every request it got. */
let reply;
const seen = [];
let server;
let base;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status = 200, body = {}, headers = {} } = reply;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}/`;
});
after(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  seen.length = 0;
  reply = { status: 200, body: {} };
});

const plain = () => new ChatServerApi({ url: base });
const signed = () => new ChatServerApi({ url: base, signed: true, region: REGION, credentials: CREDENTIALS });
const sha256hex = (s) => createHash('sha256').update(s).digest('hex');
const json = (r) => (r.body ? JSON.parse(r.body) : undefined);

test('each method calls its path with its method and body', async () => {
  const api = plain();
  const calls = [
    [() => api.sendMessage({ from: 'system', to: 'alice', body: 'Your order shipped', clientMsgId: 'o-1' }), 'POST', '/v1/messages',
      { from: 'system', to: 'alice', body: 'Your order shipped', clientMsgId: 'o-1' }],
    [() => api.sendMessage({ from: 'alice', group: 'G1', body: 'hi', clientMsgId: 'c1', attachments: [{ uploadId: 'u1' }] }), 'POST',
      '/v1/messages', { from: 'alice', group: 'G1', body: 'hi', clientMsgId: 'c1', attachments: [{ uploadId: 'u1' }] }],
    [() => api.deleteMessage('01JMSG', 'dm:alice:bob'), 'DELETE', '/v1/messages/01JMSG?conversation=dm%3Aalice%3Abob', undefined],
    [() => api.createGroup({ creator: 'alice', name: 'Team', members: ['bob'], clientMsgId: 't-1' }), 'POST', '/v1/groups',
      { creator: 'alice', name: 'Team', members: ['bob'], clientMsgId: 't-1' }],
    [() => api.getGroup('G1'), 'GET', '/v1/groups/G1', undefined],
    [() => api.changeMembers('G1', { add: ['carol'], remove: ['bob'] }), 'POST', '/v1/groups/G1/members', { add: ['carol'], remove: ['bob'] }],
    [() => api.renameGroup('G1', 'Team 2'), 'PATCH', '/v1/groups/G1', { name: 'Team 2' }],
    [() => api.deleteGroup('G1'), 'DELETE', '/v1/groups/G1', undefined],
    [() => api.getUser('alice'), 'GET', '/v1/users/alice', undefined],
    [() => api.ban('alice', { until: 1733472000000, reason: 'spam' }), 'PUT', '/v1/users/alice/ban', { until: 1733472000000, reason: 'spam' }],
    [() => api.ban('alice'), 'PUT', '/v1/users/alice/ban', {}],
    [() => api.unban('alice'), 'DELETE', '/v1/users/alice/ban', undefined],
    [() => api.listReports(), 'GET', '/v1/reports', undefined],
    [() => api.listReports({ status: 'resolved', limit: 10, cursor: 'eyJ0cyI6MX0+/=' }), 'GET',
      '/v1/reports?status=resolved&limit=10&cursor=eyJ0cyI6MX0%2B%2F%3D', undefined],
    [() => api.resolveReport('01JMSG', { action: 'dismiss' }), 'POST', '/v1/reports/01JMSG/resolve', { action: 'dismiss' }],
    [() => api.resolveReport('01JMSG', { action: 'delete_message' }), 'POST', '/v1/reports/01JMSG/resolve', { action: 'delete_message' }],
    [() => api.resolveReport('01JMSG', { action: 'ban_user', until: 1733472000000 }), 'POST', '/v1/reports/01JMSG/resolve',
      { action: 'ban_user', until: 1733472000000 }],
  ];
  for (const [call, method, url, body] of calls) {
    seen.length = 0;
    await call();
    assert.equal(seen.length, 1);
    const [r] = seen;
    assert.equal(`${r.method} ${r.url}`, `${method} ${url}`);
    assert.deepEqual(json(r), body, `${method} ${url}: body`);
    assert.equal(r.headers['content-type'], body === undefined ? undefined : 'application/json');
    assert.equal(r.headers.authorization, undefined, 'loopback: not signed');
  }
});

test('answers are returned parsed, and an empty answer as undefined', async () => {
  const api = plain();
  const ack = { type: 'ack', clientMsgId: 'o-1', msgId: '01J', seq: 0, conversation: 'dm:alice:system', ts: 1733472000000 };
  reply = { status: 200, body: ack };
  assert.deepEqual(await api.sendMessage({ from: 'system', to: 'alice', body: 'x', clientMsgId: 'o-1' }), ack);
  const group = { type: 'group', group: { groupId: 'G1', name: 'Team', members: ['alice', 'bob'], creator: 'alice' } };
  reply = { status: 201, body: group };
  assert.deepEqual(await api.createGroup({ creator: 'alice', name: 'Team', members: ['bob'] }), group);
  reply = { status: 204, body: '' };
  assert.equal(await api.deleteGroup('G1'), undefined);
  const page = {
    reports: [{
      id: '01JMSG', status: 'open', reporters: 2, reasons: { spam: 1, harassment: 1 }, openedAt: 1733472000000,
      copy: { msgId: '01JMSG', conversation: 'dm:alice:bob', from: 'bob', body: 'x', ts: 1733471990000 },
    }],
    next: 'eyJ0cyI6MX0',
  };
  reply = { status: 200, body: page };
  assert.deepEqual(await api.listReports({ limit: 1 }), page);
});

test('ids are percent-encoded into the path', async () => {
  await plain().getUser('auth0|64f1c2a9');
  await plain().ban('ann+chat@example.com');
  assert.deepEqual(seen.map((r) => r.url), ['/v1/users/auth0%7C64f1c2a9', '/v1/users/ann%2Bchat%40example.com/ban']);
});

test('a base URL with a path keeps it', async () => {
  await new ChatServerApi({ url: `${base}chat` }).getGroup('G1');
  assert.equal(seen[0].url, '/chat/v1/groups/G1');
});

test('an error answer throws ChatApiError with the server code and message', async () => {
  reply = { status: 409, body: { code: 'conflict', message: 'clientMsgId o-1 was used for another message' } };
  await assert.rejects(plain().sendMessage({ from: 'alice', to: 'bob', body: 'other', clientMsgId: 'o-1' }), (e) => {
    assert.ok(e instanceof ChatApiError);
    assert.equal(e.name, 'ChatApiError');
    assert.equal(e.status, 409);
    assert.equal(e.code, 'conflict');
    assert.equal(e.message, 'clientMsgId o-1 was used for another message');
    assert.equal(e.retryAfterMs, undefined);
    return true;
  });
});

test('rate_limited carries retryAfterMs', async () => {
  reply = { status: 429, body: { code: 'rate_limited', message: 'slow down', retryAfterMs: 1500 } };
  await assert.rejects(plain().createGroup({ creator: 'alice', name: 'x' }), { status: 429, code: 'rate_limited', retryAfterMs: 1500 });
});

test('an answer without a code gets the code of its status', async () => {
  // The function URL's own refusal of a bad signature, and a throttled function.
  reply = { status: 403, body: { Message: 'Forbidden' } };
  await assert.rejects(plain().getUser('alice'), { status: 403, code: 'forbidden', message: 'Forbidden' });
  reply = { status: 429, body: 'Rate Exceeded.', headers: { 'retry-after': '2', 'content-type': 'text/plain' } };
  await assert.rejects(plain().getUser('alice'), { status: 429, code: 'rate_limited', message: 'Rate Exceeded.', retryAfterMs: 2000 });
  for (const [status, code] of [[400, 'bad_request'], [404, 'not_found'], [405, 'bad_request'], [413, 'too_large'], [422, 'rejected'], [502, 'internal'], [503, 'unavailable']]) {
    reply = { status, body: '' };
    await assert.rejects(plain().getUser('alice'), { status, code });
  }
});

test('a 2xx answer that is not JSON throws internal', async () => {
  reply = { status: 200, body: '<html>' };
  await assert.rejects(plain().getGroup('G1'), { status: 200, code: 'internal' });
});

/** Signs the recorded request again with SignatureV4, at its own x-amz-date and with the
 *  headers it says it signed, but the body's hash computed from the body received (as the
 *  function URL does), and returns that authorization header. */
async function resign(r, region = REGION) {
  const url = new URL(r.url, base);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(r.headers.authorization)[1].split(';');
  const headers = Object.fromEntries(signedHeaders.map((h) => [h, r.headers[h]]));
  headers['x-amz-content-sha256'] = sha256hex(r.body);
  const d = r.headers['x-amz-date'];
  const signingDate = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service: 'lambda', region, credentials: CREDENTIALS, sha256: Sha256 });
  const again = await signer.sign(
    {
      method: r.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: r.body || undefined,
    },
    { signingDate },
  );
  return again.headers.authorization;
}

test('signed requests carry a SigV4 signature for lambda that signs their body', async () => {
  const api = signed();
  assert.equal(api.signed, true);
  await api.sendMessage({ from: 'system', to: 'alice', body: 'Your order shipped', clientMsgId: 'o-1' });
  await api.renameGroup('G1', 'Team 2');
  await api.ban('auth0|64f1c2a9', { reason: 'spam' });
  await api.getUser('auth0|64f1c2a9');
  await api.deleteMessage('01JMSG', 'dm:ann+chat@example.com:bob');
  await api.listReports({ status: 'open', limit: 2, cursor: 'eyJ0cyI6MX0+/=' });
  await api.resolveReport('01JMSG', { action: 'ban_user', until: 1733472000000 });
  assert.equal(seen.length, 7);
  for (const r of seen) {
    const what = `${r.method} ${r.url}`;
    const date = r.headers['x-amz-date'];
    assert.match(date, /^\d{8}T\d{6}Z$/, what);
    assert.match(
      r.headers.authorization,
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKID/${date.slice(0, 8)}/${REGION}/lambda/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`),
      what,
    );
    assert.equal(r.headers['x-amz-content-sha256'], sha256hex(r.body), `${what}: the body's hash`);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(r.headers.authorization)[1].split(';');
    for (const h of ['host', 'x-amz-content-sha256', 'x-amz-date']) assert.ok(signedHeaders.includes(h), `${what} signs ${h}`);
    if (r.body) assert.ok(signedHeaders.includes('content-type'), `${what} signs content-type`);
    assert.equal(await resign(r), r.headers.authorization, `${what}: the signature verifies`);
  }
  // The check itself can fail: a changed body, or another region, is another signature.
  const tampered = { ...seen[0], body: seen[0].body.replace('shipped', 'lost') };
  assert.notEqual(await resign(tampered), seen[0].headers.authorization);
  assert.notEqual(await resign(seen[0], 'us-east-1'), seen[0].headers.authorization);
});

test('temporary credentials send and sign their session token', async () => {
  const api = new ChatServerApi({ url: base, signed: true, region: REGION, credentials: async () => ({ ...CREDENTIALS, sessionToken: 'TOKEN' }) });
  await api.getGroup('G1');
  assert.equal(seen[0].headers['x-amz-security-token'], 'TOKEN');
  assert.match(seen[0].headers.authorization, /SignedHeaders=[^,]*x-amz-security-token/);
});

test('signing is on by default for a function URL, with the region of its host', async () => {
  const requests = [];
  const fakeFetch = async (url, init) => {
    requests.push({ url: String(url), init });
    return new Response('{"user":"alice","banned":null}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const api = new ChatServerApi({ url: 'https://abcdefghij.lambda-url.eu-central-1.on.aws/', credentials: CREDENTIALS, fetch: fakeFetch });
  assert.equal(api.signed, true);
  assert.equal(api.region, 'eu-central-1');
  assert.deepEqual(await api.unban('alice'), { user: 'alice', banned: null });
  assert.equal(requests[0].url, 'https://abcdefghij.lambda-url.eu-central-1.on.aws/v1/users/alice/ban');
  assert.equal(requests[0].init.method, 'DELETE');
  const { headers } = requests[0].init;
  assert.match(headers.authorization, /Credential=AKID\/\d{8}\/eu-central-1\/lambda\/aws4_request/);
  assert.equal(headers['x-amz-content-sha256'], sha256hex(''));
  assert.equal(headers.host, undefined, 'fetch sets host itself');
});

test('the region comes from the option first, then AWS_REGION', () => {
  const saved = process.env.AWS_REGION;
  try {
    process.env.AWS_REGION = 'ap-southeast-2';
    assert.equal(new ChatServerApi({ url: 'https://abc.lambda-url.eu-central-1.on.aws/', region: 'us-west-2', credentials: CREDENTIALS }).region, 'us-west-2');
    assert.equal(new ChatServerApi({ url: 'https://chat.example.com/', credentials: CREDENTIALS }).region, 'ap-southeast-2');
    delete process.env.AWS_REGION;
    assert.throws(() => new ChatServerApi({ url: 'https://chat.example.com/', credentials: CREDENTIALS }), /no region/);
  } finally {
    if (saved === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = saved;
  }
});

test('loopback URLs are plain by default, and `signed` overrides either way', () => {
  for (const url of ['http://127.0.0.1:8080/', 'http://localhost:8080', 'http://[::1]:8080/']) {
    const api = new ChatServerApi({ url });
    assert.equal(api.signed, false, url);
    assert.equal(api.region, undefined, url);
  }
  assert.equal(new ChatServerApi({ url: 'https://abc.lambda-url.eu-central-1.on.aws/', signed: false }).signed, false);
  assert.equal(new ChatServerApi({ url: base, signed: true, region: REGION, credentials: CREDENTIALS }).signed, true);
});

test('without credentials, the default chain is used (here: the environment)', async () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
  process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  try {
    await new ChatServerApi({ url: base, signed: true, region: REGION }).getUser('alice');
    assert.match(seen[0].headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDFROMENV\//);
  } finally {
    for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret], ['AWS_SESSION_TOKEN', saved.token]]) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
