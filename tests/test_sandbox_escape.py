"""The escape battery: every attack a model-written script could make, against every backend this
machine has. Each test checks the recorded outcome and that the harness (this process) is alive
and unharmed afterwards."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import TIGHT, backend_params, explain, run_script

from audioprobe.sandbox import safe_output
from audioprobe.sandbox.collect import read_capped

BACKENDS = backend_params()
pytestmark = pytest.mark.parametrize("name", BACKENDS)


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 that records anything a client sends."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                got.append(conn.recv(100) or b"<connected>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1], got
    stop.set()
    thread.join(2)
    srv.close()


def test_no_network_tcp_or_dns(name: str, tmp_path: Path, listener) -> None:
    port, got = listener
    result = run_script(
        name,
        tmp_path,
        f"""
        import socket
        for host in ("127.0.0.1", "10.0.2.2", "1.1.1.1"):
            try:
                s = socket.create_connection((host, {port}), timeout=1)
                s.sendall(b"ESCAPED")
                print("TCP-OPEN", host)
            except OSError as exc:
                print("tcp-blocked", host, type(exc).__name__)
        try:
            print("DNS-RESOLVED", socket.getaddrinfo("example.com", 80)[0][4])
        except OSError as exc:
            print("dns-blocked", type(exc).__name__)
        """,
    )
    assert result.status == "ok", explain(result)
    assert "TCP-OPEN" not in result.stdout and "DNS-RESOLVED" not in result.stdout
    assert result.stdout.count("tcp-blocked") == 3 and "dns-blocked" in result.stdout
    time.sleep(0.3)
    assert got == [], "the harness's listening socket received a connection from the sandbox"


def test_no_write_outside_trial_folder(name: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    targets = [
        str(outside / "pwned.txt"),
        "/tmp/pwned.txt",
        "/pwned.txt",
        "/etc/pwned.txt",
        "/usr/pwned.txt",
        str(Path.home() / "pwned.txt"),
        os.path.join(os.path.dirname(os.__file__), "pwned.py"),
    ]
    result = run_script(
        name,
        work,
        f"""
        targets = {targets!r}
        for t in targets:
            try:
                with open(t, "w") as fh:
                    fh.write("x")
                print("WROTE", t)
            except OSError as exc:
                print("refused", t, type(exc).__name__)
        open("inside.txt", "w").write("fine")
        """,
    )
    assert result.status == "ok", explain(result)
    assert "inside.txt" in result.files
    for target in targets:
        if target == "/tmp/pwned.txt":
            continue  # the sandbox's own private /tmp: writable, but not the host's
        assert not Path(target).exists(), f"{target} was created on the host"
    assert not Path("/tmp/pwned.txt").exists()
    assert list(outside.iterdir()) == []


def test_harness_secrets_are_invisible(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret in the harness's environment and a file in the user's home stay out of reach."""
    secret = f"canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("AUDIOPROBE_CANARY_SECRET", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    home = Path(os.path.expanduser("~"))
    canary = home / f".audioprobe-canary-{uuid.uuid4().hex[:8]}"
    canary.write_text(secret)
    try:
        result = run_script(
            name,
            tmp_path,
            f"""
            import os, glob
            print("ENV", [k for k, v in os.environ.items() if {secret!r} in v])
            for path in [{str(canary)!r}, "/proc/1/environ", "/proc/self/environ"]:
                try:
                    print("READ", path, {secret!r} in open(path, errors="replace").read())
                except OSError as exc:
                    print("refused", path, type(exc).__name__)
            print("HOME-LISTING", glob.glob({str(home)!r} + "/.*")[:5])
            """,
        )
        assert result.status == "ok", explain(result)
        assert secret not in result.stdout and secret not in result.stderr
        assert "ENV []" in result.stdout
        assert f"READ {canary}" not in result.stdout
        assert "True" not in result.stdout
        assert f"refused {canary}" in result.stdout
        listing = [ln for ln in result.stdout.splitlines() if ln.startswith("HOME-LISTING")]
        assert listing and canary.name not in listing[0]
    finally:
        canary.unlink()


