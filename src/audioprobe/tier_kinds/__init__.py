"""Tier kinds: what a tier means beyond its items, one module per tier, registered by name.

A tier is its TOML file (items and their targets, tiers/<name>.toml or <name>.toml in a plugin
folder) plus the `TierKind` registered under the same name. The kind supplies what used to be
special cases spread through audioprobe: which targets its items must carry, its task-success
rule (the facts it reads at scoring time and the verdict), its built-in reference set's builder,
and its default embeddings, CLAP model and tier-specific metrics. Audioprobe's own three kinds
live beside this file; a researcher's kind is a module in a folder of $AUDIOPROBE_PLUGINS that
does `@tier_kinds.register("mytier")` on a `TierKind` subclass, next to its `mytier.toml`.

A tier file with no kind module gets the base `TierKind`: its items need no targets, success is
"it rendered valid, non-silent audio", and its set metrics use the DEFAULT_EMBEDDINGS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from audioprobe.registry import Registry

if TYPE_CHECKING:
    from audioprobe.references.store import SetWriter
    from audioprobe.scoring.context import ScoreContext, SetGroup
    from audioprobe.tier_kinds.verdict import Facts, SuccessSettings, TaskSuccess
    from audioprobe.tiers import Item, Tier

#: Embeddings of a tier whose kind names none: the general-audio ones every install can fetch.
DEFAULT_EMBEDDINGS = ("vggish", "clap-general", "aisfx")


class TierKind:
    """The behaviour of one tier. Subclass it, set `name`, override what differs."""

    name: ClassVar[str] = ""
    #: The success rule in words, as cards, exports and `rounds` state it.
    criterion: ClassVar[str] = "rendered valid, non-silent audio"
    #: Set metrics' embeddings and the CLAP model scoring captions (scoring/metrics.toml's
    #: [tiers.<name>] overrides either), and the silence trim applied before embedding.
    embeddings: ClassVar[tuple[str, ...]] = DEFAULT_EMBEDDINGS
    clap: ClassVar[str | None] = "clap-general"
    trim_silence_db: ClassVar[float | None] = None
    #: Metrics that apply to this tier only where a tier names them (a metric declaring
    #: `tiers = ()`: pitch for notes, WER for speech, ...); metrics with `tiers = None` apply
    #: to every tier without being named.
    metrics: ClassVar[tuple[str, ...]] = ()
    #: The rule compares a clip with reference clips: an item whose class has none is out of
    #: the rate, and the feedback loop (which loads no embeddings) leaves a round's verdict
    #: unknown, for `audioprobe score` to decide.
    rule_needs_references: ClassVar[bool] = False

    def check_item(self, item: Item) -> str | None:
        """Why `item` cannot be asked in this tier (a target its rule needs is absent), or None."""
        return None

    def rule(self, settings: SuccessSettings) -> str:
        """The rule in words with its numbers, for the feedback turn."""
        return "it renders valid, non-silent audio"

    def facts(
        self, ctx: ScoreContext, group: SetGroup, settings: SuccessSettings
    ) -> tuple[dict[str, Facts] | str, dict[str, Any]]:
        """What each rendered trial of `group` measured, as the rule reads it, and the fields
        of the task-success card that say where those facts came from."""
        return {}, {}

    def judge(self, facts: Facts, settings: SuccessSettings) -> TaskSuccess:
        """The verdict on a rendered clip that met the contract (the caller checks both)."""
        from audioprobe.tier_kinds.verdict import TaskSuccess

        return TaskSuccess(True, "it rendered valid, non-silent audio")

    def reference_recipe(self, tier: Tier) -> tuple[dict[str, Any], Path] | None:
        """The recipe of the tier's built-in reference set (`builtin-<name>`) and the file it
        was read from (whose bytes enter the set's fingerprint), or None where the tier has
        none. The default: the tier file's own [references] table."""
        if tier.references is None or tier.source is None:
            return None
        return dict(tier.references), tier.source

    def fingerprint_extra(self, recipe: dict[str, Any]) -> dict[str, Any]:
        """What else a build depends on that can change between two builds (tool versions)."""
        return {}

    def build_references(
        self, recipe: dict[str, Any], tier: Tier, writer: SetWriter
    ) -> dict[str, Any]:
        """Render or gather the clips of `tier`'s classes into `writer`; returns {"sources":
        [provenance of each source], "reasons": {class: why it has no clip}}."""
        from audioprobe.errors import ConfigError

        raise ConfigError(f"tier {self.name!r} has no built-in reference set")


tier_kinds: Registry[type[TierKind]] = Registry(
    "tier kind",
    builtin=(
        "audioprobe.tier_kinds.notes",
        "audioprobe.tier_kinds.environmental",
        "audioprobe.tier_kinds.speech",
    ),
)


def kind_of(tier: str) -> TierKind:
    """The kind registered for `tier`, else the base kind (a tier file alone)."""
    if tier in tier_kinds.names():
        return tier_kinds.get(tier)()
    return TierKind()
