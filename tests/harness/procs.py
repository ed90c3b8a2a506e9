"""Child processes that the harness starts, watches and always ends.

Every service runs in its own session (so in its own process group): the
harness signals the whole group, which also reaches the workers a service
forks (nginx).  Output goes to a log file in the service's directory, and
its tail is shown whenever a service fails to start.

A service that is not detached dies with the Python process that started
it, even one killed outright (the kernel's parent-death signal).  A
service started "detached" (the demo) is not tied to this Python
process: its pid and start time are recorded so that a later process can
find and end exactly that process, never one that reused its pid.
"""

import atexit
import ctypes
import os
import signal
import subprocess
import time

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class StartError(RuntimeError):
    """A service did not come up; the message carries its log tail."""


def wait_until(predicate, timeout, what, interval=0.02, alive=None):
    """Polls predicate() until it is true or timeout seconds have passed.

    alive, if given, is polled too: a service that died will never become
    ready, so waiting out the whole deadline would only hide the cause.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if alive is not None and not alive():
            raise StartError(f"{what}: the process exited")
        if time.monotonic() >= deadline:
            raise StartError(f"{what}: not ready after {timeout:.1f}s")
        time.sleep(interval)


def tail(path, lines=40):
    """The last lines of a log file, or a note that there is none."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(no log {path}: {e.strerror})"
    return "\n".join(text.splitlines()[-lines:])


def _stat(pid):
    """The fields of /proc/PID/stat after the command name, or None.

    The command name (field 2) may hold spaces and parentheses: the fields
    that follow start after the last ')'.  Index 0 is the state, 1 the
    parent pid, 2 the process group, 19 the start time.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()


def _live_processes():
    """(pid, stat fields) of every process that is not a zombie."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None and fields[0] != "Z":
                yield int(entry), fields


def start_time(pid):
    """The kernel's start time of a live pid (clock ticks since boot).

    A pid plus its start time names one process for good: a recycled pid
    has a different start time.  None once the process is gone or a zombie.
    """
    fields = _stat(pid)
    if fields is None or fields[0] == "Z":
        return None
    return int(fields[19])


def children(pid):
    """The pids whose parent is pid (nginx's workers, for instance)."""
    return sorted(p for p, fields in _live_processes()
                  if int(fields[1]) == pid)


def group_members(pgid):
    """The live pids of a process group."""
    return sorted(p for p, fields in _live_processes()
                  if int(fields[2]) == pgid)


def kill_group(pgid, first_signal=signal.SIGTERM, timeout=5.0):
    """Sends first_signal to a process group, SIGKILL after timeout.

    Returns once no live process of the group is left (zombies do not
    count: a detached service's zombie is its new parent's to reap), or
    after a last short wait following SIGKILL.
    """
    for sig, wait in ((first_signal, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap(pgid)
            if not group_members(pgid):
                return
            time.sleep(0.02)


def _reap(pid):
    """Collects our own exited child so that it does not stay a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _all_threads_stopped(pid):
    """Whether every thread of pid is stopped (state T), or pid is gone."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:].split()[0] not in ("T", "t", "Z",
                                                          "X"):
            return False
    return True


class Proc:
    """One service process, started in its own session, logging to a file."""

    _live = set()   # started, not detached, not yet stopped: see _end_all

    def __init__(self, name, argv, log_path, cwd=None, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = str(log_path)
        self.cwd = cwd
        self.env = env
        self.popen = None
        self.stopped = False

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def start(self, detached=False):
        """Starts the process.  detached: not ended when Python exits."""
        parent = os.getpid()

        def tie_to_parent():
            # If the test run dies without cleaning up (SIGKILL), the kernel
            # sends SIGTERM to the service: no server outlives its run.
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:
                os._exit(1)

        with open(self.log_path, "ab") as log:
            log.write(f"==== {time.strftime('%H:%M:%S')} start: "
                      f"{' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env,
                start_new_session=True,
                preexec_fn=None if detached else tie_to_parent)
        if not detached:
            Proc._live.add(self)
        return self

    def wait(self, timeout=None):
        """Waits for the process to exit; returns its exit status."""
        status = self.popen.wait(timeout=timeout)
        Proc._live.discard(self)
        return status

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def send_signal(self, sig):
        """Signals the whole process group (a no-op once it is gone).

        Once the leader has exited and been reaped its pid, and so the
        group id, may belong to another process soon (pids come round
        within minutes here): the group is then left alone.
        """
        if self.popen is None or self.stopped or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, first_signal=signal.SIGTERM, timeout=5.0):
        """Ends the process group; SIGKILL if it outlives the deadline."""
        if self.popen is None or self.stopped:
            return      # never signal a group id that may have been reused
        # A stopped (SIGSTOP) process queues SIGTERM until it runs again.
        self.send_signal(signal.SIGCONT)
        kill_group(self.popen.pid, first_signal, timeout)
        try:
            self.popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self.stopped = True
        Proc._live.discard(self)

    def tail(self, lines=40):
        return tail(self.log_path, lines)

    def start_error(self, what):
        """A StartError that shows the log tail of this process."""
        return StartError(f"{self.name}: {what}\n--- {self.log_path} "
                          f"(last lines) ---\n{self.tail()}")


class Service:
    """A server we run in the foreground as our child: started, stopped,
    frozen (SIGSTOP: it accepts connections and never answers) and thawed.
    Subclasses give _argv(), _answers() and set name, dir, log_path."""

    name = "service"
    what = "an answer"       # what start() waits for, for messages

    def __init__(self):
        self.proc = None
        self.paused = False

    def start(self, timeout=10.0, detached=False):
        """Starts the server; returns self once it answers."""
        self.proc = Proc(self.name, self._argv(), self.log_path,
                         cwd=self.dir)
        self.proc.start(detached=detached)
        self.paused = False
        try:
            wait_until(self._answers, timeout, self.what, interval=0.03,
                       alive=self.proc.running)
        except StartError as e:
            err = self.proc.start_error(str(e))
            self.proc.stop(timeout=2.0)
            raise err from None
        return self

    def stop(self, timeout=5.0):
        """SIGTERM, which lets the server end cleanly."""
        if self.proc is not None:
            self.proc.stop(signal.SIGTERM, timeout)
        self.paused = False

    def pause(self, timeout=5.0):
        """SIGSTOP, and wait until every thread has stopped: kill()
        returns before a busy multi-threaded server is actually still."""
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True
        wait_until(lambda: _all_threads_stopped(self.proc.pid), timeout,
                   f"{self.name} to stop (SIGSTOP)", interval=0.01)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    @property
    def is_running(self):
        return self.proc is not None and self.proc.running()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


@atexit.register
def _end_all():
    """Last line of defence: nothing we started outlives the test run."""
    for proc in list(Proc._live):
        proc.stop(timeout=2.0)
