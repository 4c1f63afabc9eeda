// riscv64 packages from this machine's Debian archive without touching the host's apt state:
// a private apt directory (apt still checks the Release signature and each .deb's hash), then
// `dpkg-deb -x` into a sysroot. Used by bench/python.js and scripts/user-debian-diff.js.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Debian archive URI (and its Signed-By key) of this machine's apt sources for its release. */
export function aptSource() {
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.replace(/"/g, '');
  const dir = '/etc/apt/sources.list.d';
  const texts = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')).map((f) => readFileSync(join(dir, f), 'utf8')) : [];
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (k) => new RegExp(`^${k}:\\s*(.*)$`, 'mi').exec(stanza)?.[1].trim();
      if (!/(^|\s)deb(\s|$)/.test(field('Types') ?? '') || !(field('Suites') ?? '').split(/\s+/).includes(codename)) continue;
      const uri = field('URIs')?.split(/\s+/)[0];
      if (uri) return { uri, key: field('Signed-By') };
    }
  }
  const lists = ['/etc/apt/sources.list', ...(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.list')).map((f) => join(dir, f)) : [])];
  for (const f of lists) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m && m[2] === codename) return { uri: m[1], key: undefined };
    }
  }
  throw new Error(`no apt source for '${codename}' in /etc/apt`);
}

/** A private riscv64 apt state in `dir` for `suite`, updated: { apt(cmd, args, cwd) -> stdout, debs }. */
export function privateApt(dir, suite) {
  const { uri, key } = aptSource();
  for (const d of ['parts', 'lists/partial', 'cache/archives/partial', 'debs']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'parts', `${suite}.sources`), `Types: deb\nURIs: ${uri}\nSuites: ${suite}\nComponents: main\n${key ? `Signed-By: ${key}\n` : ''}`);
  const opts = ['-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${join(dir, 'parts')}`, '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`, '-o', 'Dir::State::status=/dev/null', '-o', 'APT::Sandbox::User=root',
    '-o', 'APT::Architecture=riscv64', '-o', 'APT::Architectures::=riscv64'];
  const apt = (cmd, args, cwd) => execFileSync(cmd, [...opts, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  apt('apt-get', ['update', '-qq']);
  return { apt, debs: join(dir, 'debs') };
}

/** Every .deb in `debs` extracted into `root`, with merged /usr's links (base-files makes them on a real system). */
export function extractDebs(debs, root) {
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', join(debs, deb), root]);
  for (const l of ['lib', 'bin', 'sbin']) if (!existsSync(join(root, l)) && existsSync(join(root, 'usr', l))) symlinkSync(join('usr', l), join(root, l));
}
