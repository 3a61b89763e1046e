"""Runs a command on a new pseudo-terminal of 40 rows by 100 columns, as a person at a terminal would:
once the command's output shows MARKER, types INPUT. Prints everything the terminal showed and exits
with the command's status. Usage: pty-run.py MARKER INPUT -- COMMAND [ARG...]"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

marker, typed = sys.argv[1].encode(), sys.argv[2].encode()
command = sys.argv[sys.argv.index("--") + 1:]
pid, terminal = pty.fork()
if pid == 0:
    # The child is the session leader with the terminal as its controlling tty; give it a size first.
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    os.execvp(command[0], command)
shown = b""
sent = False
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    ready, _, _ = select.select([terminal], [], [], 1)
    if not ready:
        continue
    try:
        data = os.read(terminal, 4096)
    except OSError:  # EIO: every holder of the terminal's other side has gone
        break
    if not data:
        break
    shown += data
    if not sent and marker in shown:
        os.write(terminal, typed)
        sent = True
else:
    os.kill(pid, 9)
    shown += b"\npty-run: timed out\n"
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(status))
