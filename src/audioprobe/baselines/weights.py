"""Finding a baseline's weights: the same rule as scoring's models.

A baseline whose weights are listed in scoring/models.toml (`weights = "<name>"` in the catalog)
is found the way scoring finds its models ($AUDIOPROBE_MODELS/<name>/, then the Hugging Face
cache) and pulled with `audioprobe models pull <name>`. A checkpoint given as an option is a
folder written by save_pretrained, or a Hub repo id looked up in the Hugging Face cache.
Nothing is downloaded during a run: missing weights are an `Unavailable` with the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audioprobe.errors import Unavailable
from audioprobe.paths import models_dir

_MARKERS = ("config.json", "model_index.json")


@dataclass(frozen=True)
class Weights:
    """A resolved checkpoint folder and where it came from, for the trial record."""

    checkpoint: str
    path: Path
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"checkpoint": self.checkpoint, "path": str(self.path), "source": self.source}


def _is_checkpoint(folder: Path) -> bool:
    return folder.is_dir() and any((folder / m).is_file() for m in _MARKERS)


def _hf_cache(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # LocalEntryNotFoundError, a malformed repo id, ...
        return None


def from_option(checkpoint: str, *, what: str) -> Weights:
    """`checkpoint` as a spec option: a local folder, or a repo id in the Hugging Face cache."""
    folder = Path(checkpoint).expanduser()
    if _is_checkpoint(folder):
        return Weights(checkpoint, folder.resolve(), "option (folder)")
    if folder.is_absolute() or checkpoint.startswith(".") or folder.exists():
        raise Unavailable(
            f"{what}: no checkpoint at {folder} (expected a folder with config.json or"
            " model_index.json, as save_pretrained writes)"
        )
    cached = _hf_cache(checkpoint)
    if cached is None:
        raise Unavailable(
            f"{what}: {checkpoint} is not in the Hugging Face cache; fix: `huggingface-cli"
            f" download {checkpoint}` where the Hub is reachable, or set checkpoint to a folder"
        )
    return Weights(checkpoint, cached, "Hugging Face cache")


def from_catalog(weights_name: str, repo_id: str, *, what: str) -> Weights:
    """Weights listed in scoring/models.toml, found as scoring finds its own."""
    from audioprobe.weights import entry, locate, missing_reason

    model = entry(weights_name)
    found = locate(model)
    if found is None:
        raise Unavailable(
            f"{what}: {missing_reason(model)}; or `huggingface-cli download {repo_id}` into the"
            " Hugging Face cache"
        )
    return Weights(repo_id, found.materialize().folder, found.source)


def from_repo(repo_id: str, *, what: str) -> Weights:
    """Weights with no scoring/models.toml entry (multi-folder diffusers repos)."""
    local = models_dir() / repo_id.rsplit("/", 1)[-1]
    if _is_checkpoint(local):
        return Weights(repo_id, local, str(local))
    cached = _hf_cache(repo_id)
    if cached is not None:
        return Weights(repo_id, cached, "Hugging Face cache")
    raise Unavailable(
        f"{what}: weights {repo_id} not found in {local} nor the Hugging Face cache; fix:"
        f" `huggingface-cli download {repo_id}` where the Hub is reachable (or copy that"
        f" snapshot folder to {local})"
    )
