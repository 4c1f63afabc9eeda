// busybox sh scripts under tsqemu-riscv64 and real qemu-riscv64, compared. Commands the script
// runs (sed, sort, awk, ...) are busybox applets in both cases: for tsqemu-riscv64 PATH holds
// symlinks to the riscv64 busybox (its execve runs riscv64 programs itself); real qemu-riscv64
// cannot exec a riscv64 program without binfmt_misc, so its PATH holds host wrapper scripts that
// run `qemu-riscv64 busybox APPLET`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli/riscv64.js');
const qemu = ['/usr/bin/qemu-riscv64', '/usr/local/bin/qemu-riscv64'].find((p) => fs.existsSync(p));
const APPLETS = ['sed', 'sort', 'awk', 'sha256sum', 'find', 'tar', 'gzip', 'seq', 'cat', 'wc', 'head', 'tr', 'uniq', 'cut', 'ls', 'mkdir', 'rm', 'expr'];

const SCRIPTS = {
  'pipes-loops-subshells': `
    for i in 3 1 2; do echo "item $i"; done | sort | sed 's/item/ITEM/'
    x=$(echo inner | tr a-z A-Z); echo "subst: $x"
    (cd /; pwd; exit 3); echo "subshell status $?"
    n=0; while [ $n -lt 5 ]; do n=$((n + 1)); done; echo "n=$n"
    f() { echo "func $1 $#"; return 4; }; f a b; echo "ret $?"
    seq 1 200 | awk '{ s += $1 } END { print "sum", s }'
    echo "a b c" | { read p q r; echo "$r$q$p"; }
    printf '%s\\n' one two three | head -2 | wc -l
    case foo in f*) echo matched;; esac
    false || echo "or works"; true && echo "and works"
  `,
  'files-tar-gzip-sha256': `
    mkdir -p d/sub; echo hello > d/a; echo world > d/sub/b; seq 1 1000 > d/sub/n
    find d | sort
    tar cf t.tar d && gzip -9 t.tar && ls t.tar.gz
    gzip -dc t.tar.gz | tar tf - | sort
    mkdir x && cd x && gzip -dc ../t.tar.gz | tar xf - && cat d/a d/sub/b && cd ..
    sha256sum d/sub/n x/d/sub/n | cut -c1-64 | uniq | wc -l
    cat d/sub/n | sed -n '990,$p' | sort -rn | head -3
    awk 'NR % 250 == 0 { printf "%d,", $1 } END { print "" }' d/sub/n
    echo $(( $(wc -l < d/sub/n) * 2 ))
    expr 6 \\* 7
    rm -r d x; ls
  `,
};

let tmp = '';
function setup() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-bb-'));
  const bb = path.join(tmp, 'busybox');
  fs.writeFileSync(bb, zlib.gunzipSync(fs.readFileSync(path.join(root, 'images/busybox.gz'))), { mode: 0o755 });
  fs.mkdirSync(path.join(tmp, 'links'));
  fs.mkdirSync(path.join(tmp, 'wrappers'));
  for (const a of APPLETS) {
    fs.symlinkSync(bb, path.join(tmp, 'links', a));
    fs.writeFileSync(path.join(tmp, 'wrappers', a), `#!/bin/sh\nexec ${qemu} ${bb} ${a} "$@"\n`, { mode: 0o755 });
  }
  return bb;
}
process.on('exit', () => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

/** Run argv in a fresh `work` (no script prints its name); both emulators run at the same time. */
function run(argv, pathDir, work) {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work);
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: work, env: { PATH: pathDir, HOME: work, LC_ALL: 'C' } });
    child.stdin.end(); // an empty pipe, as spawnSync gave it
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout, stderr, status, signal }); });
  });
}

for (const [name, script] of Object.entries(SCRIPTS)) {
  test(`busybox sh: ${name} matches qemu-riscv64`, { skip: qemu ? false : 'qemu-riscv64 not installed', timeout: 600000 }, async () => {
    const bb = tmp ? path.join(tmp, 'busybox') : setup();
    const [want, got] = await Promise.all([run([qemu, bb, 'sh', '-c', script], path.join(tmp, 'wrappers'), path.join(tmp, 'work-q')),
      run([process.execPath, cli, bb, 'sh', '-c', script], path.join(tmp, 'links'), path.join(tmp, 'work-t'))]);
    assert.equal(want.status, 0, `real qemu failed: ${want.stderr}`);
    assert.deepEqual(got, want);
  });
}
