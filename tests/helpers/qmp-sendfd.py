# A QMP client that passes descriptors with SCM_RIGHTS (tests/qmp-getfd.test.js):
#   python3 qmp-sendfd.py SOCKET FILE
# runs a fixed conversation of getfd/closefd/add-fd/query-fdsets/remove-fd/blockdev-add, sending
# FILE's descriptors (read-write or read-only) with the commands that take one, and prints the
# replies (events skipped) as one JSON array. The connection stays open until stdin closes, so
# the caller can look at the emulator's descriptors meanwhile.
import json, os, socket, sys, time

# The socket file exists from the emulator's bind(); connections are refused until its listen()
# (the caller waits for the file): try again for a while.
for attempt in range(600):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1])
        break
    except (ConnectionRefusedError, FileNotFoundError):
        s.close()
        if attempt == 599:
            raise
        time.sleep(0.05)
f = s.makefile('rb')

def reply():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m

def cmd(c, fd=None):
    data = (json.dumps(c) + '\n').encode()
    if fd is None:
        s.sendall(data)
    else:
        socket.send_fds(s, [data], [fd])
    return reply()

reply()  # greeting
rw = os.open(sys.argv[2], os.O_RDWR)
ro = os.open(sys.argv[2], os.O_RDONLY)
out = [
    cmd({'execute': 'qmp_capabilities'}),
    cmd({'execute': 'getfd', 'arguments': {'fdname': 'mine'}}),
    cmd({'execute': 'add-fd'}),
    cmd({'execute': 'getfd', 'arguments': {'fdname': 'mine'}}, rw),
    cmd({'execute': 'getfd', 'arguments': {'fdname': '1bad'}}, rw),
    cmd({'execute': 'closefd', 'arguments': {'fdname': 'mine'}}),
    cmd({'execute': 'closefd', 'arguments': {'fdname': 'mine'}}),
    cmd({'execute': 'add-fd', 'arguments': {'fdset-id': 3, 'opaque': 'rw'}}, rw),
    cmd({'execute': 'add-fd', 'arguments': {'fdset-id': 3}}, ro),
    cmd({'execute': 'add-fd', 'arguments': {'opaque': 'next'}}, ro),
    cmd({'execute': 'query-fdsets'}),
    cmd({'execute': 'remove-fd', 'arguments': {'fdset-id': 3}}),
    cmd({'execute': 'query-fdsets'}),
    cmd({'execute': 'add-fd', 'arguments': {'fdset-id': 5}}, rw),
    cmd({'execute': 'blockdev-add', 'arguments': {'driver': 'file', 'node-name': 'viafd', 'filename': '/dev/fdset/5'}}),
]
print(json.dumps(out), flush=True)
sys.stdin.read()
