"""What scoring sees of a reference set: clips grouped by class key, and the classes it lacks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RefClip:
    """One reference clip: a mono WAV at the set's analysis rate, and where it came from."""

    path: Path
    class_key: str
    duration_s: float
    sha256: str
    source: str
    license: str
    original_sample_rate: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self, root: Path) -> dict[str, Any]:
        return {
            "path": self.path.relative_to(root).as_posix(),
            "class_key": self.class_key,
            "duration_s": round(self.duration_s, 6),
            "sha256": self.sha256,
            "source": self.source,
            "license": self.license,
            "original_sample_rate": self.original_sample_rate,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, root: Path, raw: dict[str, Any]) -> RefClip:
        return cls(
            path=root / raw["path"],
            class_key=raw["class_key"],
            duration_s=float(raw["duration_s"]),
            sha256=raw["sha256"],
            source=raw["source"],
            license=raw["license"],
            original_sample_rate=int(raw["original_sample_rate"]),
            meta=dict(raw.get("meta") or {}),
        )


@dataclass
class ReferenceSet:
    """A built set, read from its manifest; `missing` names tier classes with no clip, and why."""

    name: str
    root: Path
    sample_rate: int
    tier: str | None
    description: str
    sources: list[dict[str, Any]]
    missing: dict[str, str]
    _clips: list[RefClip]
    info: dict[str, Any] = field(default_factory=dict)

    def classes(self) -> list[str]:
        return sorted({c.class_key for c in self._clips})

    def clips(self, class_key: str | None = None) -> list[RefClip]:
        if class_key is None:
            return list(self._clips)
        return [c for c in self._clips if c.class_key == class_key]

    @classmethod
    def read(cls, root: Path) -> ReferenceSet:
        path = root / MANIFEST
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: unreadable reference manifest ({exc})") from exc
        return cls(
            name=raw["name"],
            root=root,
            sample_rate=int(raw["sample_rate"]),
            tier=raw.get("tier"),
            description=raw.get("description", ""),
            sources=list(raw.get("sources", [])),
            missing=dict(raw.get("missing", {})),
            _clips=[RefClip.from_json(root, c) for c in raw["clips"]],
            info=dict(raw.get("info", {})),
        )
