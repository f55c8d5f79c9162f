"""The sandbox runtime's root filesystem: one tree that every backend runs.

Built offline from the running Python: the interpreter and libpython (relocated to /usr/local),
the standard library (no tests, no GUI toolkits), the distributions sandbox/runtime.toml allows
and exactly the ones they require, the tools it names (ffmpeg, ffprobe), /bin/sh, every shared
library `ldd` says those load, the shim, and a two-line /etc/passwd and /etc/group. The Debian
packages of its [debian] table (the other languages' interpreters: csound, chuck, sclang and
scsynth, abcmidi, fluidsynth, a soundfont) are copied in file by file from `dpkg -L`, at their
own paths (a package's soname links kept links), with every library their programs and plugins
load; a package absent or at another version than its pin is left out, and the languages that
need it refuse to run (`debian_problem`). The tree is
extracted once into the cache as `rootfs-<hash>`, byte-compiled there (the docker image is
imported from the same tree, so both get the same .pyc), and never written again.

The hash covers everything that decides what a script sees: the runtime file, the Python
version, each copied distribution's version, the tools, each Debian package's installed version
(or its absence), the shim and etc/, and ROOTFS_FORMAT.
"""

from __future__ import annotations

import compileall
import contextlib
import fcntl
import hashlib
import importlib.metadata as metadata
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from packaging.requirements import Requirement

from audioprobe.errors import AudioprobeError
from audioprobe.sandbox.runtime import CONTEXT_DIR, ETC_DIR, INSIDE_SHIM, SHIM_DIR

RUNTIME_FILE = CONTEXT_DIR / "runtime.toml"
ROOTFS_FORMAT = 5  # bump when build_rootfs changes what it puts in the tree
#: what a Debian package installs that nothing in a sandbox reads
_DEB_SKIP = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/lintian/", "/usr/share/info/")
_STDLIB_SKIP = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"}
Log = Callable[[str], None]


class RuntimeMismatch(AudioprobeError):
    """The harness's installed libraries are not the ones sandbox/runtime.toml pins."""


def say(line: str) -> None:
    """The default log: one line on stderr (a lazy build on first use announces itself)."""
    print(f"audioprobe: {line}", file=sys.stderr)


@dataclass(frozen=True)
class Tool:
    name: str  # the name on PATH inside
    distribution: str
    version: str
    path: str  # the file's path inside the distribution


@dataclass(frozen=True)
class RuntimeSpec:
    """sandbox/runtime.toml, read: the importable libraries (pinned) and the tools."""

    libraries: dict[str, str]
    tools: tuple[Tool, ...]
    debian: dict[str, str] = field(default_factory=dict)  # package -> pinned version

    @classmethod
    def load(cls, path: Path = RUNTIME_FILE) -> RuntimeSpec:
        data = tomllib.loads(path.read_text())
        tools = tuple(
            Tool(name, dist, str(entry["version"]), rel)
            for dist, entry in data.get("tools", {}).items()
            for name, rel in entry["files"].items()
        )
        return cls(
            libraries={k: str(v) for k, v in data["libraries"].items()},
            tools=tools,
            debian={k: str(v) for k, v in data.get("debian", {}).items()},
        )

    def debian_present(self) -> list[str]:
        """The [debian] packages installed here at their pinned version (those the tree has)."""
        return [pkg for pkg, pin in self.debian.items() if debian_version(pkg) == pin]

    def debian_missing(self, packages: Iterable[str] | None = None) -> list[str]:
        """`package=pin` for each of `packages` (default: the whole [debian] table) that is not
        installed here at its pin: the arguments of the apt-get line that installs them."""
        present = self.debian_present()
        chosen = self.debian if packages is None else packages
        return [f"{pkg}={self.debian[pkg]}" for pkg in chosen if pkg not in present]

    def distributions(self) -> list[str]:
        """The libraries and, transitively, what they require at run time (no extras)."""
        seen: list[str] = []
        todo = list(self.libraries)
        while todo:
            name = todo.pop(0)
            if name in seen:
                continue
            seen.append(name)
            for raw in metadata.requires(name) or []:
                req = Requirement(raw)
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    todo.append(req.name)
        return seen

    def mismatches(self) -> list[str]:
        """`pip install` arguments that would make the harness match the pins (empty: it does)."""
        pins = dict(self.libraries)
        pins.update({t.distribution: t.version for t in self.tools})
        wrong = []
        for dist, version in pins.items():
            try:
                have = metadata.version(dist)
            except metadata.PackageNotFoundError:
                have = None
            if have != version:
                wrong.append(f"{dist}=={version}")
        return wrong

    def tool_file(self, tool: Tool) -> Path:
        found = metadata.distribution(tool.distribution).locate_file(tool.path)
        return Path(str(found)).resolve()


