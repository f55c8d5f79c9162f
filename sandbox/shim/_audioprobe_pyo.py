"""The pyo Server patches the sandbox shim applies (see sitecustomize.py for the why)."""

import atexit
import os
import sys
import time


def patch_server(server_cls):
    """Make `server_cls` (pyo's Server) usable with no sound card, offline, unattended."""
    original_start = server_cls.start
    original_stop = server_cls.stop
    original_recstart = server_cls.recstart
    original_recstop = server_cls.recstop

    def offline(self):
        return str(getattr(self, "_audio", "")).startswith("offline")

    def gui(self, *args, **kwargs):
        print("audioprobe sandbox: Server.gui() skipped (offline rendering)", file=sys.stderr)

    def start(self):
        if offline(self) and getattr(self, "_dur", -1) <= 0:
            self._ap_deferred = True  # real-time style: wait for recstart/recstop
            return self
        return original_start(self)

    def recstart(self, filename=None):
        if not getattr(self, "_ap_deferred", False):
            return original_recstart(self, filename)
        if filename is None:
            filename = self._filename or os.path.join(os.path.expanduser("~"), "pyo_rec.wav")
        self._ap_recording = (filename, time.monotonic())
        atexit.register(_finish, self)
        return None

    def recstop(self):
        if getattr(self, "_ap_recording", None):
            return _finish(self)
        return original_recstop(self)

    def stop(self):
        if getattr(self, "_ap_recording", None):
            _finish(self)
        if getattr(self, "_ap_deferred", False):
            return None
        return original_stop(self)

    def _finish(self):
        pending = getattr(self, "_ap_recording", None)
        if not pending:
            return None
        self._ap_recording = None
        filename, began = pending
        dur = max(time.monotonic() - began, 0.01)
        self.recordOptions(
            dur=dur, filename=filename, fileformat=self._fileformat, sampletype=self._sampletype
        )
        self._ap_deferred = False
        original_start(self)
        return None

    server_cls.gui = gui
    server_cls.start = start
    server_cls.recstart = recstart
    server_cls.recstop = recstop
    server_cls.stop = stop
