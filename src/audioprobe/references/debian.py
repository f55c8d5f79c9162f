"""Debian packages as data sources: downloaded once, unpacked into the cache, never installed.

`fetch` needs the network (apt); everything else runs offline, so building a set never touches
the network. `make install` fetches the .deb files, so they are kept with the install (the
environment's share/audioprobe/debs) rather than in a cache a user may clear or point elsewhere
(AUDIOPROBE_CACHE); what is unpacked from them is a cache. Unpacking goes through a temporary
folder and a rename, so a killed unpack is redone rather than trusted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from audioprobe.errors import AudioprobeError
from audioprobe.paths import cache_dir

APT_ARCHIVES = Path("/var/cache/apt/archives")


def debs_dir() -> Path:
    """Where `fetch` downloads to: beside the installed audioprobe, else (an environment that
    is not writable, such as a system Python) in the cache."""
    installed = Path(sys.prefix) / "share" / "audioprobe" / "debs"
    try:
        installed.mkdir(parents=True, exist_ok=True)
    except OSError:
        return cache_dir("references", "debs")
    return installed if os.access(installed, os.W_OK) else cache_dir("references", "debs")


def find_deb(package: str) -> Path | None:
    """The newest downloaded .deb of `package` (or one in apt's own archive folder)."""
    found: list[Path] = []
    for folder in (debs_dir(), APT_ARCHIVES):
        if folder.is_dir():
            found.extend(folder.glob(f"{package}_*.deb"))
    return max(found, key=lambda p: p.name) if found else None


def deb_version(deb: Path) -> str:
    return deb.name.split("_")[1] if deb.name.count("_") >= 2 else "unknown"


def unpacked(deb: Path) -> Path:
    """The folder holding `deb`'s files (unpacked on first use with dpkg-deb -x)."""
    target = cache_dir("references", "debs", "unpacked") / deb.stem
    if target.is_dir():
        return target
    dpkg_deb = shutil.which("dpkg-deb")
    if dpkg_deb is None:
        raise AudioprobeError(f"cannot unpack {deb}: dpkg-deb is not installed")
    tmp = target.with_name(f".{deb.stem}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        subprocess.run([dpkg_deb, "-x", str(deb), str(tmp)], check=True, capture_output=True)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def fetch(packages: list[str]) -> list[Path]:
    """Download the .deb files of `packages` into the cache with `apt-get download` (network)."""
    missing = [p for p in packages if find_deb(p) is None]
    if missing:
        apt = shutil.which("apt-get")
        if apt is None:
            raise AudioprobeError(f"apt-get is not available to download {', '.join(missing)}")
        proc = subprocess.run(
            [apt, "download", *missing], cwd=debs_dir(), capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise AudioprobeError(
                f"apt-get download {' '.join(missing)} failed (run apt-get update first?):\n"
                + proc.stderr.strip()[-1000:]
            )
    paths = []
    for package in packages:
        deb = find_deb(package)
        if deb is None:
            raise AudioprobeError(f"apt-get download left no .deb for {package}")
        paths.append(deb)
    return paths
