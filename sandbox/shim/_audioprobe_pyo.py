"""The pyo patches the sandbox shim applies (see sitecustomize.py for the why)."""

import atexit
import inspect
import os
import sys
import time

SKIPPED = "_audioprobe_skipped"  # marks a neutralised GUI function (tests look for it)


def _skip(name):
    def no_window(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_qualname
        print(
            f"audioprobe sandbox: pyo {caller}() wants a window ({name}); skipped, no display",
            file=sys.stderr,
        )

    setattr(no_window, SKIPPED, name)
    return no_window


def neutralise_widgets(module):
    """Make every window-creating function of pyo's GUI layer (pyo.lib._widgets) a no-op.

    Every pyo GUI entry point (Server.gui, PyoObject.ctrl, .view, .graph, PyoTableObject.view,
    PyoMatrixObject.view, Scope, Spectrum, Keyboard, Notein.keyboard, Expr.editor, ...) opens its
    window through a function of this module, imported by name into the module that uses it.
    Patching the functions here, before any other pyo module imports them, covers them all;
    the list comes from the module itself, not from a hand-kept table.
    """
    for name, value in list(vars(module).items()):
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            setattr(module, name, _skip(name))


def patch_server(server_cls):
    """Make pyo's Server usable with no sound card, offline, unattended.

    A real-time script plays from `start()` and records from `recstart()` until `recstop()`,
    `stop()`, `shutdown()` or the end of the script, for as long as it waited in between
    (`time.sleep`). Offline, that same span is rendered when the recording ends, into the file
    recstart named. A server given `recordOptions(dur=...)` renders at `start()` as pyo does.
    """
    original_start = server_cls.start
    original_recstart = server_cls.recstart
    original_recstop = server_cls.recstop
    original_stop = server_cls.stop
    original_shutdown = server_cls.shutdown

    def deferred(self):
        offline = str(getattr(self, "_audio", "")).startswith("offline")
        started = getattr(self, "_ap_started", None) is not None
        return offline and (started or getattr(self, "_dur", -1) <= 0)

    def rendered(self, call):
        """True (and a note) when start() already rendered recordOptions' file offline.

        Scripts often set recordOptions(dur=...) and also call recstart/recstop around a sleep;
        pyo would then reopen the finished file and leave it empty.
        """
        if getattr(self, "_ap_rendered", False):
            print(
                f"audioprobe sandbox: pyo Server.{call}() skipped, the recording was already "
                "rendered offline by start()",
                file=sys.stderr,
            )
            return True
        return False

    def gui(self, *args, **kwargs):
        print("audioprobe sandbox: pyo Server.gui() skipped, no display", file=sys.stderr)

    def start(self):
        if deferred(self):
            self._ap_started = time.monotonic()
            return self
        result = original_start(self)
        if str(getattr(self, "_audio", "")).startswith("offline"):
            self._ap_rendered = True
        return result

    def recstart(self, filename=None):
        if rendered(self, "recstart"):
            return None
        if not deferred(self):
            return original_recstart(self, filename)
        if filename is None:
            filename = self._filename or os.path.join(os.path.expanduser("~"), "pyo_rec.wav")
        self._ap_recording = (filename, time.monotonic())
        atexit.register(finish, self)
        return None

    def recstop(self):
        if getattr(self, "_ap_recording", None):
            return finish(self)
        if rendered(self, "recstop"):
            return None
        return original_recstop(self)

    def stop(self):
        if getattr(self, "_ap_recording", None):
            finish(self)
        if getattr(self, "_ap_started", None) is not None:
            self._ap_started = None
            return None
        return original_stop(self)

    def shutdown(self):
        if getattr(self, "_ap_recording", None):
            finish(self)
        return original_shutdown(self)

    def finish(self):
        """Render the recording that is open, for the wall time it was open while playing."""
        pending = getattr(self, "_ap_recording", None)
        if not pending:
            return None
        self._ap_recording = None
        filename, began = pending
        playing_since = getattr(self, "_ap_started", None)
        if playing_since is None:
            return None  # recorded while never started: real-time pyo records nothing either
        dur = max(time.monotonic() - max(began, playing_since), 0.01)
        self.recordOptions(
            dur=dur, filename=filename, fileformat=self._fileformat, sampletype=self._sampletype
        )
        original_start(self)
        self._ap_started = None
        self._ap_rendered = True
        return None

    server_cls.gui = gui
    server_cls.start = start
    server_cls.recstart = recstart
    server_cls.recstop = recstop
    server_cls.stop = stop
    server_cls.shutdown = shutdown
