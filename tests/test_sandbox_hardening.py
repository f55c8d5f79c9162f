"""Model code never touches the host kernel's knobs: no host root, no writable /proc/sys, and the
system calls sandboxes are escaped through are refused (bwrap: our seccomp filter; docker: its
default profile). Also: nothing a run starts (containers, cgroups) outlives it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sandbox_helpers import backend, backend_params, explain, run_script

BACKENDS = backend_params()

# Every writable-looking file under /proc/sys, /proc/sysrq-trigger and friends is opened for
# writing (never written): one success is a host knob the script could turn.
PROC_WRITE_PROBE = """
import json, os
tried, writable = 0, []
paths = ["/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern"]
for root in ("/proc/sys", "/proc/irq", "/proc/bus", "/proc/fs"):
    for folder, _, files in os.walk(root):
        paths += [os.path.join(folder, f) for f in files]
for path in paths:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        tried += 1
        continue
    tried += 1
    os.close(fd)
    writable.append(path)
print(json.dumps({"tried": tried, "writable": writable[:20]}))
"""

# Each call as a model could make it through ctypes; the errno (0: it worked) per call.
SYSCALL_PROBE = """
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def attempt(fn, *args):
    ctypes.set_errno(0)
    return 0 if fn(*args) != -1 else ctypes.get_errno()
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET = 0x10000000, 0x00020000, 0x40000000
got = {
    "ptrace": attempt(libc.ptrace, 0, 0, None, None),  # PTRACE_TRACEME
    "mount": attempt(libc.mount, b"none", b"/tmp", b"tmpfs", 0, None),
    "umount2": attempt(libc.umount2, b"/tmp", 2),
    "unshare-user": attempt(libc.unshare, CLONE_NEWUSER),
    "unshare-mount": attempt(libc.unshare, CLONE_NEWNS),
    "unshare-net": attempt(libc.unshare, CLONE_NEWNET),
    "keyctl": attempt(libc.syscall, 250, 0, 0, 0, 0, 0),  # keyctl(GET_KEYRING_ID)
    "bpf": attempt(libc.syscall, 321, 0, 0, 0),
    "perf_event_open": attempt(libc.syscall, 298, 0, 0, -1, -1, 0),
    "chroot": attempt(libc.chroot, b"/tmp"),
}
seccomp = [l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")][0]
print(json.dumps({"errno": got, "seccomp_mode": seccomp, "pid_alive": os.getpid() > 0}))
"""


def _json_line(stdout: str) -> dict:
    return json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])


@pytest.mark.parametrize("name", BACKENDS)
def test_host_kernel_knobs_are_read_only(name: str, tmp_path: Path) -> None:
    result = run_script(name, tmp_path, PROC_WRITE_PROBE)
    assert result.status == "ok", explain(result)
    got = _json_line(result.stdout)
    assert got["tried"] > 100, got  # /proc/sys was really there to try
    assert got["writable"] == [], f"{name}: writable host knobs {got['writable']}"


@pytest.mark.parametrize("name", BACKENDS)
def test_escape_syscalls_are_refused_under_a_seccomp_filter(name: str, tmp_path: Path) -> None:
    result = run_script(name, tmp_path, SYSCALL_PROBE)
    assert result.status == "ok", explain(result)
    got = _json_line(result.stdout)
    assert got["seccomp_mode"] == "2", f"{name}: no seccomp filter is active"
    refused = {call: err for call, err in got["errno"].items() if err != 0}
    expected = set(got["errno"])
    if name == "docker":
        expected.discard("ptrace")  # Docker's default profile allows it on kernels >= 4.8
    assert expected <= set(refused), f"{name}: allowed {expected - set(refused)}"
    if name == "bwrap":
        assert set(refused.values()) == {1}, refused  # EPERM from our filter, for every call


@pytest.mark.skipif(os.geteuid() != 0, reason="the harness runs as root in CI; this checks that")
def test_bwrap_as_root_runs_scripts_as_an_unprivileged_host_uid() -> None:
    """A file the script creates is owned, on the host, by the uid the script runs as: read
    while the script still runs (afterwards the folder is handed back to the harness)."""
    from audioprobe.sandbox.bwrap import HOST_UID

    work = Path(tempfile.mkdtemp(prefix="audioprobe-uid-"))
    owners: list[int] = []

    def watch() -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not owners:
            try:
                owners.append((work / "mine.txt").stat().st_uid)
            except FileNotFoundError:
                time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    result = run_script(
        "bwrap", work, "import time\nopen('mine.txt', 'w').write('x')\ntime.sleep(1.5)\n"
    )
    watcher.join()
    assert result.status == "ok", explain(result)
    assert owners and owners[0] == HOST_UID != 0, f"created by host uid {owners}"
    assert (work / "mine.txt").stat().st_uid == 0, "the folder was not handed back"


@pytest.mark.skipif(os.geteuid() != 0, reason="staging happens only when the harness is root")
def test_staged_trial_folders_of_a_dead_harness_are_removed() -> None:
    """A harness killed mid-run cannot move a staged trial folder back; the next bwrap backend
    removes it, and leaves alone the folders of a harness that still runs."""
    from audioprobe.sandbox.bwrap import BwrapBackend, staging_dir
    from audioprobe.sandbox.handover import harness_id

    dead = staging_dir() / f"{harness_id().split(':')[0]}:999999999:1:test"
    alive = staging_dir() / f"{harness_id()}:test"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "script.py").write_text("pass\n")
    try:
        BwrapBackend()
        assert not dead.exists(), "the dead harness's staged folder was left"
        assert alive.exists(), "a live harness's staged folder was removed"
    finally:
        for folder in (dead, alive):
            shutil.rmtree(folder, ignore_errors=True)


def test_no_container_or_cgroup_outlives_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every group a run makes (and Docker's, under it, in every hierarchy) is gone afterwards.

    The groups made here are recorded by name, since other runs on the machine make their own.
    """
    from audioprobe.sandbox import bwrap, cgroups, docker_backend

    names: list[str] = []

    def recording(*args, **kwargs):
        group, why = cgroups.create_run_cgroup(*args, **kwargs)
        if group is not None:
            names.append(next(iter(group.dirs.values())).name)
        return group, why

    monkeypatch.setattr(bwrap, "create_run_cgroup", recording)
    monkeypatch.setattr(docker_backend, "create_run_cgroup", recording)
    ran = [p.values[0] for p in BACKENDS if not p.marks or p.marks[0].name != "skip"]
    for name in ran:
        result = run_script(name, tmp_path / name, "import os\nos.fork()\nprint('done')\n")
        assert result.status == "ok", explain(result)
    assert len(names) == len(ran)
    left = [p for p in _cgroup_dirs() if Path(p).name in names]
    assert left == [], f"cgroups left behind: {left}"
    if "docker" in ran:
        from audioprobe.sandbox.docker_backend import HARNESS_LABEL
        from audioprobe.sandbox.handover import harness_id

        api = backend("docker")._connect().api
        mine = {"label": f"{HARNESS_LABEL}={harness_id()}"}
        assert api.containers(all=True, filters=mine) == []


@pytest.mark.parametrize("name", [p for p in BACKENDS if p.values[0] == "docker"])
def test_containers_of_a_dead_harness_are_reaped(name: str) -> None:
    """A harness killed mid-run leaves a container; the next backend to start removes it, and
    leaves alone the containers of a harness that still runs."""
    from audioprobe.sandbox.docker_backend import HARNESS_LABEL, SANDBOX_LABEL, DockerBackend
    from audioprobe.sandbox.handover import harness_id
    from audioprobe.sandbox.image import image_tag

    api = backend(name)._connect().api
    image = backend(name).image()
    dead = f"{harness_id().split(':')[0]}:999999999:1"
    made = {}
    for owner in (dead, harness_id()):
        made[owner] = api.create_container(
            image_tag(),
            command=["/usr/local/bin/python3", "-c", "import time; time.sleep(60)"],
            labels={SANDBOX_LABEL: "test", HARNESS_LABEL: owner},
            network_disabled=True,
        )["Id"]
        api.start(made[owner])
    assert image == image_tag()
    try:
        fresh = DockerBackend()
        assert fresh.available() == (True, "")
        left = {c["Id"] for c in api.containers(all=True, filters={"label": SANDBOX_LABEL})}
        assert made[dead] not in left, "the dead harness's container was not reaped"
        assert made[harness_id()] in left, "a live harness's container was reaped"
    finally:
        for cid in made.values():
            with contextlib.suppress(Exception):  # already reaped
                api.remove_container(cid, force=True)


def _cgroup_dirs() -> list[str]:
    """Every audioprobe-* group, in every cgroup hierarchy mounted here."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[2] in ("cgroup", "cgroup2"):
            for folder, dirs, _ in os.walk(parts[1]):
                found += [os.path.join(folder, d) for d in dirs if d.startswith("audioprobe-")]
    return found
