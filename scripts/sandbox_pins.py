"""Print sandbox/runtime.toml's pins as pip requirements (the Makefile installs them --no-deps).

The sandbox runtime is copied from the harness's own environment, so that environment must hold
exactly the pinned versions; this keeps the pins in one file. Standard library only: it runs
before audioprobe is installed.
"""

import tomllib
from pathlib import Path

runtime = tomllib.loads((Path(__file__).resolve().parents[1] / "sandbox/runtime.toml").read_text())
for name, version in runtime["libraries"].items():
    print(f"{name}=={version}")
for name, tool in runtime.get("tools", {}).items():
    print(f"{name}=={tool['version']}")
