"""Paths inside a run folder, resolved without following links.

A run folder is data that travels: it is copied, unpacked from an archive, shared on a network
drive. A symbolic link planted in it (`report -> /home/me`, `trials/m/notes -> /etc`, an
`output.wav` pointing at a private file) would make a harness that follows it write, prune or
serve files outside the run. So every path the harness derives from the run folder goes through
`inside`: relative, no `..`, and no symbolic link at any level below the run root. The root itself
is the user's choice and may be a link. Checks use lstat and O_NOFOLLOW; they guard against a
folder as it was given, not against another process swapping links in while a command runs.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath

from audioprobe.errors import AudioprobeError
from audioprobe.treewalk import walk


class OutsideRun(AudioprobeError):
    """A path in a run folder that leads out of it (a link, `..`, an absolute path)."""


def inside(root: Path, rel: str | os.PathLike[str]) -> Path:
    """`root/rel`, after checking that it stays in `root` without passing a symbolic link.

    Parts that do not exist yet are fine (the caller may be about to create them).
    """
    text = os.fspath(rel)
    pure = PurePosixPath(text)
    if "\x00" in text or pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise OutsideRun(f"{text!r} is not a path inside the run folder {root}")
    path = Path(root)
    for part in pure.parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            break
        except OSError as exc:  # a file where a folder should be, a name too long
            raise OutsideRun(f"{path} cannot be used: {exc.strerror}") from exc
        if stat.S_ISLNK(mode):
            raise OutsideRun(
                f"{path} is a symbolic link; audioprobe follows no links inside a run folder"
                " (replace it with the real file or folder)"
            )
    return Path(root).joinpath(*pure.parts)


def regular_file(root: Path, rel: str | os.PathLike[str]) -> Path | None:
    """`root/rel` when it is a regular file reached without links, else None (absent, a link,
    a folder, a FIFO that would block a reader)."""
    try:
        path = inside(root, rel)
        return path if stat.S_ISREG(os.lstat(path).st_mode) else None
    except (OutsideRun, OSError):
        return None


def read_bytes(root: Path, rel: str | os.PathLike[str], limit: int) -> bytes | None:
    """At most `limit` bytes of the regular file `root/rel`, or None when there is none there.

    Opened with O_NOFOLLOW|O_NONBLOCK, so neither a link nor a FIFO swapped in after the check
    is followed or waited on.
    """
    path = regular_file(root, rel)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return fh.read(limit)


def real_dir(root: Path, rel: str | os.PathLike[str]) -> Path:
    """The folder `root/rel`, created as needed, with every part a real folder (OutsideRun if
    a part is a link or a file)."""
    path = inside(root, rel)
    current = Path(root)
    for part in PurePosixPath(os.fspath(rel)).parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            pass
        except OSError as exc:
            raise OutsideRun(f"cannot create {current}: {exc.strerror}") from exc
        mode = os.lstat(current).st_mode
        if not stat.S_ISDIR(mode):
            raise OutsideRun(f"{current} is not a folder; move it away and try again")
    return path


def drop_foreign_entries(folder: Path) -> list[Path]:
    """Remove what the harness never writes into a folder it owns (its report): symbolic links
    and anything that is neither a regular file nor a folder. Removing a link never touches
    what it points to. Returns what was removed."""
    removed: list[Path] = []
    for parent, _dirs, files in walk(folder):
        for name in files:
            path = Path(parent) / name
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                continue
            try:
                path.unlink()
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise OutsideRun(f"cannot remove the foreign entry {path}: {exc}") from exc
            removed.append(path)
    return removed
