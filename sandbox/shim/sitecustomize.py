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

It also starts every random source a script leaves unseeded (`random`, numpy's global state and
unseeded `default_rng()`, pyo's random objects) from a fixed seed, so a render is a function of
the script and `audioprobe reproduce` can compare its numbers exactly (_audioprobe_seed.py).
"""

import contextlib
import importlib.abc
import importlib.machinery
import io
import sys

from _audioprobe_pyo import neutralise_widgets, patch_server
from _audioprobe_seed import seed_numpy, seed_pyo_server, seed_random


def _patch_pyo_server(module):
    patch_server(module.Server)
    seed_pyo_server(module.Server)


_PATCHES = {
    "pyo.lib._widgets": neutralise_widgets,
    "pyo.lib.server": _patch_pyo_server,
    "random": seed_random,
    "numpy.random": seed_numpy,
}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Lets a patched module load normally, then patches it before anything imports from it."""

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
# site runs the .pth files of site-packages before this module, and they may import `random`:
# a module already imported is patched now
for _name in ("random", "numpy.random"):
    if _name in sys.modules:
        _PATCHES[_name](sys.modules[_name])