@lru_cache(maxsize=64)
def debian_version(package: str) -> str | None:
    """The installed version of a Debian package, None when it is not installed (or no dpkg)."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", package],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    state, _, version = done.stdout.partition(" ")
    return version if done.returncode == 0 and state == "installed" else None


def debian_problem(packages: tuple[str, ...], what: str, spec: RuntimeSpec | None = None) -> str:
    """Why the runtime tree lacks the packages `what` needs, with the apt-get line ("": none)."""
    spec = spec or RuntimeSpec.load()
    unpinned = [pkg for pkg in packages if pkg not in spec.debian]
    if unpinned:
        return f"{what} needs Debian packages sandbox/runtime.toml does not list: {unpinned}"
    wrong = spec.debian_missing(packages)
    if not wrong:
        return ""
    return (
        f"{what} needs Debian packages in the sandbox runtime that this machine lacks at their"
        f" pinned versions; install them with: apt-get install {' '.join(wrong)}"
        " (then the runtime rebuilds once)"
    )


def deb_files(package: str) -> list[Path]:
    """The files a Debian package installed (no folders, no documentation)."""
    out = subprocess.run(
        ["dpkg-query", "-L", package], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    paths = [Path(line) for line in out.splitlines() if line.startswith("/")]
    return [p for p in paths if not str(p).startswith(_DEB_SKIP) and p.is_file()]


def prompt_libraries() -> list[str]:
    """The names the prompt's "Use only ..." line gives, from sandbox/runtime.toml."""
    return list(RuntimeSpec.load().libraries)


@lru_cache(maxsize=1)
def runtime_hash() -> str:
    """16 hex digits naming the sandbox runtime this harness would build and run."""
    spec = RuntimeSpec.load()
    h = hashlib.sha256()

    def part(key: str, value: bytes | str) -> None:
        h.update(key.encode() + b"\0" + (value if isinstance(value, bytes) else value.encode()))
        h.update(b"\0")

    part("format", str(ROOTFS_FORMAT))
    part("python", sys.version)
    part("runtime.toml", RUNTIME_FILE.read_bytes())
    for dist in spec.distributions():
        with contextlib.suppress(metadata.PackageNotFoundError):
            part(f"dist:{dist}", metadata.version(dist))
    for tool in spec.tools:
        with contextlib.suppress(OSError, metadata.PackageNotFoundError):
            part(f"tool:{tool.name}", str(spec.tool_file(tool).stat().st_size))
    for package in spec.debian:
        part(f"deb:{package}", debian_version(package) or "absent")
    for path in [*sorted(SHIM_DIR.glob("*.py")), ETC_DIR / "passwd", ETC_DIR / "group"]:
        part(path.name, path.read_bytes())
    return h.hexdigest()[:16]


def runtime_cache() -> Path:
    """Where runtime trees are kept: AUDIOPROBE_SANDBOX_CACHE, else ~/.cache/audioprobe/sandbox.

    As root the tree must be reachable by the unprivileged uid bwrap runs as, and root's home
    usually is not (mode 700), so root keeps it in /var/cache/audioprobe/sandbox instead.
    """
    env = os.environ.get("AUDIOPROBE_SANDBOX_CACHE")
    if env:
        folder = Path(env)
    elif os.geteuid() == 0:
        folder = Path("/var/cache/audioprobe/sandbox")
    else:  # not AUDIOPROBE_CACHE: a fresh answer cache should not mean a 450 MB rebuild
        folder = Path.home() / ".cache" / "audioprobe" / "sandbox"
    folder.mkdir(parents=True, exist_ok=True, mode=0o755)
    return folder


