"""Files and folders written where the user said: checked before the work, and any OS error while
writing turned into one line naming the path and the fix.

Every command that writes to a path the user gave (`export -o`, `report --out`, `compare -o`,
`listen export --out`, `run --out`, `merge --out`) goes through `writing`: it proves the path can
be written first (so a typo costs seconds, not a report build), and an OSError about a file under
that path while the work runs becomes an OutputError (exit 2) instead of a traceback.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audioprobe.errors import AudioprobeError


class OutputError(AudioprobeError):
    """A path the user named cannot be written; the message says why and what to do."""


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists (a file, a folder, or the root)."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def _cause(path: Path, exc: OSError, *, folder: bool) -> str:
    """Why `path` cannot be written and the fix, from the OS error and the file system's state."""
    parent = path.parent
    code = exc.errno
    if code == errno.EISDIR or (not folder and os.path.isdir(path)):
        return f"{path} is a folder; name a file, e.g. {path / 'out'}{path.suffix or '.csv'}"
    if code == errno.ENOTDIR or (folder and os.path.exists(path) and not os.path.isdir(path)):
        blocker = _nearest_existing(path)
        return f"{blocker} is a file, not a folder; choose another path"
    if code == errno.ENOENT:
        if not os.path.exists(parent):
            missing = next(p for p in (parent, *parent.parents) if os.path.exists(p.parent))
            if not folder:
                return (
                    f"folder {missing} does not exist; create it (mkdir -p {parent}) or choose"
                    " another path"
                )
        return f"{_nearest_existing(parent)} does not accept new files; choose another folder"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied; choose a folder you can write to"
    if code == errno.EROFS:
        return "the file system is read-only; choose another folder"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full; free space or choose another disk"
    if code == errno.ENAMETOOLONG:
        return "the name is too long; choose a shorter path"
    return f"{exc.strerror or type(exc).__name__}; choose another path"


def output_error(path: Path, exc: OSError, *, folder: bool = False) -> OutputError:
    """The one-line error for `exc`, raised while writing `path` (a file, or with `folder` a
    folder the command fills)."""
    return OutputError(f"cannot write {path}: {_cause(path, exc, folder=folder)}")


def check_output(path: Path, *, folder: bool = False) -> None:
    """Raise OutputError unless `path` can be written: for a file, its folder must exist and take
    a new file (tried, then removed); for a folder, its nearest existing ancestor must be a folder
    that takes a new one (the folder's missing parents are made by the command)."""
    try:
        if folder:
            if os.path.exists(path) and not os.path.isdir(path):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(path))
            base = _nearest_existing(path)
            if not os.path.isdir(base):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(base))
            os.rmdir(tempfile.mkdtemp(prefix=".audioprobe-probe-", dir=base))
            return
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        existed = os.path.exists(path)
        with open(path, "ab"):
            pass
        if not existed:
            path.unlink()
    except OSError as exc:
        raise output_error(path, exc, folder=folder) from None


def _inside(name: object, path: Path) -> bool:
    if not isinstance(name, str | bytes | os.PathLike):
        return False
    try:
        target = Path(os.fsdecode(name)).absolute()
    except (TypeError, ValueError):
        return False
    root = path.absolute()
    return target == root or root in target.parents or target in root.parents


@contextmanager
def writing(path: Path, *, folder: bool = False) -> Iterator[Path]:
    """Check `path` (see check_output), then run the body; an OSError the body raises about
    `path`, a file under it or one of its parents becomes an OutputError, and so does one that
    names no file (a write to an open handle: a full disk). OS errors naming other files (the
    run being read) pass through untouched."""
    check_output(path, folder=folder)
    try:
        yield path
    except OSError as exc:
        names = [n for n in (exc.filename, exc.filename2) if n is not None]
        if names and not any(_inside(n, path) for n in names):
            raise
        raise output_error(path, exc, folder=folder) from None
