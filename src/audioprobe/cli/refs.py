"""`audioprobe refs`: build, add, list and inspect reference sets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from audioprobe.cli.common import console, user_errors
from audioprobe.errors import ConfigError
from audioprobe.references import builtin, builtin_names, debian, list_reference_sets, store
from audioprobe.references.adapters import READERS, add_corpus
from audioprobe.references.model import ReferenceSet
from audioprobe.references.recipes import load_recipe

app = typer.Typer(help="Reference sets: the clips each tier's sounds are compared with.")


def _builtin_targets(name: str) -> list[str]:
    names = builtin_names()
    if name == "builtin":
        return list(names)
    if name in names:
        return [name]
    raise ConfigError(f"{name!r}: expected 'builtin' or one of {', '.join(names)}")


@app.command("build")
@user_errors
def build_cmd(
    name: Annotated[str, typer.Argument(help="'builtin' (all three) or builtin-notes|...")],
    force: Annotated[bool, typer.Option(help="rebuild even if the cached set is current")] = False,
    write_checksums: Annotated[
        bool, typer.Option(help="record the clips' checksums under scoring/references/")
    ] = False,
) -> None:
    """Build built-in sets offline into the cache (only what is absent or stale, unless --force)."""
    for target in _builtin_targets(name):
        if not force and builtin.is_fresh(target):
            console.print(f"{target}: up to date ({store.set_dir(target)})")
        else:
            console.print(f"building {target} ...")
            builtin.build(target, log=console.print)
        if write_checksums:
            builtin.write_checksums(target)
            console.print(f"{target}: checksums written")


@app.command("fetch")
@user_errors
def fetch_cmd() -> None:
    """Download the Debian packages builtin-environmental draws on (network; needs apt)."""
    recipe = load_recipe("builtin-environmental")
    debs = [n for n, spec in recipe["packages"].items() if spec["kind"] == "deb"]
    for path in debian.fetch(debs):
        console.print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB in {path.parent}")


@app.command("add")
@user_errors
def add_cmd(
    path: Annotated[Path, typer.Argument(help="root folder of the corpus")],
    fmt: Annotated[str, typer.Option("--format", help="|".join(READERS))],
    name: Annotated[str | None, typer.Option(help="set name (default: FORMAT-FOLDER)")] = None,
    tier: Annotated[str | None, typer.Option(help="tier whose classes it covers")] = None,
    license: Annotated[str, typer.Option(help="licence of the corpus, recorded per clip")] = (
        "unknown (not recorded by the corpus)"
    ),
) -> None:
    """Convert a corpus on disk into a reference set (16 kHz mono, in the cache)."""
    set_name = name or f"{fmt}-{path.resolve().name}".lower()
    rs = add_corpus(path, fmt, set_name, tier=tier, license=license, log=console.print)
    console.print(
        f"added [bold]{rs.name}[/]: {len(rs.clips())} clips in {len(rs.classes())} classes"
    )
    console.print(
        f'use it in a spec with  reference = "{rs.name}"  (audioprobe refs show {rs.name})'
    )


@app.command("list")
@user_errors
def list_cmd() -> None:
    """Every known set: built-in ones (built or not) and added corpora."""
    table = Table("set", "tier", "built", "classes", "clips", "missing")
    names = builtin_names()
    for name in list_reference_sets():
        if store.is_built(name):
            rs = ReferenceSet.read(store.set_dir(name))
            stale = name in names and not builtin.is_fresh(name)
            built = "stale (rebuilt on use)" if stale else "yes"
            table.add_row(
                name,
                rs.tier or "-",
                built,
                str(len(rs.classes())),
                str(len(rs.clips())),
                str(len(rs.missing)),
            )
        else:
            table.add_row(
                name, name.removeprefix("builtin-"), "no (built on first use)", "", "", ""
            )
    console.print(table)


@app.command("show")
@user_errors
def show_cmd(
    name: Annotated[str, typer.Argument(help="set name")],
) -> None:
    """Classes, clip counts, durations, sources and missing classes of a set (builds a built-in)."""
    from audioprobe.references import load_reference_set

    rs = load_reference_set(name)
    console.print(f"[bold]{rs.name}[/]  tier={rs.tier}  {rs.sample_rate} Hz mono  {rs.root}")
    if rs.description:
        console.print(rs.description, highlight=False)
    table = Table("class", "clips", "total s", "min s", "max s", "sources")
    for key in rs.classes():
        clips = rs.clips(key)
        durations = [c.duration_s for c in clips]
        sources = Counter(c.source for c in clips)
        shown = ", ".join(f"{s} ({n})" for s, n in sources.most_common(3))
        if len(sources) > 3:
            shown += f", +{len(sources) - 3} more"
        table.add_row(
            key,
            str(len(clips)),
            f"{sum(durations):.1f}",
            f"{min(durations):.2f}",
            f"{max(durations):.2f}",
            shown,
        )
    console.print(table)
    for key, why in rs.missing.items():
        console.print(f"[yellow]missing[/] {key}: {why}", highlight=False)
    src = Table("source", "licence", "details")
    for s in rs.sources:
        details = ", ".join(f"{k}={v}" for k, v in s.items() if k not in ("source", "license"))
        src.add_row(str(s.get("source")), str(s.get("license", "")), details)
    console.print(src)
    _show_self_check(rs)
    checks = rs.info.get("checksums")
    if checks:
        console.print(
            f"checksums: {checks['matching']} match the recorded build, "
            f"{checks['differing']} differ, {checks['not_recorded']} not recorded"
        )


def _show_self_check(rs: ReferenceSet) -> None:
    """The build's pitch self-check: each family's measured pitch against its labels."""
    check = rs.info.get("self_check")
    if check is None:
        if any("f0_hz" in c.meta for c in rs.clips()):
            console.print(
                f"pitch self-check: not recorded by this build (audioprobe refs build {rs.name}"
                " --force records it)"
            )
        return
    if "unavailable" in check:
        console.print(f"[yellow]pitch self-check unavailable[/]: {check['unavailable']}")
        return
    table = Table(
        "family",
        "n",
        "median cents",
        "median |pc| cents",
        "8ve off",
        "verdict",
        title=f"pitch self-check: labels against measured pitch (|pc|: pitch-class error; in"
        f" tune: ≤ {check['tolerance_cents']:g} cents)",
        title_justify="left",
    )
    for f in check["families"]:
        verdict = f["verdict"]
        style = "green" if verdict in ("in tune", "octave (rule)") else "red"
        table.add_row(
            f["family"],
            str(f["measured"]),
            _cents(f.get("median_cents")),
            _cents(f.get("median_abs_pitch_class"), signed=False),
            str(f.get("octave_shifted", "")),
            f"[{style}]{verdict}[/]",
        )
    console.print(table)
    for f in check["families"]:
        if "rule" in f:
            presets = ", ".join(f["presets"])
            console.print(f"rule for {f['family']} ({presets}): {f['rule']}", highlight=False)
    total = check["outliers_total"]
    console.print(f"outliers (|pitch-class error| > {check['tolerance_cents']:g} cents): {total}")
    for o in check["outliers"]:
        measured = f"{o['f0_hz']} Hz, {o['cents']:+.1f} cents" if "f0_hz" in o else "no pitch"
        console.print(f"  {o['family']} {o['clip']}: label {o['label_hz']} Hz, {measured}")


def _cents(value: float | None, signed: bool = True) -> str:
    if value is None:
        return ""
    return f"{value:+.1f}" if signed else f"{value:.1f}"
