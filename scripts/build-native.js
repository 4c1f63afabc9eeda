// npm install hook: build the optional native addons (native/): tsqemu_uring (io_uring engine,
// on the raw system calls), tsqemu_sys (raw system calls for tsqemu-riscv64: sockets, poll, eventfd...) and
// tsqemu_fsdev (the 9p local back end's xattrs, mknod, utimensat: without it mapped-xattr is refused),
// tsqemu_v8 (V8's compiled code of the interpreter kept on disk: host/node/interp-code-cache.ts).
// Never fails the install: if the io_uring addon fails (an old kernel header) only the others are built; without a compiler or node
// headers neither is, and tsqemu falls back to the thread pool / ENOSYS (said with -d).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const gyp = process.env.npm_config_node_gyp;
const errors = (r) => (r.stderr || r.stdout || '').split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
// Offline hosts: use the distribution's node headers (Debian's libnode-dev / nodejs-dev) when
// node-gyp cannot download them.
const nodedir = existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
const rebuild1 = (extra) => spawnSync(process.execPath, [gyp, 'rebuild', ...extra], { cwd: join(top, 'native'), encoding: 'utf8' });
const rebuild = (extra) => {
  const r = rebuild1(extra);
  return r.status === 0 || nodedir.length === 0 ? r : rebuild1([...nodedir, ...extra]);
};
if (process.env.TSQEMU_NO_NATIVE) {
  console.log('tsqemu: TSQEMU_NO_NATIVE set: native addons not built (thread pool only, no guest sockets)');
} else if (!gyp || !existsSync(gyp)) {
  console.log('tsqemu: node-gyp not found: native addons not built (thread pool only, no guest sockets)');
} else {
  const r = rebuild([]);
  // tsqemu_v8 is C++ on V8's API (a host without g++ builds the others).
  const v = r.status === 0 ? r : rebuild(['--', '-Dwith_v8=0']);
  if (r.status === 0) console.log('tsqemu: io_uring and sys addons built');
  else if (v.status === 0) console.log(`tsqemu: io_uring and sys addons built; V8 addon not built (the interpreter's compiled code is not kept on disk): ${errors(r)}`);
  else {
    const s = rebuild(['--', '-Dwith_uring=0', '-Dwith_v8=0']);
    console.log(`tsqemu: io_uring addon not built (thread pool only): ${errors(r)}`);
    console.log(s.status === 0 ? 'tsqemu: sys addon built' : `tsqemu: sys addon not built (no guest sockets): ${errors(s)}`);
  }
}
