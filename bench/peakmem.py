#!/usr/bin/python3
"""Wall time and peak memory of a command's whole process tree (gridr peer benchmark).

  peakmem.py [--interval S] [--log FILE] -- CMD [ARG...]

Runs CMD (no shell), waits for it with wait4() and prints, on stderr:
  wall_s  whole-process wall time (fork/exec to exit)
  peak_mib  peak over the samples of  sum(RssAnon of every process of the tree)
            + allocated size of the /dev/shm files the tree created and maps or holds
              open, each counted once (names of other runs on the machine are not)
  anon_mib / shm_mib  the two parts at that peak
  maxrss_mib  ru_maxrss from wait4(): the largest single process (= GNU time %M)
It exits with CMD's status.

Why a sampler: gridr-run forks workers that share named POSIX shared-memory arrays.
GNU time's %M reports the largest single process and counts a shared segment in every
process that maps it, so it neither adds the workers up nor counts shared memory once.
Sampling /proc every ~20 ms does both, and the same rule applied to every tool keeps the
figures comparable (a one-process tool gets its anonymous RSS).

As a module: run(argv, ...) -> dict with the same fields, plus 'shm_paths' (every /dev/shm
file counted as the tree's: the caller can check that none survives the run).
"""
import os
import re
import signal
import sys
import threading
import time



def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace")
    except OSError:  # the process or task went away between listing and reading
        return ""


def _children(pid):
    kids = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tids:
        kids += [int(x) for x in _read(f"/proc/{pid}/task/{tid}/children").split()]
    return kids


def _children_by_scan(pid):
    """Fallback for kernels without /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN)."""
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _read(f"/proc/{name}/stat")
            rest = stat[stat.rfind(")") + 2:].split()
            if len(rest) > 1 and rest[1] == str(pid):
                kids.append(int(name))
    return kids


HAVE_CHILDREN_FILE = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def tree(root):
    """root and all its live descendants."""
    found, todo = [], [root]
    get = _children if HAVE_CHILDREN_FILE else _children_by_scan
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += get(pid)
    return found


def _status(pid):
    """(RssAnon, RssShmem) of pid in bytes; (0, 0) once it is gone."""
    anon = shmem = 0
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("RssAnon:"):
            anon = int(line.split()[1]) * 1024
        elif line.startswith("RssShmem:"):
            shmem = int(line.split()[1]) * 1024
            break
    return anon, shmem


def _shm_used_by(pid, with_maps):
    """Names of the /dev/shm files pid holds open, and (if with_maps) maps."""
    names = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        fds = []
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(SHM_DIR + "/"):
            names.add(target[len(SHM_DIR) + 1:].replace(" (deleted)", ""))
    if with_maps:  # costly (~4 ms for 700 mappings, and it takes the mm lock): rarely
        for line in _read(f"/proc/{pid}/maps").splitlines():
            i = line.find(SHM_DIR + "/")
            if i >= 0:
                names.add(line[i + len(SHM_DIR) + 1:].replace(" (deleted)", ""))
    return names


SHM_DIR = "/dev/shm"
GRIDR_NAME = re.compile(r"^(gridr\.[0-9a-f]+\.)[0-9a-f]+$")
PENDING_SAMPLES = 100  # a new /dev/shm name nobody in the tree uses after that many samples: foreign
MAPS_EVERY = 10  # read /proc/PID/maps at most every that many samples


