// Generates src/protocol.ts from docs/protocol.schema.json (which the Rust tests keep equal
// to the server's own types), so server and client cannot drift. `--check` fails instead of
// writing when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';

const here = path.dirname(new URL(import.meta.url).pathname);
const schemaPath = path.resolve(here, '..', '..', '..', 'docs', 'protocol.schema.json');
const out = path.resolve(here, '..', 'src', 'protocol.ts');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const ts = await compile(schema, 'ChatProtocol', {
  bannerComment:
    '// Generated from docs/protocol.schema.json by `npm run gen` (json-schema-to-typescript); do not edit.\n' +
    '/* eslint-disable */',
  additionalProperties: false,
  unreachableDefinitions: true,
  strictIndexSignatures: true,
  format: true,
  style: { singleQuote: true, printWidth: 120 },
});
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== ts) {
    console.error('src/protocol.ts is stale: run `npm run gen` in clients/typescript');
    process.exit(1);
  }
  console.log('src/protocol.ts matches docs/protocol.schema.json');
} else {
  writeFileSync(out, ts);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
