// Test helpers: a real devserver process (the binary scripts/test builds), tokens from its
// /dev/token endpoint, and small waits.
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** Every devserver started here and not stopped yet. */
const running = new Set();

/** Starts `chat-devserver` (on `listen`, with extra args); resolves with its URLs. */
export function startDevserver(args = ['--in-memory'], listen = '127.0.0.1:0') {
  const bin = process.env.CHAT_DEVSERVER_BIN ?? path.join(ROOT, 'target', 'debug', 'chat-devserver');
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
    child.on('exit', (code) => reject(new Error(`devserver exited with ${code}`)));
  });
}

/** Stops a devserver: SIGTERM, or SIGKILL to crash it. */
export async function stop(server, signal = 'SIGTERM') {
  if (server.child.exitCode !== null) return;
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

/** Resolves when `predicate()` holds, polling; rejects after `ms`. */
export async function until(predicate, ms = 15_000, what = 'condition') {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
