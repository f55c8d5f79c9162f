"""SuperCollider: the answer is an sclang program that leaves a non-realtime Score in ~score.

The harness renders that Score as `Score.recordNRT` would, in two steps: sclang runs a fixed
driver (DRIVER below, written beside the answer) that compiles and evaluates piece.scd and
writes `~score` to score.osc; then scsynth renders score.osc to output.wav in non-realtime mode
(-N), at the tier's rate, mono, with the options recordNRT passes (less the UDP port, which an
NRT server never opens). There is no separate check: sclang's own compiler is the check, and a
program it cannot compile ends the driver with the syntax exit, its message the verdict.

Debian's sclang is built with Qt 5 and starts QtWebEngine whatever it runs: it needs Qt's
offscreen platform (no display) and Chromium's own sandbox off (it cannot nest inside
audioprobe's, which holds it instead). sclang posts everything, errors included, on stdout.
"""

from __future__ import annotations

from typing import ClassVar

from audioprobe.languages import languages
from audioprobe.languages.base import SYNTAX_EXIT, Language, Verdict
from audioprobe.outcomes import Outcome
from audioprobe.sandbox.base import ExecResult
from audioprobe.tiers import Item, Tier

SOURCE = "piece.scd"
DRIVER_NAME = "_audioprobe_nrt.scd"
SCORE = "score.osc"
#: the line the driver posts before it compiles the answer: sclang's words about the answer
#: are what follows it
MARK = "audioprobe: sclang reads piece.scd"
# `N.exit` only asks sclang to exit once the file has run, and the last call wins (so an
# answer's own exit cannot decide the status): one call per path, at the end.
DRIVER = f"""// audioprobe's SuperCollider driver (generated; docs/languages.md): compiles and runs
// {SOURCE} as `sclang {SOURCE}` would, then writes the Score it left in ~score to {SCORE} as
// Score.recordNRT does. Exit {SYNTAX_EXIT}: sclang could not compile the answer; 1: it failed
// while running, or its Score did; 0 without {SCORE}: it left no Score in ~score.
(
var fn, failed = false;
"{MARK}".postln;
fn = File.readAllString("{SOURCE}").compile;
if(fn.isNil) {{ {SYNTAX_EXIT}.exit }} {{
\ttry {{ fn.value }} {{ |error| error.reportError; failed = true }};
\tcase
\t{{ failed }} {{ 1.exit }}
\t{{ ~score.isKindOf(Score).not }} {{
\t\t"audioprobe: the answer left no Score in ~score (it holds %)".format(~score).postln;
\t\t0.exit
\t}}
\t{{
\t\ttry {{ ~score.writeOSCFile("{SCORE}", 0) }} {{ |error| error.reportError; failed = true }};
\t\tif(failed) {{ 1.exit }} {{ 0.exit }}
\t}}
}};
)
"""
# ServerOptions.new.numOutputBusChannels_(1).asOptionsString, less `-u 57110`
_SERVER_OPTIONS = "-a 1023 -i 2 -o 1 -R 0 -C 1 -l 1"
#: the render of score.osc; none (and so no output.wav) when the answer left no Score
_SCSYNTH = (
    f'test -e {SCORE} || exit 0; exec scsynth -N {SCORE} _ output.wav "$1" WAV int16 '
    + _SERVER_OPTIONS
)
_WORDS_KEPT = 40  # lines of sclang's words kept as a trial's error


@languages.register("supercollider")
class SuperCollider(Language):
    name = "supercollider"
    title = "SuperCollider"
    fence_tags = ("supercollider", "sc", "sclang")
    source_name = SOURCE
    debian = (
        "supercollider-language",
        "supercollider-common",
        "supercollider-server",
        "libscsynth1",
        "libqt5webenginecore5",
        "libqt5webengine-data",
        "libqt5gui5",
    )
    env: ClassVar[dict[str, str]] = {
        "QT_QPA_PLATFORM": "offscreen",
        "QTWEBENGINE_DISABLE_SANDBOX": "1",
    }

    def files(self, tier: Tier, item: Item) -> dict[str, str]:
        return {DRIVER_NAME: DRIVER}

    def render_commands(self, tier: Tier, item: Item) -> list[list[str]]:
        return [
            ["sclang", "-D", DRIVER_NAME],
            ["/bin/sh", "-c", _SCSYNTH, "sh", str(tier.sample_rate)],
        ]

    def verdict(self, result: ExecResult) -> Verdict:
        """sclang's own words (on stdout) for an answer it could not compile or run."""
        if result.status != "runtime_error":
            return super().verdict(result)
        words = sclang_words(result.stdout)
        status = Outcome.SYNTAX_ERROR if result.exit_code == SYNTAX_EXIT else Outcome.RUNTIME_ERROR
        return Verdict(status, words or super().verdict(result).error)


def sclang_words(stdout: str) -> str:
    """What sclang posted about the answer: the lines after the driver's mark, without the
    call stacks of its error dumps (the error's own lines and its `^^` summary stay) or its
    shutdown line; the last `_WORDS_KEPT` of them."""
    _, found, after = stdout.partition(MARK)
    if not found:
        return ""
    kept, in_stack = [], False
    for line in after.strip().splitlines():
        if line.startswith(("PROTECTED CALL STACK:", "CALL STACK:")):
            in_stack = True
        elif line.startswith("^^"):
            in_stack = False
        if not in_stack and line != "cleaning up OSC":
            kept.append(line)
    return "\n".join(kept[-_WORDS_KEPT:]).strip()
