"""Whether another process still runs, asked without signalling it.

On Unix that is ``os.kill(pid, 0)``. On Windows it must not be: Python maps every signal there
but the console ones to ``TerminateProcess``, so that "check" would end the process. Windows asks
the process handle instead (``OpenProcess`` with ``SYNCHRONIZE``, ``WaitForSingleObject`` with
no wait), through ctypes.
"""

from __future__ import annotations

import os
from typing import Callable

if os.name == "nt":
    import ctypes
    from ctypes import wintypes

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    _kernel32.OpenProcess.restype = wintypes.HANDLE
    _kernel32.WaitForSingleObject.argtypes = (wintypes.HANDLE, wintypes.DWORD)
    _kernel32.WaitForSingleObject.restype = wintypes.DWORD
    _kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    _kernel32.CloseHandle.restype = wintypes.BOOL
    _SYNCHRONIZE = 0x00100000
    _WAIT_TIMEOUT = 0x00000102
    _ERROR_ACCESS_DENIED = 5

    def _open(pid: int) -> int | None:
        """A handle to wait on process ``pid``; None when there is no such process.

        Raises PermissionError when it exists but may not be waited on."""
        handle = _kernel32.OpenProcess(_SYNCHRONIZE, False, pid)
        if handle:
            return handle
        if ctypes.get_last_error() == _ERROR_ACCESS_DENIED:
            raise PermissionError(f"process {pid} exists but is not ours to watch")
        return None

    def _ended(handle: int) -> bool:
        return _kernel32.WaitForSingleObject(handle, 0) != _WAIT_TIMEOUT

    def alive(pid: int) -> bool:
        """True while process ``pid`` runs."""
        try:
            handle = _open(pid)
        except PermissionError:
            return True
        if handle is None:
            return False
        try:
            return not _ended(handle)
        finally:
            _kernel32.CloseHandle(handle)

    def watch(pid: int) -> Callable[[], bool]:
        """A check that is True once process ``pid`` has ended. The handle is opened now and
        kept, so a new process that is given the same pid later is not mistaken for it."""
        try:
            handle = _open(pid)
        except PermissionError:
            return lambda: not alive(pid)
        if handle is None:
            return lambda: True
        return lambda: _ended(handle)

else:

    def alive(pid: int) -> bool:
        """True while process ``pid`` runs (a zombie counts as gone)."""
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
        except OSError:
            pass
        return _exists(pid)

    def _exists(pid: int) -> bool:
        """True while process ``pid`` exists, a zombie included (signal 0 is only a check)."""
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, owned by someone else
        return True

    def watch(pid: int) -> Callable[[], bool]:
        """A check that is True once process ``pid`` is gone, or once we were re-parented away
        from it when it was our parent."""
        was_our_parent = os.getppid() == pid

        def gone() -> bool:
            if was_our_parent and os.getppid() != pid:
                return True
            return not _exists(pid)

        return gone
