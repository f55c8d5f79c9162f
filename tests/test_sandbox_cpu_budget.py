"""`cpu_s` is one budget for the whole run on every backend: the CPU seconds of every process and
thread the script starts are added up, and the run ends `killed` once they pass it, long before
the wall clock. RLIMIT_CPU alone counts per process, so a script that forks workers would get
`cpu_s` per worker (docker used to end `ok` after 27.8 CPU-s with cpu_s = 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_helpers import backend_params, explain, run_script

from audioprobe.sandbox import Limits

BACKENDS = backend_params()
BUDGET = Limits(
    wall_s=40, cpu_s=2, memory_mb=512, pids=64, file_size_mb=8, disk_mb=24, output_bytes=8192
)

# Workers × threads, each spinning: no single process reaches cpu_s before the total does.
SPIN_WORKERS = """
import os, threading, time
def spin():
    while True:
        pass
kids = []
for _ in range({workers}):
    pid = os.fork()
    if pid == 0:
        for _ in range({threads} - 1):
            threading.Thread(target=spin, daemon=True).start()
        spin()
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
print("finished")
"""

# Short-lived children one after another, each reaped: only a whole-run count sees their sum.
CHURN = """
import os, time
for n in range(400):
    pid = os.fork()
    if pid == 0:
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
        os._exit(0)
    os.waitpid(pid, 0)
print("finished", n)
"""

SUBPROCESS_WORKERS = """
import subprocess, sys
code = "while True: pass"
procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
for p in procs:
    p.wait()
print("finished")
"""


def _assert_budget_enforced(name: str, result) -> None:
    assert result.status == "killed", f"{name}: {explain(result)}"
    assert "CPU limit" in (result.reason or ""), explain(result)
    assert "finished" not in result.stdout, explain(result)
    assert result.wall_s < BUDGET.wall_s - 5, explain(result)
    # Stopped near the budget, not after several budgets' worth of CPU.
    assert result.cpu_s is not None and result.cpu_s < BUDGET.cpu_s + 2.5, explain(result)


@pytest.mark.parametrize("name", BACKENDS)
def test_processes_times_threads_share_one_cpu_budget(name: str, tmp_path: Path) -> None:
    code = SPIN_WORKERS.format(workers=6, threads=3)
    _assert_budget_enforced(name, run_script(name, tmp_path, code, BUDGET))


@pytest.mark.parametrize("name", BACKENDS)
def test_threads_of_one_process_share_the_budget(name: str, tmp_path: Path) -> None:
    code = """
    import threading
    def spin():
        while True:
            pass
    for _ in range(3):
        threading.Thread(target=spin, daemon=True).start()
    spin()
    print("finished")
    """
    _assert_budget_enforced(name, run_script(name, tmp_path, code, BUDGET))


@pytest.mark.parametrize("name", BACKENDS)
def test_reaped_short_lived_children_count_towards_the_budget(name: str, tmp_path: Path) -> None:
    _assert_budget_enforced(name, run_script(name, tmp_path, CHURN, BUDGET))


@pytest.mark.parametrize("name", BACKENDS)
def test_interpreters_started_by_the_script_share_the_budget(name: str, tmp_path: Path) -> None:
    _assert_budget_enforced(name, run_script(name, tmp_path, SUBPROCESS_WORKERS, BUDGET))


@pytest.mark.parametrize("name", BACKENDS)
def test_children_that_sleep_within_the_budget_end_ok(name: str, tmp_path: Path) -> None:
    code = """
    import os, time
    kids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    print("finished")
    """
    result = run_script(name, tmp_path, code, BUDGET)
    assert result.status == "ok", explain(result)
    assert "finished" in result.stdout


def test_a_process_cgroup_counts_its_cpu_seconds() -> None:
    """`of_process` reads the CPU seconds of the group a process lives in (how docker's
    containers are measured when the harness made no group around them)."""
    import os
    import time

    from audioprobe.sandbox.cgroups import of_process

    group = of_process(os.getpid())
    assert group is not None, "this process's cgroup is not readable"
    before = group.cpu_seconds()
    end = time.process_time() + 0.5
    while time.process_time() < end:
        pass
    after = group.cpu_seconds()
    assert before is not None and after is not None
    assert after - before >= 0.45, (before, after)


@pytest.mark.parametrize("name", [p for p in BACKENDS if p.id == "docker"])
def test_docker_enforces_the_budget_in_the_containers_own_group(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a harness-made group (cgroup v2 hosts), the container's own group is read."""
    from audioprobe.sandbox import docker_backend

    monkeypatch.setattr(
        docker_backend, "create_run_cgroup", lambda *a, **k: (None, "no group in this test")
    )
    code = SPIN_WORKERS.format(workers=4, threads=2)
    _assert_budget_enforced(name, run_script(name, tmp_path, code, BUDGET))


@pytest.mark.filterwarnings("ignore:audioprobe. the 'subprocess' sandbox backend is UNSAFE")
@pytest.mark.parametrize(
    "code", [SPIN_WORKERS.format(workers=4, threads=2), CHURN], ids=["workers", "churn"]
)
def test_without_any_cgroup_the_process_tree_is_counted(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cgroup at all (an unprivileged harness on a host that delegates none): the budget
    is still one for the whole tree, read from /proc."""
    from audioprobe.sandbox import subprocess_backend

    monkeypatch.setattr(
        subprocess_backend, "create_run_cgroup", lambda *a, **k: (None, "no group in this test")
    )
    result = run_script("subprocess", tmp_path, code, BUDGET)
    assert result.status == "killed", explain(result)
    assert "CPU limit" in result.reason and result.wall_s < BUDGET.wall_s - 5, explain(result)
