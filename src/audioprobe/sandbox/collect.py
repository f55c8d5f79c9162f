"""Reading what an untrusted script left behind, without trusting the folder it left.

The script controlled the trial folder until it exited, so anything in it may be a symlink to
`/etc/passwd`, a FIFO that blocks a reader forever, or a file larger than any limit. Every read
here opens with O_NOFOLLOW | O_NONBLOCK relative to a directory descriptor, checks the type and
size on the opened descriptor (not the path), and never reads past the caller's byte limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from audioprobe.treewalk import walk

MAX_LISTED = 1000


def _open_dir_nofollow(workdir: Path) -> int:
    return os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def safe_output(workdir: Path, name: str, max_bytes: int) -> tuple[Path | None, str]:
    """The regular file `name` directly inside `workdir` if it is safe to read, else a reason.

    Returns `(path, "")` when `name` is a plain, non-empty regular file of at most `max_bytes`,
    owned by this folder (not a symlink, not a hard link to a file elsewhere). Otherwise returns
    `(None, reason)` with a sentence fit for a trial record. Copy the file with `read_capped`
    (or any reader) right away: the check holds because every process of the run is dead.
    """
    if "/" in name or name in ("", ".", ".."):
        return None, f"{name!r} is not a plain file name"
    try:
        dir_fd = _open_dir_nofollow(workdir)
    except OSError as exc:
        return None, f"the trial folder cannot be opened ({exc.strerror})"
    try:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None, f"the script wrote no {name}"
        if stat.S_ISLNK(st.st_mode):
            return None, f"{name} is a symlink; audioprobe does not follow links out of the trial"
        if not stat.S_ISREG(st.st_mode):
            return None, f"{name} is not a regular file"
        if st.st_nlink > 1:
            return None, f"{name} is a hard link shared with another file; not read"
        if st.st_size == 0:
            return None, f"{name} is empty"
        if st.st_size > max_bytes:
            return None, f"{name} is {st.st_size} bytes, over the {max_bytes}-byte limit"
        return workdir / name, ""
    finally:
        os.close(dir_fd)


def read_capped(workdir: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of `workdir/name`, refusing symlinks, non-regular files and files over the cap."""
    dir_fd = _open_dir_nofollow(workdir)
    try:
        fd = os.open(
            name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd
        )
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{name} is not a regular file")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{name} is over the {max_bytes}-byte limit")
    return data


def list_files(workdir: Path, limit: int = MAX_LISTED) -> list[str]:
    """Relative paths of the regular files under `workdir`, never descending through symlinks."""
    found: list[str] = []
    for root, dirs, files in walk(workdir):
        for fname in sorted(files):
            full = os.path.join(root, fname)
            try:
                if stat.S_ISREG(os.lstat(full).st_mode):
                    found.append(os.path.relpath(full, workdir))
            except OSError:
                continue
            if len(found) >= limit:
                return found
        dirs.sort()
    return found


def tree_bytes(workdir: Path, stop_at: int) -> int:
    """Bytes allocated under `workdir` (st_blocks, so sparse files count as what they use).

    Stops counting once `stop_at` is passed: the caller only needs to know the limit was crossed.
    Each directory entry also counts one 4 KiB block, so a flood of empty files is caught too.
    """
    total = 0
    for root, dirs, files in walk(workdir):
        for fname in files + dirs:
            try:
                st = os.lstat(os.path.join(root, fname))
            except OSError:
                continue
            total += max(st.st_blocks * 512, 4096)
            if total > stop_at:
                return total
    return total
