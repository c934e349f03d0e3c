"""Knowing cheaply, before each write, that the file at the path is still the one opened.

A write of either SQLite engine must never go to a file that was renamed over
or unlinked under the writer (`sqlite_files.py`): a write that starts after
the replacement completed goes to the file now at the path. A `stat()` of
the path per write proves that (~0.7 us back to back, ~3 us right after the
previous write's fsync, caches cold). A `FileCheck` proves the same with one
`poll(0)` (~0.25 us) on Linux, by asking the kernel whether anything that
could change what the path names has happened since it last looked.

What is watched, per writer generation (`sqlite_files.open_writer` sets it up
BEFORE it opens and names the file, so no change after that goes unseen):

* an inotify instance of its own (one per generation, never one per process:
  a shared instance drained by one database would eat another's events),
  watching the file's directory for any entry created, deleted, or moved in
  or out (a rename over the file, its unlink, a file made in its place), and
  that directory and every ancestor up to "/" for being moved, deleted or
  changed itself (a renamed ancestor changes what the path names; an empty
  directory renamed over is deleted, and is first marked IN_ATTRIB);
* `/proc/self/mountinfo`, which the kernel marks (POLLPRI) when a mount or
  unmount changes this process's mount table: a mount over a directory of
  the path (or the file) changes what it names, and inotify says nothing.

The kernel queues the event inside rename(2), unlink(2), rmdir(2) and
mount(2), before the call returns, so a poll that finds nothing proves that
no such change completed before it: the stat's guarantee. The watches are
added from "/" down, each directory resolved through the ones already
watched; one that leaves its name after its watch was added is an event, so
with no event the watched directories are the path's. Anything found (also
an unrelated file in the directory, or our own -wal being made) only says
"look": the events are read, and the check of today runs (`file_changed`:
one stat against the identity opened). Events about entries of the
directory (they carry a name) keep the watch; any other (a directory moved,
deleted or changed, a mount, a full queue, a watch lost) replaces it with a
new one on the path as it is now, set up before that stat. So the watch can never say "changed" wrongly, only "look". No
periodic stat backs it up: the one change inotify cannot see, a mount, is
seen through mountinfo.

Falls back to the stat on every write (for that generation) when no watch
can be set up: not Linux on x86_64/aarch64, no libc through ctypes, no
/proc/self/mountinfo, the inotify limits (EMFILE, ENOSPC: max_user_instances
is 128 per user by default; this process holds at most MAX_WATCHES), a
directory it may not watch (EACCES), or not on a local filesystem (inotify
does not see another NFS/SMB client's or a FUSE server's rename; nor a zfs
rollback, so zfs is not counted local), a symlink
at the path (its target may be replaced elsewhere), ":memory:", and in the
child of a fork (it must not read the parent's events: os.register_at_fork).
STOREGEN_FILE_WATCH=0 in the environment (read at import; tests set
`ENABLED`) turns it off. Not seen by either way: a file changed in place
(the same inode), which is not a replacement.

Not seen by the watch, seen by the stat: this process changing its OWN root
(chroot) or mount namespace (unshare(CLONE_NEWNS), setns) after the open
(the mountinfo descriptor reports the namespace it was opened in; no watched
inode changes); and on overlayfs, edits made directly in its lower or upper
directories (which overlayfs itself calls undefined). Noticing the first
per write (a readlink of /proc/self/ns/mnt and a stat of "/": ~1.5 us back
to back) would cost twice the stat (~0.7 us) it replaces: a process that
does either sets STOREGEN_FILE_WATCH=0.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import select
import stat
import struct
import sys
import threading
import weakref
from typing import Any

Files = dict[str, tuple[int, int]]  # path -> (st_dev, st_ino), as opened
ENABLED = os.environ.get("STOREGEN_FILE_WATCH", "1") != "0"
MAX_WATCHES = 16  # per process: the inotify instances are the user's, 128 by default
_IN_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # (not on Windows, where _LIBC is None)
_IN_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_SETTLE_READS = 8  # of 64 KiB each per check at most: then the stat decides, the rest waits
_ENTRY = 0x40 | 0x80 | 0x100 | 0x200  # IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE
_SELF = 0x4 | 0x400 | 0x800  # IN_ATTRIB, IN_DELETE_SELF, IN_MOVE_SELF
_FLAGS = 0x01000000 | 0x02000000 | 0x20000000  # IN_ONLYDIR, IN_DONT_FOLLOW, IN_MASK_ADD
_EVENT = struct.Struct("=4xI4xI")  # struct inotify_event: (wd) mask (cookie) len, then the name
# statfs f_type of the filesystems where every rename is made by this kernel.
_LOCAL = {
    0xEF53,  # ext2/3/4
    0x58465342,  # xfs
    0x9123683E,  # btrfs
    0x01021994,  # tmpfs
    0x858458F6,  # ramfs
    0x794C7630,  # overlayfs (edits made directly in its lower/upper dirs: not seen)
    0xF2F52010,  # f2fs
    0xCA451A4E,  # bcachefs
}


def _load_libc() -> Any:
    """libc's inotify and statfs, where `struct statfs` starts with a long f_type."""
    if sys.platform != "linux" or os.uname().machine not in ("x86_64", "aarch64"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        libc.statfs.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


# What a lookup of the path fails with when it names no file any more (an
# ancestor moved away and a file, or a symlink loop, put at its name): changed.
NO_FILE_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG})


