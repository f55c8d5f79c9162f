"""audioprobe's sandbox shim: imported by Python at start-up because its folder is on PYTHONPATH.

There is no sound card in a sandbox, and pyo's default `Server()` (portaudio) segfaults without
one. The environment sets PYO_SERVER_AUDIO=offline, which pyo itself honours: every Server
renders offline, as fast as it can, to the file named in `recordOptions`. This module adds what
the environment variable cannot, and only once the script imports pyo (nothing is imported
eagerly, so scripts that never use pyo pay nothing):

* every GUI entry point (`Server.gui()`, `.ctrl()`, `.view()`, `.graph()`, `Scope`, `Spectrum`,
  `Keyboard`, ...) returns at once, saying so on stderr, instead of failing for want of a display:
  all of them go through the window-making functions of `pyo.lib._widgets`, which are patched.
* real-time style scripts (`s.start()` with no `recordOptions(dur=...)`, `s.recstart(f)`,
  `time.sleep(d)`, `s.recstop()`/`s.stop()`, in either order of start and recstart) are rendered
  offline when the recording stops, for as long as the script waited, into the file recstart
  named. A recording still open when the script exits is rendered then.
"""

import contextlib
import importlib.abc
import importlib.machinery
import io
import sys

from _audioprobe_pyo import neutralise_widgets, patch_server

_PATCHES = {
    "pyo.lib._widgets": neutralise_widgets,
    "pyo.lib.server": lambda module: patch_server(module.Server),
}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Lets a pyo module load normally, then patches it before anything imports from it."""

    def find_spec(self, name, path, target=None):
        patch = _PATCHES.get(name)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            # pyo's GUI layer prints a banner on stdout about missing wxPython/Tkinter; in here
            # having no GUI is the design, and the banner would only pollute the script's output
            with contextlib.redirect_stdout(io.StringIO()):
                original(module)
            patch(module)

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _PatchAfterImport())