def test_fork_bomb_is_stopped(name: str, tmp_path: Path) -> None:
    result = run_script(
        name,
        tmp_path,
        """
        import os
        while True:
            os.fork()
        """,
    )
    assert result.status == "killed", explain(result)
    assert "process limit" in result.reason
    assert result.wall_s < 15


def test_memory_bomb_is_stopped(name: str, tmp_path: Path) -> None:
    result = run_script(
        name,
        tmp_path,
        """
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
        """,
    )
    assert result.status == "killed", explain(result)
    assert "memory limit" in result.reason
    assert result.peak_memory_mb is None or result.peak_memory_mb <= TIGHT.memory_mb + 8


def test_cpu_spin_is_stopped(name: str, tmp_path: Path) -> None:
    limits = TIGHT.model_copy(update={"cpu_s": 1, "wall_s": 20})
    result = run_script(name, tmp_path, "while True:\n    pass\n", limits)
    assert result.status == "killed", explain(result)
    assert "CPU limit" in result.reason
    assert result.cpu_s is None or result.cpu_s < 4


def test_disk_fill_is_stopped(name: str, tmp_path: Path) -> None:
    one_file = run_script(
        name,
        tmp_path / "one",
        """
        with open("fill.bin", "wb") as fh:
            while True:
                fh.write(b"x" * (1 << 20))
        """,
    )
    assert one_file.status == "killed", explain(one_file)
    assert "file size limit" in one_file.reason
    assert (tmp_path / "one" / "fill.bin").stat().st_size <= TIGHT.file_size_mb << 20

    many_files = run_script(
        name,
        tmp_path / "many",
        """
        i = 0
        while True:
            with open(f"part{i}.bin", "wb") as fh:
                fh.write(b"x" * (4 << 20))
            i += 1
        """,
    )
    assert many_files.status == "killed", explain(many_files)
    assert "disk limit" in many_files.reason

    tmp_fill = run_script(
        name,
        tmp_path / "tmp",
        """
        i = 0
        while True:
            with open(f"/tmp/part{i}.bin", "wb") as fh:
                fh.write(b"x" * (4 << 20))
            i += 1
        """,
    )
    assert tmp_fill.status == "killed", explain(tmp_fill)
    assert "disk limit" in tmp_fill.reason or "memory limit" in tmp_fill.reason


def test_stdout_flood_is_stopped(name: str, tmp_path: Path) -> None:
    result = run_script(
        name,
        tmp_path,
        """
        import sys
        line = "y" * 4096 + "\\n"
        while True:
            sys.stdout.write(line)
            sys.stderr.write(line)
        """,
    )
    assert result.status == "killed", explain(result)
    assert "output limit" in result.reason
    assert len(result.stdout) < TIGHT.output_bytes + 200
    assert len(result.stderr) < TIGHT.output_bytes + 200
    assert result.wall_s < 10


def test_background_child_is_killed(name: str, tmp_path: Path) -> None:
    """A daemon left behind must not outlive the run, nor write into the folder afterwards."""
    result = run_script(
        name,
        tmp_path,
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(2)
                open("late.txt", "w").write("I survived")
                os._exit(0)
            os._exit(0)
        open("pid.txt", "w").write(str(os.getpid()))
        print("parent leaves")
        """,
    )
    assert result.status == "ok", explain(result)
    assert result.wall_s < 1.8, "the run waited for the background child instead of killing it"
    time.sleep(3)
    assert not (tmp_path / "late.txt").exists(), "a background child kept running after the run"


def test_output_symlink_is_not_followed(name: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    work = tmp_path / "work"
    result = run_script(
        name,
        work,
        f"""
        import os
        os.symlink("/etc/passwd", "output.wav")
        os.symlink({str(secret)!r}, "secret.wav")
        os.link("script.py", "hard.wav")
        """,
    )
    assert result.status == "ok", explain(result)
    found, why = safe_output(work, "output.wav", 10_000_000)
    assert found is None and "symlink" in why
    found, why = safe_output(work, "secret.wav", 10_000_000)
    assert found is None
    found, why = safe_output(work, "hard.wav", 10_000_000)
    assert found is None and "hard link" in why
    with pytest.raises(OSError):
        read_capped(work, "output.wav", 10_000_000)
    assert "output.wav" not in result.files