def file_changed(path: str, files: Files) -> bool:
    """Whether the file opened as `files[path]` is gone or replaced (one stat)."""
    opened = files.get(path)
    if opened is None:  # :memory:
        return False
    try:
        st = os.stat(path)
    except OSError as exc:
        # The path names no file: changed. Else (EACCES, EIO...) nothing says it
        # was replaced: let the operation itself report the problem.
        return exc.errno in NO_FILE_ERRNOS
    return (st.st_dev, st.st_ino) != opened


class _Watch:
    """The inotify instance and the mountinfo descriptor of one generation."""

    __slots__ = ("fd", "mounts", "poll", "__weakref__")

    def __init__(self, fd: int, mounts: int) -> None:
        self.fd, self.mounts = fd, mounts
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.register(mounts, select.POLLPRI)
        self.poll = poller.poll

    def settle(self, ready: list[tuple[int, int]]) -> bool:
        """Read the queued events (at most _SETTLE_READS buffers; the rest keep the
        descriptor ready for the next check); whether the watch still holds: every event
        names an entry of the directory (made, deleted, moved, or a file's
        attributes changed, as SQLite's ftruncate of a growing file does).
        Nameless ones are about a watched directory itself (moved, deleted,
        changed, unmounted) or the queue (overflowed); or the mounts changed."""
        holds = all(fd == self.fd and events == select.POLLIN for fd, events in ready)
        for _ in range(_SETTLE_READS):  # bounded: a writer never waits on another's events
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return holds
            except OSError:
                return False
            if not data:  # no inotify read ends so: distrust the instance
                return False
            at = 0
            while at < len(data):
                length = _EVENT.unpack_from(data, at)[1]
                holds = holds and length > 0
                at += _EVENT.size + length
        # Still more queued: what was read holds or not; the rest keeps the
        # descriptor ready, so the next check reads on (and the stat runs now).
        return holds

    def close(self) -> None:
        """Close both descriptors and give back the watch's place (idempotent)."""
        fds, self.fd, self.mounts = (self.fd, self.mounts), -1, -1
        if fds[0] >= 0:
            _release()
        for fd in fds:
            if fd >= 0:
                os.close(fd)

    def __del__(self) -> None:
        self.close()


def start_watch(path: str) -> _Watch | None:
    """A watch on what `path` names (see the module's docstring); None: use the stat."""
    if not ENABLED or _LIBC is None or not path.startswith("/"):  # also ":memory:"
        return None
    with _COUNT_LOCK:  # concurrent opens: never more than MAX_WATCHES
        if len(_OPEN) >= MAX_WATCHES:
            return None
        _OPEN.append(None)  # this watch's place; `_Watch.close` gives it back
    try:
        mounts = os.open("/proc/self/mountinfo", os.O_RDONLY | _IN_CLOEXEC)
    except OSError:
        _release()
        return None
    fd = _LIBC.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
    if fd < 0:  # EMFILE: the user's max_user_instances, or ours
        os.close(mounts)
        _release()
        return None
    watch = _Watch(fd, mounts)  # mountinfo first: a mount from here on is seen
    directory = os.path.dirname(path)
    chain = [directory]
    while chain[-1] != "/":
        chain.append(os.path.dirname(chain[-1]))
    for name in reversed(chain):  # from "/" down: each resolved through the watched ones
        mask = _FLAGS | _SELF | (_ENTRY if name == directory else 0)
        if _LIBC.inotify_add_watch(fd, os.fsencode(name), mask) < 0 or not _local(name):
            watch.close()  # ENOSPC (max_user_watches), EACCES, a symlink, not local
            return None
    if _is_link(path):
        watch.close()
        return None
    return watch


