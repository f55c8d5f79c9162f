"""ABC notation: the answer is a tune; the harness renders it with abc2midi, then fluidsynth.

The instrument is the item's (its GM program, `%%MIDI program` after each K: line), played from
the TimGM6mb General MIDI soundfont, the one the notes references are rendered from. abc2midi
reports errors but exits 0, so a check fails on its `Error in line` lines. The check reads the
answer as written, so the line numbers in its messages are the answer's own.
"""

from __future__ import annotations

import re

from audioprobe.languages import languages
from audioprobe.languages.base import Language
from audioprobe.tiers import Item, Tier

SOURCE = "tune.abc"
MIDI = "tune.mid"
SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"  # Debian timgm6mb-soundfont
_KEY_LINE = re.compile(r"^(K:[^\n]*)$", re.M)


def gm_program(item: Item) -> int:
    """The item's General MIDI program (0, acoustic grand piano, when it names none)."""
    program = item.targets().get("gm_program")
    return 0 if program is None else int(program)


@languages.register("abc")
class Abc(Language):
    name = "abc"
    title = "ABC"
    fence_tags = ("abc",)
    source_name = SOURCE
    debian = ("abcmidi", "fluidsynth", "timgm6mb-soundfont")
    notes_only = True
    fail_pattern = r"^Error in line"

    def source(self, code: str, tier: Tier, item: Item) -> str:
        return _KEY_LINE.sub(rf"\1\n%%MIDI program {gm_program(item)}", code)

    def check_source(self, code: str) -> str | None:
        return code

    def check_command(self, tier: Tier, item: Item) -> list[str]:
        return ["abc2midi", SOURCE, "-c"]

    def render_commands(self, tier: Tier, item: Item) -> list[list[str]]:
        synth = ["fluidsynth", "-n", "-i", "-q", "-R", "0", "-C", "0"]
        synth += ["-r", str(tier.sample_rate), "-T", "wav", "-F", "output.wav", SOUNDFONT, MIDI]
        return [["abc2midi", SOURCE, "-o", MIDI, "-silent"], synth]
