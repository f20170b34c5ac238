# Runs a command in a pseudo-terminal (120x40), waits until its output shows
# every string in WAIT_FOR (JSON list), sends KEYS, and reports as JSON:
# {"output": ..., "status": exit status, "echo": ICANON|ECHO restored on the terminal after exit}.
import json, os, pty, select, struct, sys, termios, fcntl, time

wait_for = [s.encode() for s in json.loads(os.environ['WAIT_FOR'])]
keys = os.environ['KEYS'].encode()
timeout = float(os.environ.get('PTY_TIMEOUT', '30'))
argv = sys.argv[1:]

pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
    os.execvp(argv[0], argv)

out = b''
def read_some(limit):
    global out
    r, _, _ = select.select([fd], [], [], limit)
    if not r:
        return True
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        return False
    if not chunk:
        return False
    out += chunk
    return True

deadline = time.time() + timeout
alive = True
while alive and time.time() < deadline and not all(w in out for w in wait_for):
    alive = read_some(0.2)
seen = all(w in out for w in wait_for)
# The terminal settings while the program runs (raw mode expected).
raw_lflag = termios.tcgetattr(fd)[3]
os.write(fd, keys)
deadline = time.time() + timeout
status = None
while time.time() < deadline:
    alive = read_some(0.2) and alive
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        while read_some(0.1):
            pass
        break
lflag = termios.tcgetattr(fd)[3]
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({
    'seen': seen,
    'output': out.decode('utf-8', 'replace'),
    'status': status,
    'rawWhileRunning': (raw_lflag & termios.ICANON) == 0,
    'restored': (lflag & termios.ICANON) != 0 and (lflag & termios.ECHO) != 0,
}))
