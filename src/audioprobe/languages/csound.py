"""Csound: the answer is a complete .csd; csound checks it, then renders it to output.wav.

Flags on csound's command line override the answer's <CsOptions>, so an `-odac` (real-time
output) or a MIDI device there cannot send the render anywhere but the file.
"""

from __future__ import annotations

from audioprobe.languages import languages
from audioprobe.languages.base import Language
from audioprobe.tiers import Item, Tier

SOURCE = "piece.csd"
_QUIET = ["-+msg_color=false"]  # no terminal colour codes in the recorded stderr


@languages.register("csound")
class Csound(Language):
    name = "csound"
    title = "Csound"
    fence_tags = ("csound", "csd")
    source_name = SOURCE
    debian = ("csound", "libcsound64-6.0")

    def check_command(self, tier: Tier, item: Item) -> list[str]:
        return ["csound", "--syntax-check-only", *_QUIET, SOURCE]

    def render_commands(self, tier: Tier, item: Item) -> list[list[str]]:
        devices = ["-+rtaudio=null", "-+rtmidi=null", "-d", "--nodisplays"]
        return [["csound", *_QUIET, *devices, "-W", "-o", "output.wav", SOURCE]]
