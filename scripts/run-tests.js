// `npm test`'s runner: node's own test runner (node:test run()) over tests/**/*.test.js, with the
// known-slow files started first. `node --test DIR` sorts its files by name, so with two parallel
// slots a long file that happens to sort last runs alone at the end; starting the longest files
// first (tests/slow-first.txt, measured) lets the short ones fill the other slot.
// Usage: node scripts/run-tests.js [-j N] [--list] [FILE...]   (TSQEMU_TEST_JOBS=N also sets the
// slots; --list prints the files in the order they would start)
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TESTS = path.join(ROOT, 'tests');

let jobs = Number(process.env.TSQEMU_TEST_JOBS || 2);
let list = false;
const picked = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '-j') jobs = Number(argv[++i]);
  else if (/^-j\d+$/.test(argv[i])) jobs = Number(argv[i].slice(2));
  else if (argv[i] === '--list') list = true;
  else if (argv[i].startsWith('-')) {
    console.error(`run-tests: unknown option ${argv[i]}\nusage: node scripts/run-tests.js [-j N] [--list] [FILE...]`);
    process.exit(2);
  } else picked.push(path.resolve(argv[i]));
}
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error('run-tests: -j wants a positive integer');
  process.exit(2);
}

/** Every *.test.{js,mjs,cjs} under tests/ (what `node --test tests/` finds there). */
function discover(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules') out.push(...discover(p)); }
    else if (/\.test\.[cm]?js$/.test(e.name)) out.push(p);
  }
  return out;
}

function ordered(files) {
  const slow = fs.readFileSync(path.join(TESTS, 'slow-first.txt'), 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).map((f) => path.join(TESTS, f));
  const set = new Set(files);
  const first = slow.filter((f) => set.has(f));
  const seen = new Set(first);
  return [...first, ...files.filter((f) => !seen.has(f)).sort()];
}

const files = picked.length ? picked : ordered(discover(TESTS));
if (list) {
  for (const f of files) console.log(path.relative(ROOT, f));
  process.exit(0);
}
const stream = run({ files, concurrency: jobs });
stream.on('test:fail', () => { process.exitCode = 1; });
stream.compose(process.stdout.isTTY || process.env.TSQEMU_TEST_SPEC ? spec : tap).pipe(process.stdout);
