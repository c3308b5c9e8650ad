#!/usr/bin/env python3
"""The monitor on a real terminal (a pseudo-terminal): readline line editing,
tab completion, history kept across runs, Ctrl-C cancelling expect, Ctrl-D,
and the -nographic mux on a tty. Prints PASS/FAIL lines and the summary."""
import os, pty, select, signal, sys, tempfile, time

amber, elf = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp()
hist = os.path.join(tmp, "history")
passed = failed = 0


def check(name, cond, info=""):
    global passed, failed
    if cond:
        print("PASS", name)
        passed += 1
    else:
        print("FAIL", name, repr(info)[-600:])
        failed += 1


class Session:
    def __init__(self, args):
        env = dict(os.environ, AMBER_HISTORY=hist, TERM="dumb", HOME=tmp)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(amber, [amber, "-M", "virt", "-bios", "none", "-kernel", elf] + args, env)
        self.out = b""
        self.status = None

    def read_until(self, pat, timeout=20):
        """Reads until pat appears after the current mark; True if it did."""
        pat = pat.encode() if isinstance(pat, str) else pat
        end = time.time() + timeout
        while time.time() < end:
            if pat in self.out[self.mark:]:
                return True
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    d = os.read(self.fd, 4096)
                except OSError:
                    break
                if not d:
                    break
                self.out += d
        return pat in self.out[self.mark:]

    def send(self, data, wait=None):
        self.mark = len(self.out)
        os.write(self.fd, data.encode() if isinstance(data, str) else data)
        if wait:
            return self.read_until(wait)
        return True

    def since(self):
        return self.out[self.mark:].decode(errors="replace").replace("\r", "")

    def wait(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
            try:
                r, _, _ = select.select([self.fd], [], [], 0.05)
                if r:
                    self.out += os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None


# ---- first run: completion, editing, history written ----
s = Session(["-S", "-monitor", "stdio"])
s.mark = 0
check("banner-and-prompt", s.read_until("(amber) "), s.out)
check("complete-command", s.send("inf\t", "info "), s.out)
check("complete-info-sub", s.send("sta\t", "status"), s.out)
check("run-completed-line", s.send("\r", "VM status: paused (prelaunch)\r\n(amber) "), s.since())
# Two candidates: the common prefix is inserted, a second Tab lists them.
s.send("system_\t\t")
s.read_until("system_reset", 5)
check("complete-list", "system_powerdown" in s.since() and "system_reset" in s.since(), s.since())
s.send("\x15")                      # Ctrl-U: kill the line
# Line editing: type "p 12", Ctrl-B back one character, insert "+".
check("edit-line", s.send("p 12\x02+\r", "0x3\r\n(amber) "), s.since())
check("complete-file-arg", s.send("pmemsave 0x1000 4 " + tmp + "/hi\t", tmp + "/history"),
      s.since())
s.send("\x15")
s.send("p 0x77\r", "0x77\r\n(amber) ")
# Ctrl-C while expect waits cancels it; the monitor answers again.
s.send("expect never-printed 60\r")
time.sleep(0.5)
check("ctrl-c-cancels-expect", s.send("\x03", "Error: expect: cancelled"), s.since())
# The prompt after the answer: readline owns the terminal again (a Ctrl-D
# typed while a command runs lands in the tty's cooked buffer instead).
check("prompt-after-cancel", s.send("info status\r", "VM status: running\r\n(amber) "), s.since())
s.send("\x04")                      # Ctrl-D on an empty line: quit
check("ctrl-d-quits", s.wait() == 0, s.status)
try:
    h = open(hist).read().splitlines()
except OSError:
    h = []
check("history-file", "p 0x77" in h and "info status" in h, h)

# ---- second run: the history is back ----
s = Session(["-S", "-monitor", "stdio"])
s.mark = 0
s.read_until("(amber) ")
s.send("\x10\x10\x10")              # Ctrl-P three times: "p 0x77" (before expect, info status)
check("history-recall", s.send("\r", "0x77\r\n(amber) "), s.since())
s.send("quit\r")
check("quit-status", s.wait() == 0, s.status)

# ---- the -nographic mux on a terminal ----
s = Session(["-nographic", "-icount", "shift=3,sleep=on"])
s.mark = 0
check("mux-serial-first", s.read_until("tick "), s.out)
check("mux-to-monitor", s.send("\x01c", "(amber) "), s.since())
check("mux-complete", s.send("info sta\t\r", "VM status: running\r\n(amber) "), s.since())
s.send("\x01c")
check("mux-back-to-serial", s.send("x", "you typed: 'x'"), s.since())
s.send("\x01x")
check("mux-quit", s.wait() == 0, s.status)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
