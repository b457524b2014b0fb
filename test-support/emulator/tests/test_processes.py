"""processes: telling whether a process runs must never signal it (on Windows, os.kill ends it)."""

import subprocess
import sys

from stsvault_emulator import processes


def test_a_running_process_is_seen_and_left_running_then_seen_gone():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert processes.alive(proc.pid)
        gone = processes.watch(proc.pid)
        assert not gone()
        assert proc.poll() is None, "asking ended the process"
    finally:
        proc.kill()
        proc.wait()
    assert not processes.alive(proc.pid)
    assert gone()


def test_this_process_is_alive():
    import os

    assert processes.alive(os.getpid())
    assert not processes.watch(os.getpid())()
