# Drive `virsh console` on a pseudo-terminal (it needs a tty) for tests/libvirt.test.js:
#   python3 virsh-console.py SEND EXPECT TIMEOUT_S virsh ARGS...
# types SEND (with a newline) at once and every 2 s until EXPECT appears in what comes back, then leaves
# the console with Ctrl-] and prints what it saw; exit status 1 on a timeout.
import os, pty, select, sys, time

send, expect, timeout, argv = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3]), sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen = b''
# The first SEND goes at once (typed before virsh is attached, it waits in the pty), then every 2 s.
start = time.time()
last = start - 3
ok = False
while time.time() - start < timeout:
    if time.time() - last > 2:
        os.write(fd, send.encode() + b'\r')
        last = time.time()
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            seen += os.read(fd, 4096)
        except OSError:
            break
    if expect in seen.replace(b'\r', b''):
        ok = True
        break
try:
    os.write(fd, b'\x1d')  # Ctrl-]: virsh leaves the console
except OSError:
    pass
deadline = time.time() + 10
while time.time() < deadline:
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
sys.stdout.write(seen.decode('utf-8', 'replace'))
sys.exit(0 if ok else 1)
