"""audioprobe's render driver: runs one answer written in a language other than Python.

The sandbox runs Python on every backend; for another language the harness hands it a script of
two lines that calls `main` with a JSON job (audioprobe.languages.base.Language.program). The
driver writes the answer to its file, runs the language's own syntax check, and on success runs
the render commands, exec'ing the last, so the renderer's exit status or signal is the run's own.

A check fails when its command exits non-zero or prints a line matching the job's `fail_pattern`
(abc2midi and chuck report errors but exit 0); with `check_exit` false only the pattern decides
(chuck 1.4.2 sometimes crashes on leaving a program that ends at once, the check's case). Then
the checker's words go to stderr and the driver exits with `syntax_exit`, which the harness
records as `syntax_error`. A check run may write its own version of the source first
(`check_source`: ChucK's has `me.exit();` ahead of line 1, so it is compiled and type-checked
but never runs); the answer is written back after. A job may name files to write first (a
fixed driver its renderer runs: SuperCollider's) and variables to add to the environment.
"""

import json
import os
import re
import signal
import subprocess
import sys


def _write(name, text):
    with open(name, "w", encoding="utf-8") as fh:
        fh.write(text)


def _die_like(returncode):
    """End this process as the child ended: its exit status, or the signal that killed it."""
    if returncode < 0:
        signal.signal(-returncode, signal.SIG_DFL)
        os.kill(os.getpid(), -returncode)
    sys.exit(returncode)


def _check(job):
    """Run the syntax check; exit with `syntax_exit` and the checker's words if it fails."""
    _write(job["source_name"], job.get("check_source") or job["source"])
    done = subprocess.run(job["check"], capture_output=True, text=True, errors="replace")
    by_exit = job["check_exit"]
    if done.returncode < 0 and by_exit:  # a limit or a signal, not a verdict on the syntax
        sys.stderr.write(done.stdout + done.stderr)
        _die_like(done.returncode)
    words = (done.stdout + done.stderr).strip()
    pattern = job.get("fail_pattern")
    if (by_exit and done.returncode != 0) or (pattern and re.search(pattern, words, re.M)):
        sys.stderr.write(words + "\n")
        sys.exit(job["syntax_exit"])


def main(payload):
    job = json.loads(payload)
    os.environ.update(job.get("env") or {})
    for name, text in (job.get("files") or {}).items():
        _write(name, text)
    if job["check"]:
        _check(job)
    _write(job["source_name"], job["source"])
    *steps, last = job["render"]
    for argv in steps:
        sys.stdout.flush()
        done = subprocess.run(argv)
        if done.returncode != 0:
            _die_like(done.returncode)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(last[0], last)
