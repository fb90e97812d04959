// dist/ is checked in, as clients/typescript's is (a checkout is usable without a build):
// it must be exactly what `tsc` makes of src/ now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'chat-server-dist-'));
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', tmp], {
  cwd: root,
  stdio: 'inherit',
});
const fresh = readdirSync(tmp).sort();
const kept = readdirSync(path.join(root, 'dist')).sort();
const stale = fresh.filter((f) => readFileSync(path.join(tmp, f), 'utf8') !== readFileSync(path.join(root, 'dist', f), 'utf8').toString());
if (JSON.stringify(fresh) !== JSON.stringify(kept) || stale.length) {
  console.error(`dist/ is stale (${stale.join(', ') || 'files differ'}): run \`npm run build\` in clients/server`);
  process.exit(1);
}
console.log('dist/ matches src/');
