// Helpers for the 9pfs tests: boot the reference guest on tsqemu or on real qemu-system-riscv64
// with shared folders, run the same file-operations script in each, and describe the result as
// the guest sees it and as the host stores it (comparable across runs: no times, no inodes).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, INITRD, kernelImage } from './system-helpers.js';

export function haveQemu() {
  return spawnSync('sh', ['-c', 'command -v qemu-system-riscv64']).status === 0;
}

/** A guest with its console on pipes. `shares`: [{ tag, dir, opts }] ('-virtfs local,...'). */
export class Guest {
  constructor({ qemu = false, shares = [], extra = [], initrd = INITRD }) {
    const virtfs = shares.flatMap((s) => ['-virtfs', `local,path=${s.dir},mount_tag=${s.tag},${s.opts}`]);
    const args = qemu
      ? ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernelImage(), '-initrd', initrd, '-append', 'console=ttyS0', ...virtfs, ...extra]
      : ['-m', '256M', '-nographic', '-initrd', initrd, '-kernel', kernelImage(), '-append', 'console=ttyS0', ...virtfs, ...extra];
    this.p = spawn(qemu ? 'qemu-system-riscv64' : BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.out = '';
    this.err = '';
    this.exited = false;
    this.exit = new Promise((resolve) => this.p.on('close', (code) => { this.exited = true; resolve(code); }));
    this.p.stdout.on('data', (d) => { this.out += d; });
    this.p.stderr.on('data', (d) => { this.err += d; });
  }
  expect(re, timeoutMs = 180_000, from = 0) {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        const m = re.exec(this.out.slice(from));
        if (m) return resolve({ match: m, before: this.out.slice(from, from + m.index) });
        if (Date.now() - t0 > timeoutMs || this.exited) {
          if (process.env.TSQEMU_9P_TRACE) fs.writeFileSync(`/tmp/i15dbg/hang-${this.p.pid}.log`, this.err);
          return reject(new Error(`no ${re}; output tail:\n${this.out.slice(-2500)}\nstderr:\n${this.err.slice(-2000)}`));
        }
        setTimeout(poll, 20);
      };
      poll();
    });
  }
  async boot() {
    await this.expect(/tsqemu-guest: boot complete/);
    // A quiet, narrow-free console: no colours, no line wrapping of long commands.
    // dmesg -n 1: kernel messages (an "hrtimer: interrupt took" under load) stay off the console.
    await this.sh('stty -echo; dmesg -n 1; export PS1="# "; alias ls="ls --color=never"');
  }
  /** Run a shell command; its output (the command line itself is not echoed: stty -echo). */
  async sh(cmd, timeoutMs = 300_000) {
    const tag = `@@${Math.random().toString(36).slice(2, 8)}@@`;
    const from = this.out.length;
    this.p.stdin.write(`${cmd}\necho ${tag.slice(0, 3)}""${tag.slice(3)}\n`);
    const { before } = await this.expect(new RegExp(tag), timeoutMs, from);
    // The prompt that follows the previous command's tag may arrive after `from` or before it:
    // every leading run of prompts is dropped so the count never depends on timing.
    return before.replace(/\r/g, '').split('\n')
      .filter((l) => !l.includes(`${tag.slice(0, 3)}""`) && !/^(# ?)+$/.test(l) && !/^\[ *\d+\.\d+\] /.test(l))
      .map((l) => l.replace(/^(# )+/, '')).join('\n').trim();
  }
  async poweroff() {
    this.p.stdin.write('poweroff -f\n');
    const t = setTimeout(() => this.p.kill('SIGKILL'), 20_000);
    await this.exit;
    clearTimeout(t);
  }
  kill() { this.p.kill('SIGKILL'); }
}

export function mount(tag, dir, msize = 262144) {
  return `mkdir -p ${dir} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=${msize} ${tag} ${dir} && echo mounted`;
}

/**
 * The file-operations script: create, append, truncate, rename over, hard and symbolic links,
 * chmod/chown, mkfifo, mknod (char, block), xattrs, tar out and in, find, df. `special`: mknod
 * and mkfifo too.
 */
export function fileOpsScript(dir) {
  return [
    `cd ${dir}`,
    'echo one > a; echo two >> a; printf 0123456789 > b; truncate -s 4 b; truncate -s 70000 c',
    'echo r1 > r1; echo r2 > r2; mv r1 r2',
    'ln a hard; ln -s a sym; ln -s /etc/passwd abs',
    'chmod 640 a; chmod 4755 b; chown 1000:1000 c; chown -h 1234:5678 sym',
    'mkfifo fifo; mknod cdev c 1 3; mknod bdev b 8 1',
    'mkdir -p d/e/f; echo deep > d/e/f/g; mkdir d2 empty; mv d d3; chmod 711 d3/e',
    'setfattr -n user.foo -v bar a',
    'touch -d "2020-01-02 03:04:05" b',
    'tar cf /tmp/t.tar d3 a b && mkdir x && tar xf /tmp/t.tar -C x && tar cf - d3 | (mkdir x2 && tar xf - -C x2)',
    'tar cf /tmp/back.tar -C x . && tar tf /tmp/back.tar | sort | tr "\\n" " "',
    'rm hard; rmdir d2; echo fin',
  ].join('\n');
}

/** What the guest sees: type/mode, owner, size, links of every entry (sorted), and contents. */
export function guestViewCmd(dir) {
  return `cd ${dir} && find . | sort | while read f; do stat -c '%n %A %u %g %h %t:%T' "$f"; ` +
    `[ -f "$f" ] && [ ! -p "$f" ] && echo "  size=$(stat -c %s "$f") md5=$(md5sum < "$f" | cut -c1-8)"; done; ` +
    `readlink sym; readlink abs; stat -c '%Y' b; df ${dir} | tail -1 | awk '{print NF}'`;
}

/** What the host stores: mode, uid, gid, size and user.* xattrs of every entry, and small files' text
 * (all .virtfs_metadata files). One python3 run for the whole tree (Node has no xattr API). */
export function hostView(root) {
  const r = spawnSync('python3', ['-c', `import os,sys,stat
root=sys.argv[1]; out=[]
def walk(rel):
  p=os.path.join(root,rel) if rel else root
  st=os.lstat(p); isdir=stat.S_ISDIR(st.st_mode)
  line='%s %o %d:%d %s' % (rel or '.', st.st_mode, st.st_uid, st.st_gid, '-' if isdir else st.st_size)
  try:
    ks=sorted(k for k in os.listxattr(p, follow_symlinks=False) if k.startswith('user.'))
  except OSError: ks=[]
  if ks: line+=' ['+' '.join(k+'=0x'+os.getxattr(p,k,follow_symlinks=False).hex() for k in ks)+']'
  if stat.S_ISREG(st.st_mode) and ('.virtfs_metadata' in rel or st.st_size<64):
    line+=' "'+open(p,'rb').read().decode('latin1').replace(chr(10),'\\\\n')+'"'
  out.append(line)
  if isdir:
    for e in sorted(os.listdir(p)): walk(os.path.join(rel,e) if rel else e)
walk('')
print(chr(10).join(out))`, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hostView: ${r.stderr}`);
  return r.stdout.trimEnd();
}
