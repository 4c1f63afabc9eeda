// Layering (DESIGN.md): the core — CPU, devices, formats, protocols — uses no Node API, so it can
// run in a browser; only src/host/ and src/cli/ may import node:* modules or touch process/Buffer.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

function* tsFiles(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

test('the core imports no node:* module and uses no process/Buffer global', () => {
  const offenders = [];
  for (const file of tsFiles(SRC)) {
    const rel = path.relative(SRC, file);
    if (rel.startsWith(`host${path.sep}`) || rel.startsWith(`cli${path.sep}`)) continue;
    const code = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    if (/from\s+['"]node:|import\(\s*['"]node:|require\(/.test(code)) offenders.push(`${rel}: imports a Node module`);
    if (/\bprocess\.|\bBuffer\./.test(code)) offenders.push(`${rel}: uses process or Buffer`);
    if (/from\s+['"](\.\.\/)+(host|cli)\//.test(code)) offenders.push(`${rel}: imports from host/ or cli/`);
  }
  assert.deepEqual(offenders, []);
});
