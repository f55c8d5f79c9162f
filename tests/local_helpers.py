"""Helpers for the local-model tests: tiny GGUF files, fake part packages, process checks."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from audioprobe.llm.local import catalog
from audioprobe.llm.local.weights import CatalogModel, status


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_bytes(metadata: dict[str, object], *, magic: bytes = b"GGUF", version: int = 3) -> bytes:
    """A GGUF header with `metadata` (str, int or list-of-str values) and no tensors."""
    body = b""
    for key, value in metadata.items():
        body += _string(key)
        if isinstance(value, str):
            body += struct.pack("<I", 8) + _string(value)
        elif isinstance(value, int):
            body += struct.pack("<I", 4) + struct.pack("<I", value)
        elif isinstance(value, list):
            body += struct.pack("<IIQ", 9, 8, len(value)) + b"".join(_string(v) for v in value)
        else:
            raise TypeError(value)
    return magic + struct.pack("<IQQ", version, 0, len(metadata)) + body


def write_gguf(path: Path, name: str = "Tiny Test", arch: str = "llama", **extra: object) -> Path:
    meta: dict[str, object] = {"general.architecture": arch, "general.name": name, **extra}
    path.write_bytes(gguf_bytes(meta))
    return path


def fake_distribution(site: Path, package: str, version: str, relpath: str, data: bytes) -> None:
    """An installed distribution as importlib.metadata sees it: dist-info + RECORD + the file."""
    target = site / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    info = site / f"{package.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{relpath},,{len(data)}\n{info.name}/METADATA,,\n")


def smallest_installed_model() -> CatalogModel | None:
    """The smallest catalog model whose weights pip has put here (joined or not)."""
    usable = [m for m in catalog().values() if status(m) != "missing"]
    return min(usable, key=lambda m: m.size) if usable else None


def process_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped by someone else."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return any(
        process_running(int(p.name))
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _pgid(int(p.name)) == pgid
    )


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