def rootfs_dir(digest: str | None = None) -> Path:
    return runtime_cache() / f"rootfs-{digest or runtime_hash()}"


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time across processes (parallel test workers, two runs)."""
    with open(runtime_cache() / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def mismatch_problem(spec: RuntimeSpec | None = None) -> str:
    """Why this environment cannot build the pinned runtime, with the fix; "" when it can."""
    wrong = (spec or RuntimeSpec.load()).mismatches()
    if not wrong:
        return ""
    return (
        "the sandbox runtime (sandbox/runtime.toml) pins versions this environment does not "
        f"have; install them with: pip install --no-deps {' '.join(wrong)}"
    )


def ensure_rootfs(log: Log = say, force: bool = False) -> Path:
    """The runtime's tree, building it (about ten seconds) the first time it is needed."""
    tree = rootfs_dir()
    if tree.is_dir() and not force:
        return tree
    spec = RuntimeSpec.load()
    problem = mismatch_problem(spec)
    if problem:
        raise RuntimeMismatch(problem)
    with _build_lock():
        if tree.is_dir() and not force:
            return tree
        started = time.monotonic()
        log(f"building the sandbox runtime {tree.name} (once, for every backend)")
        partial = tree.with_name(f"{tree.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        tar_path = partial.with_suffix(".tar")
        try:
            count, size = build_rootfs(tar_path, spec)
            with tarfile.open(tar_path) as tar:
                tar.extractall(partial, filter="fully_trusted")  # our own tar: keep /tmp 1777
            _compile(partial)
            if force:
                shutil.rmtree(tree, ignore_errors=True)
            partial.rename(tree)
        finally:
            tar_path.unlink(missing_ok=True)
            shutil.rmtree(partial, ignore_errors=True)
        took = time.monotonic() - started
        log(f"sandbox runtime: {count} files, {size / 1e6:.0f} MB in {took:.0f} s")
    return tree


def _compile(tree: Path) -> None:
    """Byte-compile the tree's Python once, recording the paths scripts will see inside.

    Scripts run with PYTHONDONTWRITEBYTECODE (the tree is read-only anyway); without these .pyc
    every run would recompile numpy and scipy from source, doubling a short script's time.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for inside in (f"/usr/local/lib/{version}", INSIDE_SHIM):
        ok = compileall.compile_dir(tree / inside.lstrip("/"), ddir=inside, quiet=2, workers=0)
        if not ok:
            raise RuntimeError(f"byte-compiling {inside} in the sandbox runtime failed")


def tree_tar(tree: Path, out: Path) -> None:
    """`tree` as a tar owned by root, for `docker import`."""

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for entry in sorted(tree.iterdir()):
            tar.add(entry, arcname=entry.name, filter=owned_by_root)


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def linked_libraries(path: Path) -> set[str]:
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


def _host_arc_keep_name(path: str) -> str:
    """Where a package's file goes: its folder's real path (usr-merge), under its own name
    (/usr/bin/chuck is an alternatives link: it stays `chuck`, holding the file it points to)."""
    folder, name = os.path.split(path)
    return f"{os.path.realpath(folder)}/{name}".lstrip("/")


def _sibling_link(path: Path, package_files: list[Path]) -> str | None:
    """The name a package's symlink points to when that is another file of the package in the
    same folder (a shared library's soname links): kept a link, not a second copy of the file."""
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    if "/" in target or path.with_name(target) not in package_files:
        return None
    return target


def build_rootfs(out: Path, spec: RuntimeSpec) -> tuple[int, int]:
    """Write the runtime's root filesystem to `out` (an uncompressed tar); (entries, bytes)."""
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
        for libpython in sorted((base / "lib").glob("libpython*.so*")):
            if libpython.is_symlink():
                w.symlink(f"usr/local/lib/{libpython.name}", os.readlink(libpython))
            else:
                w.file(f"usr/local/lib/{libpython.name}", libpython)
                elves.append(libpython)
        # the standard library, without tests, GUI toolkits or the static libpython
        for root, dirs, files in os.walk(stdlib):
            rel = Path(root).relative_to(stdlib)
            if rel == Path("."):
                dirs[:] = [d for d in dirs if d not in _STDLIB_SKIP]
            dirs[:] = [d for d in dirs if not d.startswith("config-") or rel != Path(".")]
            dirs[:] = [d for d in dirs if d not in ("test", "tests")]
            for fname in files:
                src = Path(root) / fname
                arc = f"usr/local/lib/{version}/{rel / fname}".replace("/./", "/")
                if src.is_symlink() or fname.startswith("_tkinter"):
                    continue
                w.file(arc, src)
                if fname.endswith(".so"):
                    elves.append(src)
        # only the libraries sandboxed scripts may use, file by file from their RECORDs
        for dist in spec.distributions():
            for entry in metadata.distribution(dist).files or []:
                src = Path(entry.locate()).resolve()
                if not src.is_file() or "/tests/" in f"/{entry}" or src.suffix == ".pyc":
                    continue
                if not src.is_relative_to(site.resolve()):
                    continue
                w.file(f"usr/local/lib/{version}/site-packages/{entry}", src)
                if src.suffix == ".so" or ".so." in src.name:
                    elves.append(src)
        for tool in spec.tools:
            src = spec.tool_file(tool)
            w.file(f"usr/local/bin/{tool.name}", src, 0o755)
            elves.append(src)
        for path in sorted(SHIM_DIR.glob("*.py")):
            w.file(f"{INSIDE_SHIM.lstrip('/')}/{path.name}", path, 0o644)
        # the other languages' interpreters, at their own paths (a link is copied as its file,
        # unless it names a file of the same package beside it: libQt5WebEngineCore.so.5)
        for package in spec.debian_present():
            owned = deb_files(package)
            for src in owned:
                sibling = _sibling_link(src, owned)
                if sibling:
                    w.symlink(_host_arc_keep_name(str(src)), sibling)
                    continue
                w.file(_host_arc_keep_name(str(src)), src)
                elves.append(src)
        w.file("usr/bin/dash", Path("/usr/bin/dash"), 0o755)
        w.symlink("usr/bin/sh", "dash")
        elves.append(Path("/usr/bin/dash"))
        # every shared library those load, at its real path, plus the names ldd used for it
        libs: set[str] = set()
        for elf in elves:
            if _is_elf(elf):
                libs |= linked_libraries(elf)
        bundled = (".libs/", str(base))
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
