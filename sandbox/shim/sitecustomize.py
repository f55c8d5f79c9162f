"""audioprobe's sandbox shim: imported by Python at start-up because its folder is on PYTHONPATH.

There is no sound card in a sandbox, and pyo's default `Server()` (portaudio) segfaults without
one. The environment sets PYO_SERVER_AUDIO=offline, which pyo itself honours: every Server
renders offline, as fast as it can, to the file named in `recordOptions`. This module adds what
the environment variable cannot, and only once the script imports pyo (nothing is imported
eagerly, so scripts that never use pyo pay nothing):

* `Server.gui()` returns at once instead of opening a window or waiting for one.
* real-time style scripts (`s.start()` before any `recordOptions(dur=...)`, then
  `s.recstart(f)`, `time.sleep(d)`, `s.recstop()`/`s.stop()`) are rendered offline when the
  recording stops, for as long as the script waited between recstart and recstop, into the
  file recstart named. A recording still open when the script exits is rendered then.
"""

import importlib.abc
import importlib.machinery
import sys

from _audioprobe_pyo import patch_server


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Lets `pyo.lib.server` load normally, then patches its Server class."""

    def find_spec(self, name, path, target=None):
        if name != "pyo.lib.server":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            patch_server(module.Server)

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _PatchAfterImport())
