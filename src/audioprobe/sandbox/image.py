"""The docker backend's image: built from sandbox/Dockerfile, tagged by the hash of its context.

Two bases, one Dockerfile (its BASE_IMAGE and INSTALL build args):

* registry (`--base python:3.11-slim`): pip installs sandbox/requirements.txt. Needs internet.
* local (the default): no registry needed. The base is a root filesystem made here from the
  running Python (the stdlib, and only numpy, scipy, pydub, pyo, soundfile and their own files),
  imageio-ffmpeg's static ffmpeg, /bin/sh, and every shared library `ldd` says they load; it is
  `docker import`-ed as audioprobe-sandbox-base:<hash>. So the container runs exactly the
  library versions the harness was tested with.

Re-building is skipped when the tag exists: the hash covers the context files, the build args
and (for the local base) the versions of everything copied in.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import io
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from audioprobe.sandbox.runtime import CONTEXT_DIR, ETC_DIR, ffmpeg_binary

IMAGE_REPO = "audioprobe-sandbox"
BASE_REPO = "audioprobe-sandbox-base"
LOCAL_BASE = "local"
ROOTFS_FORMAT = 1  # bump when build_rootfs changes what it puts in the tarball
DISTRIBUTIONS = ("numpy", "scipy", "pydub", "pyo", "soundfile", "cffi", "pycparser")
_STDLIB_SKIP = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"}
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def context_files() -> dict[str, bytes]:
    """The build context: Dockerfile, requirements.txt and shim/ (nothing else is sent)."""
    files = {
        "Dockerfile": (CONTEXT_DIR / "Dockerfile").read_bytes(),
        "requirements.txt": (CONTEXT_DIR / "requirements.txt").read_bytes(),
    }
    for path in sorted((CONTEXT_DIR / "shim").glob("*.py")):
        files[f"shim/{path.name}"] = path.read_bytes()
    return files


def _digest(parts: dict) -> str:
    h = hashlib.sha256()
    for key in sorted(parts):
        value = parts[key]
        h.update(key.encode() + b"\0")
        h.update(value if isinstance(value, bytes) else json.dumps(value).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def local_base_tag() -> str:
    """audioprobe-sandbox-base:<hash of Python version, library versions, ffmpeg, format>."""
    ffmpeg = ffmpeg_binary()
    parts: dict = {
        "python": sys.version,
        "format": ROOTFS_FORMAT,
        "ffmpeg": [str(ffmpeg), ffmpeg.stat().st_size] if ffmpeg else None,
        "etc": [(ETC_DIR / n).read_bytes().decode() for n in ("passwd", "group")],
    }
    for dist in DISTRIBUTIONS:
        parts[dist] = metadata.version(dist)
    return f"{BASE_REPO}:{_digest(parts)}"


def build_args(base: str) -> dict[str, str]:
    if base == LOCAL_BASE:
        return {"BASE_IMAGE": local_base_tag(), "INSTALL": "none"}
    return {"BASE_IMAGE": base, "INSTALL": "pip"}


def image_tag(base: str = LOCAL_BASE) -> str:
    """audioprobe-sandbox:<hash of the context files and the build args>."""
    parts: dict = dict(context_files())
    parts["__args__"] = build_args(base)
    return f"{IMAGE_REPO}:{_digest(parts)}"


def _has_image(client, tag: str) -> bool:
    import docker

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def ensure_image(client, base: str = LOCAL_BASE, log: Log = _quiet, force: bool = False) -> str:
    """The image tag for `base`, building (and for the local base, importing) what is missing."""
    tag = image_tag(base)
    if not force and _has_image(client, tag):
        return tag
    args = build_args(base)
    if base == LOCAL_BASE and (force or not _has_image(client, args["BASE_IMAGE"])):
        import_local_base(client, args["BASE_IMAGE"], log)
    started = time.monotonic()
    log(f"building {tag} from sandbox/Dockerfile (BASE_IMAGE={args['BASE_IMAGE']})")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in context_files().items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    stream = client.api.build(
        fileobj=context,
        custom_context=True,
        tag=tag,
        buildargs=args,
        rm=True,
        forcerm=True,
        decode=True,
        pull=False,
        network_mode="none" if base == LOCAL_BASE else None,
        labels={"org.audioprobe.context-hash": tag.split(":", 1)[1]},
    )
    for chunk in stream:
        if "error" in chunk:
            raise RuntimeError(f"docker build failed: {chunk['error'].strip()}")
        text = chunk.get("stream", "").strip()
        if text:
            log(text)
    log(f"built {tag} in {time.monotonic() - started:.1f} s")
    return tag


def import_local_base(client, tag: str, log: Log = _quiet) -> None:
    """Make the offline base root filesystem and `docker import` it as `tag`."""
    from audioprobe.paths import cache_dir

    started = time.monotonic()
    tar_path = cache_dir("sandbox") / f"rootfs-{os.getpid()}.tar"
    try:
        count, size = build_rootfs(tar_path)
        log(
            f"root filesystem: {count} entries, {size / 1e6:.0f} MB "
            f"({time.monotonic() - started:.1f} s)"
        )
        repo, _, version = tag.partition(":")
        client.api.import_image_from_file(str(tar_path), repository=repo, tag=version)
        log(f"imported {tag} in {time.monotonic() - started:.1f} s")
    finally:
        tar_path.unlink(missing_ok=True)


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def _ldd(path: Path) -> set[str]:
    """Absolute paths of the shared libraries `path` loads (as the host resolves them)."""
    try:
        out = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    found = set()
    for line in out.splitlines():
        for token in line.split():
            if token.startswith("/") and "(" not in token:
                found.add(token)
    return found


class _RootfsWriter:
    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.seen: set[str] = set()
        self.bytes = 0

    def _parents(self, arc: str) -> None:
        parts = arc.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.dir("/".join(parts[:i]))

    def dir(self, arc: str, mode: int = 0o755) -> None:
        if not arc or arc in self.seen:
            return
        self._parents(arc)
        info = tarfile.TarInfo(arc)
        info.type, info.mode = tarfile.DIRTYPE, mode
        self.tar.addfile(info)
        self.seen.add(arc)

    def symlink(self, arc: str, target: str) -> None:
        if arc in self.seen:
            return
        self._parents(arc)
        info = tarfile.TarInfo(arc)
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        self.tar.addfile(info)
        self.seen.add(arc)

    def file(self, arc: str, source: Path, mode: int | None = None) -> None:
        if arc in self.seen:
            return
        self._parents(arc)
        st = source.stat()
        info = tarfile.TarInfo(arc)
        info.size, info.mtime = st.st_size, int(st.st_mtime)
        info.mode = mode if mode is not None else (st.st_mode & 0o755) | 0o444
        with open(source, "rb") as fh:
            self.tar.addfile(info, fh)
        self.seen.add(arc)
        self.bytes += st.st_size

    def data(self, arc: str, payload: bytes, mode: int = 0o644) -> None:
        self._parents(arc)
        info = tarfile.TarInfo(arc)
        info.size, info.mode = len(payload), mode
        self.tar.addfile(info, io.BytesIO(payload))
        self.seen.add(arc)


def _host_arc(path: str) -> str:
    """Where a host library goes in the image: its real path, with usr-merge symlinks to it."""
    return os.path.realpath(path).lstrip("/")


def build_rootfs(out: Path) -> tuple[int, int]:
    """Write the local base root filesystem to `out` (an uncompressed tar); (entries, bytes)."""
    base = Path(sys.base_prefix).resolve()
    stdlib = Path(
        sysconfig.get_paths(vars={"installed_base": str(base), "base": str(base)})["stdlib"]
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = Path(sysconfig.get_paths()["purelib"])
    elves: list[Path] = []
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        w = _RootfsWriter(tar)
        # merged-/usr layout, as on Debian 12
        for top in ("bin", "sbin", "lib", "lib64"):
            w.dir(f"usr/{top}")
            w.symlink(top, f"usr/{top}")
        w.dir("tmp", 0o1777)
        for d in ("trial", "proc", "dev", "sys", "etc", "opt/audioprobe"):
            w.dir(d)
        for name in ("passwd", "group"):
            w.data(f"etc/{name}", (ETC_DIR / name).read_bytes())
        # the interpreter and libpython, relocated to /usr/local
        exe = base / "bin" / version
        w.file(f"usr/local/bin/{version}", exe)
        elves.append(exe)
        w.symlink("usr/local/bin/python3", version)
        w.symlink("usr/local/bin/python", version)
        for lib in sorted((base / "lib").glob("libpython*.so*")):
            if lib.is_symlink():
                w.symlink(f"usr/local/lib/{lib.name}", os.readlink(lib))
            else:
                w.file(f"usr/local/lib/{lib.name}", lib)
                elves.append(lib)
        # the standard library, without tests, GUI toolkits or the static libpython
        for root, dirs, files in os.walk(stdlib):
            rel = Path(root).relative_to(stdlib)
            if rel == Path("."):
                dirs[:] = [d for d in dirs if d not in _STDLIB_SKIP]
            dirs[:] = [d for d in dirs if not d.startswith("config-") or rel != Path(".")]
            for fname in files:
                src = Path(root) / fname
                arc = f"usr/local/lib/{version}/{rel / fname}".replace("/./", "/")
                if src.is_symlink() or fname.startswith("_tkinter"):
                    continue
                w.file(arc, src)
                if fname.endswith(".so"):
                    elves.append(src)
        # only the libraries sandboxed scripts may use, file by file from their RECORDs
        for dist in DISTRIBUTIONS:
            for entry in metadata.distribution(dist).files or []:
                src = Path(entry.locate()).resolve()
                if not src.is_file() or "/tests/" in f"/{entry}" or src.suffix == ".pyc":
                    continue
                if not src.is_relative_to(site.resolve()):
                    continue
                w.file(f"usr/local/lib/{version}/site-packages/{entry}", src)
                if src.suffix == ".so" or ".so." in src.name:
                    elves.append(src)
        ffmpeg = ffmpeg_binary()
        if ffmpeg is not None:
            w.file("usr/local/bin/ffmpeg", ffmpeg, 0o755)
            elves.append(ffmpeg)
        w.file("usr/bin/dash", Path("/usr/bin/dash"), 0o755)
        w.symlink("usr/bin/sh", "dash")
        elves.append(Path("/usr/bin/dash"))
        # every shared library those load, at its real path, plus the names ldd used for it
        libs: set[str] = set()
        for elf in elves:
            if _is_elf(elf):
                libs |= _ldd(elf)
        bundled = ("numpy.libs", "scipy.libs", "pyo.libs", "_soundfile_data", str(base))
        for lib in sorted(libs):
            if any(part in lib for part in bundled):
                continue  # already inside the tree, found through $ORIGIN rpaths
            real = _host_arc(lib)
            w.file(real, Path("/") / real)
            alias = lib.lstrip("/")
            for top in ("bin", "sbin", "lib", "lib64"):
                if alias.startswith(f"{top}/"):
                    alias = f"usr/{alias}"
            if alias != real:
                w.symlink(alias, os.path.relpath("/" + real, "/" + os.path.dirname(alias)))
        return len(w.seen), w.bytes