class Sampler(threading.Thread):
    """Samples the tree of root every interval seconds until stop().

    Shared memory: a /dev/shm file that appears during the run counts once the tree is seen
    holding it open or mapping it (maps are read only while such a name is unresolved, at most
    every MAPS_EVERY samples, and only for processes with resident shared memory); a gridr name
    /gridr.<run>.<seq> then makes every name of that run ours at once. Files of other runs on
    the machine are not counted."""

    def __init__(self, root, interval=0.02):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = self.peak_anon = self.peak_shm = 0
        self.samples = 0
        self.ours, self.foreign, self.pending = set(), set(_listdir(SHM_DIR)), {}
        self.prefixes, self.last_maps = set(), -MAPS_EVERY
        self._stop_evt = threading.Event()

    def _classify(self, names, pids, shmem):
        for n in names:
            if n in self.ours or n in self.foreign or n in self.pending:
                continue
            m = GRIDR_NAME.match(n)
            if m and m.group(1) in self.prefixes:
                self.ours.add(n)
            else:
                self.pending[n] = self.samples
        if not self.pending:
            return
        used, maps = set(), self.samples - self.last_maps >= MAPS_EVERY
        for pid in pids:
            used |= _shm_used_by(pid, maps and shmem.get(pid, 0) > 0)
        self.last_maps = self.samples if maps else self.last_maps
        for n in used & set(self.pending):
            m = GRIDR_NAME.match(n)
            if m:
                self.prefixes.add(m.group(1))
        for n, since in list(self.pending.items()):
            m = GRIDR_NAME.match(n)
            if n in used or (m and m.group(1) in self.prefixes):
                self.ours.add(n)
            elif n not in names or self.samples - since >= PENDING_SAMPLES:
                self.foreign.add(n)
            else:
                continue
            del self.pending[n]

    def sample(self):
        pids, anon, shmem = tree(self.root), 0, {}
        for pid in pids:
            a, shmem[pid] = _status(pid)
            anon += a
        names = set(_listdir(SHM_DIR))
        self._classify(names, pids, shmem)
        shm = 0
        for n in self.ours & names:
            try:
                shm += os.stat(f"{SHM_DIR}/{n}").st_blocks * 512
            except OSError:
                pass
        self.samples += 1
        if anon + shm > self.peak:
            self.peak, self.peak_anon, self.peak_shm = anon + shm, anon, shm

    def run(self):
        while not self._stop_evt.is_set():
            self.sample()
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.join()

    @property
    def shm_paths(self):
        return sorted(f"{SHM_DIR}/{n}" for n in self.ours)


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _stop_group(pgid, grace=5.0):
    """SIGTERM the run's process group (its own session), SIGKILL what is left after grace s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        time.sleep(grace)


def run(argv, env=None, stdout=None, stderr=None, interval=0.02, cwd=None, timeout=None):
    """Run argv in its own session; return wall_s, rc, timed_out, peak/anon/shm/maxrss bytes,
    samples, shm_paths. Stopped (SIGTERM, then SIGKILL) after timeout s or on an exception."""
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr, cwd=cwd,
                            start_new_session=True)
    sampler = Sampler(proc.pid, interval)
    sampler.start()
    timer = threading.Timer(timeout, _stop_group, (proc.pid,)) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    except BaseException:  # KeyboardInterrupt: do not leave the tool running
        threading.Thread(target=_stop_group, args=(proc.pid, 2.0), daemon=True).start()
        os.wait4(proc.pid, 0)
        sampler.stop()
        raise
    wall = time.perf_counter() - t0
    timed_out = bool(timeout) and wall >= timeout
    if timer:
        timer.cancel()
    sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return dict(wall_s=wall, rc=proc.returncode, timed_out=timed_out, peak=sampler.peak,
                anon=sampler.peak_anon, shm=sampler.peak_shm, maxrss=ru.ru_maxrss * 1024,
                samples=sampler.samples, shm_paths=sampler.shm_paths)


def main(args):
    interval, log = 0.02, None
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--interval" and args:
            interval = float(args.pop(0))
        elif opt == "--log" and args:
            log = args.pop(0)
        else:
            sys.exit(__doc__)
    if len(args) < 2:
        sys.exit(__doc__)
    out = open(log, "ab") if log else None
    r = run(args[1:], stdout=out, stderr=out, interval=interval)
    mib = 1 << 20
    print(f"wall_s={r['wall_s']:.3f} peak_mib={r['peak'] / mib:.1f} anon_mib={r['anon'] / mib:.1f} "
          f"shm_mib={r['shm'] / mib:.1f} maxrss_mib={r['maxrss'] / mib:.1f} "
          f"samples={r['samples']} rc={r['rc']}", file=sys.stderr)
    return r["rc"] if r["rc"] >= 0 else 128 - r["rc"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