# One entry per open watch of this process. Taken under the lock (the count and
# the take together); given back without it (a list's pop is atomic), so a
# `_Watch.__del__` run by the collector inside the locked section cannot deadlock.
_OPEN: list[None] = []
_COUNT_LOCK = threading.Lock()


def _release() -> None:
    with contextlib.suppress(IndexError):  # (a fork child's count starts at its parent's)
        _OPEN.pop()


def _local(directory: str) -> bool:
    """Whether `directory` is on a filesystem whose renames this kernel makes."""
    buf = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes
    if _LIBC.statfs(os.fsencode(directory), buf) != 0:
        return False
    return ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF in _LOCAL


def _is_link(path: str) -> bool:
    """Whether `path` is a symlink (or cannot be looked at); a missing file is not."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False
    except OSError:
        return True


class FileCheck:
    """Whether a writer generation's file is gone or replaced: `changed()`.

    `files` are the generation's identities (`sqlite_files.open_writer`);
    `watch` was set up before they were taken (None: stat on every call).
    Safe to call from several threads; `close()` when the generation ends.
    """

    __slots__ = ("path", "files", "_watch", "_armed", "_lock", "__weakref__")

    def __init__(self, path: str, files: Files, watch: _Watch | None) -> None:
        self.path, self.files = path, files
        self._watch = watch
        self._armed = watch is not None  # no event since the last full check
        self._lock = threading.Lock()
        _CHECKS.add(self)

    def changed(self) -> bool:
        """Whether the file opened is gone or replaced (what `file_changed` says).

        With a watch: one poll(0), under a lock, so that the events one thread
        reads (and the mount change, which the poll itself consumes) are
        checked before any other thread trusts the watch again (and a
        `select.poll` object refuses a second caller while one polls).
        """
        with self._lock:
            return self.changed_alone()

    def changed_alone(self) -> bool:
        """`changed()` without its lock (~0.25 us less), for a caller that never
        runs it beside another call of this check: the sync writer, under its lock."""
        watch = self._watch
        if watch is not None:
            ready = watch.poll(0)
            if not ready and self._armed:
                return False
            return self._look(watch, ready)
        return file_changed(self.path, self.files)

    def _look(self, watch: _Watch, ready: list[tuple[int, int]]) -> bool:
        """After an event: read them, renew a watch they spent, then the full check."""
        self._armed = False
        if not watch.settle(ready):
            watch.close()
            self._watch = None  # its place in the cap (_OPEN) is given back by close()
            self._watch = start_watch(self.path)  # before the stat below
        changed = file_changed(self.path, self.files)
        self._armed = self._watch is not None and not changed and not _is_link(self.path)
        return changed

    def close(self) -> None:
        """Release the watch (the next `changed()` stats); idempotent."""
        with self._lock:
            watch, self._watch, self._armed = self._watch, None, False
        if watch is not None:
            watch.close()

    def _forget_in_child(self) -> None:
        """After a fork, in the child: stat from now on, never read the parent's
        events (the descriptors are shared); a lock a parent thread held is renewed."""
        self._lock = threading.Lock()
        watch, self._watch, self._armed = self._watch, None, False
        if watch is not None:
            watch.close()  # the child's copies only


_CHECKS: weakref.WeakSet[FileCheck] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    global _COUNT_LOCK
    _COUNT_LOCK = threading.Lock()  # a parent thread may have held it
    for check in list(_CHECKS):
        check._forget_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


NO_FILE = FileCheck(":memory:", {}, None)  # a closed generation's, or none yet: never changed
