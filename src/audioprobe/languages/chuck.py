"""ChucK: the answer is a program that records itself to output.wav through WvOut.

chuck 1.4 has no check-only flag and exits 0 after a compile error, so the check compiles the
program with `me.exit();` ahead of its first line (compiled and type-checked, never run; line
numbers unchanged) and fails on chuck's `[piece.ck]:line(...)` messages, whatever its exit. The
render runs with --silent (no sound card; time advances as fast as the machine allows) and
without chugins.
Std.system is refused by chuck itself unless --caution-to-the-wind is given, which it never is.
"""

from __future__ import annotations

from audioprobe.languages import languages
from audioprobe.languages.base import Language
from audioprobe.tiers import Item, Tier

SOURCE = "piece.ck"


@languages.register("chuck")
class Chuck(Language):
    name = "chuck"
    title = "ChucK"
    fence_tags = ("chuck", "ck")
    source_name = SOURCE
    debian = ("chuck",)
    fail_pattern = r"^\[piece\.ck\]:"
    # chuck 1.4.2 exits 0 after a compile error, and now and then (1 exit in 20 here) crashes
    # with SIGSEGV leaving a program that ends at time 0, as the check's does: only its
    # messages are a verdict
    check_exit = False

    def check_source(self, code: str) -> str | None:
        return "me.exit(); " + code

    def check_command(self, tier: Tier, item: Item) -> list[str]:
        return ["chuck", "--silent", "--chugin-load:off", SOURCE]

    def render_commands(self, tier: Tier, item: Item) -> list[list[str]]:
        rate = f"--srate:{tier.sample_rate}"
        return [["chuck", "--silent", "--chugin-load:off", rate, SOURCE]]
