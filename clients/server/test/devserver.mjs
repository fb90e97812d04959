// Test helpers, after clients/typescript/test/devserver.mjs: a real devserver process (the
// binary scripts/test builds), tokens from its /dev/token endpoint, a WebSocket of a user,
// and small waits.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** Every devserver started here and not stopped yet. */
const running = new Set();

/** Starts `chat-devserver` (on `listen`, with extra args); resolves with its URLs. */
export function startDevserver(args = ['--in-memory'], listen = '127.0.0.1:0') {
  const bin = process.env.CHAT_DEVSERVER_BIN ?? path.join(ROOT, 'target', 'debug', 'chat-devserver');
  if (!existsSync(bin)) {
    return Promise.reject(new Error(`no devserver at ${bin}: build it (cargo build -p chat-devserver) or set CHAT_DEVSERVER_BIN`));
  }
  const child = spawn(bin, ['--listen', listen, '--presence-debounce-ms', '200', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/ws:\/\/([0-9.]+:\d+)/);
      if (m) resolve({ child, addr: m[1], url: `ws://${m[1]}/`, http: `http://${m[1]}` });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`devserver exited with ${code}`)));
  });
}

/** Stops a devserver: SIGTERM, or SIGKILL to crash it. */
export async function stop(server, signal = 'SIGTERM') {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill(signal);
  await exited;
}

/** Stops every devserver still running (a failed test may leave its own behind, which
 * would keep the test process alive). */
export async function stopAll() {
  await Promise.all([...running].map((child) => stop({ child }, 'SIGKILL')));
}

/** A token for `user` from the devserver, valid for `ttl` seconds. */
export async function token(server, user, ttl = 3600) {
  const r = await fetch(`${server.http}/dev/token?user=${encodeURIComponent(user)}&ttl=${ttl}`);
  if (!r.ok) throw new Error(`token: ${r.status}`);
  return (await r.json()).token;
}

/** A user's WebSocket (the protocol's frames, docs/protocol.md), once open: `request(frame)`
 *  sends with a fresh `id` and resolves with the reply carrying it; `frames` is everything
 *  else the server pushed; `closed` resolves when the server closes it. Rejects when the
 *  handshake is refused (a banned user's 401). */
export async function connect(server, user) {
  const ws = new WebSocket(`${server.url}?token=${encodeURIComponent(await token(server, user))}&device=test`);
  const frames = [];
  const waiting = new Map();
  let next = 0;
  const closed = new Promise((r) => ws.addEventListener('close', r));
  ws.addEventListener('message', (e) => {
    const f = JSON.parse(e.data);
    if (f.id !== undefined && waiting.has(f.id)) {
      waiting.get(f.id)(f);
      waiting.delete(f.id);
    } else {
      frames.push(f);
    }
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error(`${user}: the handshake was refused`)), { once: true });
  });
  const request = (frame) =>
    new Promise((resolve) => {
      const id = `r${++next}`;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ ...frame, id }));
    });
  return { ws, frames, closed, request, close: () => ws.close() };
}

/** Resolves when `predicate()` holds, polling; rejects after `ms`. */
export async function until(predicate, ms = 15_000, what = 'condition') {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
