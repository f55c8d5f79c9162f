"""The docker backend's image: `docker import` of the sandbox runtime's tree, tagged by its hash.

The image is the very tree bwrap and subprocess run (rootfs.py), .pyc files included, so a script
meets the same interpreter, libraries and tools on every backend. No registry and no Dockerfile:
nothing is pip-installed a second time, which is how the backends used to drift apart.
"""

from __future__ import annotations

import os
import time

from audioprobe.sandbox.rootfs import Log, ensure_rootfs, runtime_hash, say, tree_tar
from audioprobe.sandbox.runtime import INSIDE_WORKDIR, sandbox_env

IMAGE_REPO = "audioprobe-sandbox"
RUNTIME_LABEL = "org.audioprobe.runtime"


def image_tag() -> str:
    return f"{IMAGE_REPO}:{runtime_hash()}"


def ensure_image(client, log: Log = say, force: bool = False) -> str:
    """The image tag for this runtime, importing the tree (building it first) when missing."""
    import docker

    tag = image_tag()
    if not force:
        try:
            client.images.get(tag)
            return tag
        except docker.errors.ImageNotFound:
            pass
    tree = ensure_rootfs(log, force=force)
    started = time.monotonic()
    tar_path = tree.parent / f"{tree.name}.import-{os.getpid()}.tar"
    changes = ["USER 65534:65534", f"WORKDIR {INSIDE_WORKDIR}"]
    changes += [f"ENV {key}={value}" for key, value in sandbox_env().items()]
    changes.append(f"LABEL {RUNTIME_LABEL}={runtime_hash()}")
    try:
        tree_tar(tree, tar_path)
        repo, _, version = tag.partition(":")
        client.api.import_image_from_file(
            str(tar_path), repository=repo, tag=version, changes=changes
        )
    finally:
        tar_path.unlink(missing_ok=True)
    log(f"imported {tag} in {time.monotonic() - started:.1f} s")
    return tag
